/**
 * Text normalisation for what rural users type on cheap phones: Thai digits, full-width forms,
 * stray and invisible spaces, odd dashes, doubled vowels/tone marks, and Thai typed without spaces.
 */

const THAI_DIGIT_ZERO = 0x0e50;

/** `๐๑๒๓๔๕๖๗๘๙` (U+0E50–U+0E59) → `0123456789`; everything else unchanged. */
export function thaiDigitsToAscii(s: string): string {
  return s.replace(/[\u0E50-\u0E59]/g, (d) => String(d.charCodeAt(0) - THAI_DIGIT_ZERO));
}

/** `0123456789` → `๐๑๒๓๔๕๖๗๘๙` (for display with Thai digits). */
export function asciiDigitsToThai(s: string): string {
  return s.replace(/[0-9]/g, (d) => String.fromCharCode(THAI_DIGIT_ZERO + Number(d)));
}

// Invisible characters that phones and copy-paste leave behind: ZWSP, ZWNJ, ZWJ, word joiner,
// BOM/ZWNBSP, soft hyphen, LRM/RLM and bidi isolates.
const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\u206A-\u206F\uFEFF\u00AD\u202A-\u202E\u2066-\u2069]/g;
// Hyphen-like dashes NFKC leaves alone: hyphen, non-breaking hyphen, figure dash, en/em dash,
// horizontal bar, minus sign, small hyphen-minus.
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63]/g;
// Thai above/below vowels and tone marks that a double tap can repeat.
const THAI_REPEATABLE_MARK = /([\u0E31\u0E34-\u0E3A\u0E47-\u0E4E])\1+/g;

/**
 * Normalise free text as typed:
 * - NFKC (full-width `０８１`, `＠`, `Ａ` and ideographic spaces become ASCII), keeping Thai SARA AM
 *   (NFKC splits `ำ` into NIKHAHIT + SARA AA; we put it back so names still match the data);
 * - Thai digits → ASCII digits; unicode dashes → `-`;
 * - common Thai typing slips: `เเ` (two SARA E) → `แ`, a tone mark typed after SARA AM moved before it,
 *   a vowel/tone mark typed twice kept once;
 * - zero-width characters removed, any whitespace run (incl. NBSP, tabs, newlines) → one space; trimmed.
 */
export function normalizeInput(s: string): string {
  return normalizeChars(s).replace(/\s+/g, ' ').trim();
}

/** Like {@link normalizeInput} but keeps line breaks (collapses spaces within lines, drops blank runs). */
export function normalizeMultiline(s: string): string {
  return normalizeChars(s)
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function normalizeChars(s: string): string {
  return thaiDigitsToAscii(
    s
      .normalize('NFKC')
      .replace(/\u0E4D\u0E32/g, '\u0E33')
      .replace(/\u0E33([\u0E48-\u0E4B])/g, '$1\u0E33')
      .replace(/\u0E40\u0E40/g, '\u0E41')
      .replace(THAI_REPEATABLE_MARK, '$1')
      .replace(INVISIBLE, '')
      .replace(DASHES, '-'),
  );
}

/**
 * A key for matching words, not for display: {@link normalizeInput}, lower-case, then every space,
 * punctuation and symbol dropped, and the abbreviation mark `ฯ`. Thai letters, vowels and tone marks are kept.
 * `"ยก เลิก"`, `"ยกเลิก!"` → `"ยกเลิก"`; `"Chiang Mai"` → `"chiangmai"`; `"กรุงเทพฯ"` → `"กรุงเทพ"`.
 */
export function compactForMatch(s: string): string {
  return normalizeInput(s)
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}\u0E2F]+/gu, ''); // ฯ (PAIYANNOI) is a letter to Unicode, an abbreviation mark to us
}

/**
 * Looser key for Thai: {@link compactForMatch} without tone marks, MAITAIKHU and THANTHAKHAT, with
 * `ใ`→`ไ` and the obsolete `ฃ`/`ฅ` → `ข`/`ค`. Users often skip tone marks or mix up `ใ`/`ไ`.
 */
export function thaiSkeleton(s: string): string {
  return skeletonOfCompact(compactForMatch(s));
}

/** {@link thaiSkeleton} of a string that is already a {@link compactForMatch} key. */
export function skeletonOfCompact(compact: string): string {
  return compact
    .replace(/[\u0E47-\u0E4C]/g, '')
    .replace(/\u0E43/g, '\u0E44')
    .replace(/\u0E03/g, '\u0E02')
    .replace(/\u0E05/g, '\u0E04');
}

/** Levenshtein distance over Unicode code points (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  if (s.length === 0) return t.length;
  if (t.length === 0) return s.length;
  let prev = new Array<number>(t.length + 1);
  let curr = new Array<number>(t.length + 1);
  for (let j = 0; j <= t.length; j++) prev[j] = j;
  for (let i = 1; i <= s.length; i++) {
    curr[0] = i;
    const si = s[i - 1];
    for (let j = 1; j <= t.length; j++) {
      const cost = si === t[j - 1] ? 0 : 1;
      curr[j] = Math.min((prev[j] ?? 0) + 1, (curr[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[t.length] ?? 0;
}

/** `1 − editDistance / max(length)` on code points: 1 for equal strings, 0 for nothing in common. */
export function similarity(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  if (longest === 0) return 1;
  return 1 - editDistance(a, b) / longest;
}

// Administrative words users put before (or, in English, after) a place name.
// Longer forms first so `จังหวัด` is not read as `จ` + `ังหวัด`. Abbreviations need their dot.
const THAI_PREFIXES = ['กิ่งอำเภอ', 'จังหวัด', 'อำเภอ', 'ตำบล', 'แขวง', 'เขต', 'กิ่งอ.', 'จ.', 'อ.', 'ต.'];
const LATIN_PREFIX = /^(?:changwat|king amphoe|amphoe|amphur|amphor|tambon|tambol|khwaeng|khet|province|district|sub-?district)\b[\s.:,-]*/i;
const LATIN_SUFFIX = /[\s,]+(?:province|district|sub-?district)\.?$/i;

/**
 * Remove administrative prefixes from a place name: `จังหวัด`/`จ.`, `อำเภอ`/`อ.`, `กิ่งอำเภอ`, `เขต`,
 * `ตำบล`/`ต.`, `แขวง`, and `changwat`, `amphoe`, `tambon`, `khet`, `khwaeng`, `province`, `district`
 * (also `Chiang Mai Province`, `Mueang District`). Repeats (`จ. จังหวัดเชียงใหม่`); never returns an empty
 * string for a non-empty name (`เขต` alone stays `เขต`). Input is normalised first.
 */
export function stripThaiPrefixes(s: string): string {
  let out = normalizeInput(s);
  for (;;) {
    const before = out;
    for (const p of THAI_PREFIXES) {
      if (out.startsWith(p) && out.length > p.length) {
        out = out.slice(p.length).replace(/^[\s.:-]+/, '');
        break;
      }
    }
    const latin = out.replace(LATIN_PREFIX, '');
    if (latin.length > 0) out = latin;
    const suffix = out.replace(LATIN_SUFFIX, '');
    if (suffix.length > 0) out = suffix;
    if (out === before) return out.trim();
  }
}
