import { asciiDigitsToThai, normalizeInput, similarity } from '../../core/text/normalize.js';
import type { Validated, Validator } from './types.js';

/**
 * Dates as Thai users type them, and dates shown back to them. Everything is in Asia/Bangkok
 * (UTC+7 all year, no daylight saving): servers run in UTC, so the zone is always passed explicitly.
 *
 * Year rule (documented for the engine and the officers):
 * - 4-digit year ≥ 2400 → Buddhist Era, C.E. = B.E. − 543 (`2567` → 2024); smaller → C.E. (`2024`).
 * - "พ.ศ." / "พศ" before or after the year forces B.E.; "ค.ศ." / "คศ" forces C.E.
 * - 2-digit year written with a Thai month name (`5 มี.ค. 67`, `1 ต.ค. 45`) → B.E. 25yy: people who
 *   write Thai month names write B.E. years.
 * - Other 2-digit years (`5/3/67`, `5 Mar 24`): 60–99 → B.E. 25yy (`67` → 2567 → 2024),
 *   00–59 → C.E. 20yy (`24` → 2024).
 * - No year (`5 มี.ค.`) → the current year in Bangkok.
 * - Accepted result years: C.E. 1900–2200.
 * Day comes before month in numeric dates (`5/3/2567` is 5 March); `2024-03-05` (year first) is ISO.
 */

export const BANGKOK_TZ = 'Asia/Bangkok';

export const THAI_MONTHS_LONG = [
  'มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน',
  'กรกฎาคม', 'สิงหาคม', 'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม',
] as const;
export const THAI_MONTHS_SHORT = [
  'ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.',
] as const;
export const ENGLISH_MONTHS_LONG = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;
export const ENGLISH_MONTHS_SHORT = [
  'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec',
] as const;

/** Colloquial Thai month names (`มีนา`, `ตุลา`) and a frequent misspelling (`กรกฏาคม`). */
const THAI_MONTHS_COLLOQUIAL = [
  'มกรา', 'กุมภา', 'มีนา', 'เมษา', 'พฤษภา', 'มิถุนา', 'กรกฎา', 'สิงหา', 'กันยา', 'ตุลา', 'พฤศจิกา', 'ธันวา',
];

type MonthWord = { month: number; thai: boolean };

const MONTH_WORDS = new Map<string, MonthWord>();
function addMonthWord(word: string, month: number, thai: boolean): void {
  MONTH_WORDS.set(word.replace(/\./g, '').toLowerCase(), { month, thai });
}
for (let i = 0; i < 12; i++) {
  addMonthWord(THAI_MONTHS_LONG[i] ?? '', i + 1, true);
  addMonthWord(THAI_MONTHS_SHORT[i] ?? '', i + 1, true);
  addMonthWord(THAI_MONTHS_COLLOQUIAL[i] ?? '', i + 1, true);
  addMonthWord(ENGLISH_MONTHS_LONG[i] ?? '', i + 1, false);
  addMonthWord(ENGLISH_MONTHS_SHORT[i] ?? '', i + 1, false);
}
addMonthWord('กรกฏาคม', 7, true);
addMonthWord('กรกฏา', 7, true);
addMonthWord('sept', 9, false);

const THAI_WEEKDAYS = ['อาทิตย์', 'จันทร์', 'อังคาร', 'พุธ', 'พฤหัสบดี', 'พฤหัส', 'ศุกร์', 'เสาร์'];
const THAI_FILLERS = ['วันที่', 'วัน', 'ที่', 'เดือน', 'ปี', 'นี้'];
const ENGLISH_FILLERS = new Set([
  'st', 'nd', 'rd', 'th', 'of', 'the', 'on',
  'sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
  'sun', 'mon', 'tue', 'tues', 'wed', 'thu', 'thur', 'thurs', 'fri', 'sat',
]);

const RELATIVE_DAYS: ReadonlyArray<readonly [string, number]> = [
  ['วันนี้', 0], ['today', 0], ['พรุ่งนี้', 1], ['tomorrow', 1], ['มะรืนนี้', 2], ['มะรืน', 2],
  ['เมื่อวานนี้', -1], ['เมื่อวาน', -1], ['yesterday', -1],
];

function fail(errorKey: string, params?: Record<string, string | number>): Validated<never> {
  return params ? { ok: false, errorKey, params } : { ok: false, errorKey };
}

/** Calendar parts of an instant as seen in Bangkok. */
export function bangkokParts(date: Date): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: BANGKOK_TZ,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** Today's date in Bangkok as `yyyy-mm-dd`. */
export function bangkokToday(now: Date = new Date()): string {
  const p = bangkokParts(now);
  return isoDate(p.year, p.month, p.day);
}

function isoDate(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return isoDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

type Era = 'be' | 'ce' | undefined;

/** Apply the year rule above. `digits` is the year as typed (1–4 digits). */
export function resolveYear(digits: string, opts: { era?: Era; thaiMonthName?: boolean } = {}): number | undefined {
  const n = Number(digits);
  if (digits.length === 4) {
    if (opts.era === 'be') return n - 543;
    if (opts.era === 'ce') return n;
    return n >= 2400 ? n - 543 : n;
  }
  if (digits.length === 2 || digits.length === 1) {
    if (opts.era === 'be' || opts.thaiMonthName) return 2500 + n - 543;
    if (opts.era === 'ce') return 2000 + n;
    return n >= 60 ? 2500 + n - 543 : 2000 + n;
  }
  return undefined;
}

type Token = { kind: 'num'; text: string } | { kind: 'month'; month: number; thai: boolean };

/** Splits a Thai run without spaces (`วันอังคารที่`, `มีนาคมพ.ศ.`) into month/filler/era pieces. */
function readThaiRun(run: string, tokens: Token[], era: { value: Era }): boolean {
  let rest = run;
  while (rest.length > 0) {
    const bare = rest.replace(/\./g, '');
    const month = MONTH_WORDS.get(bare);
    if (month) {
      tokens.push({ kind: 'month', ...month });
      return true;
    }
    const eraBe = /^พ\.?ศ\.?/.exec(rest);
    if (eraBe) {
      era.value = 'be';
      rest = rest.slice(eraBe[0].length);
      continue;
    }
    const eraCe = /^ค\.?ศ\.?/.exec(rest);
    if (eraCe) {
      era.value = 'ce';
      rest = rest.slice(eraCe[0].length);
      continue;
    }
    const filler = [...THAI_FILLERS, ...THAI_WEEKDAYS].find((w) => rest.startsWith(w));
    if (filler) {
      rest = rest.slice(filler.length).replace(/^\.+/, '');
      continue;
    }
    // A month word followed by more text (`มี.ค.พ.ศ.`): the longest month prefix whose rest also reads.
    for (let end = rest.length - 1; end > 0; end--) {
      const w = MONTH_WORDS.get(rest.slice(0, end).replace(/\./g, ''));
      if (!w) continue;
      const after: Token[] = [];
      const afterEra: { value: Era } = { value: era.value };
      if (readThaiRun(rest.slice(end).replace(/^\.+/, ''), after, afterEra)) {
        tokens.push({ kind: 'month', ...w }, ...after);
        era.value = afterEra.value;
        return true;
      }
    }
    // A misspelt full month name (`กุมภาพัน`, `พฤษจิกายน`).
    let best: { score: number; month: number } | undefined;
    for (let i = 0; i < 12; i++) {
      const score = similarity(bare, THAI_MONTHS_LONG[i] ?? '');
      if (score >= 0.75 && (!best || score > best.score)) best = { score, month: i + 1 };
    }
    if (best && [...bare].length >= 4) {
      tokens.push({ kind: 'month', month: best.month, thai: true });
      return true;
    }
    return false;
  }
  return true;
}

function tokenize(text: string): { tokens: Token[]; era: Era } | undefined {
  const tokens: Token[] = [];
  const era: { value: Era } = { value: undefined };
  const re = /(\d+)|([\u0E01-\u0E4F.]+)|([a-z]+\.?)|([\s,/-]+)|(.)/giu;
  for (const m of text.matchAll(re)) {
    if (m[1]) tokens.push({ kind: 'num', text: m[1] });
    else if (m[2]) {
      if (/^\.+$/.test(m[2])) continue; // separator dots: 5.3.2567
      if (!readThaiRun(m[2], tokens, era)) return undefined;
    } else if (m[3]) {
      const w = m[3].replace(/\.$/, '').toLowerCase();
      const month = MONTH_WORDS.get(w);
      if (month) tokens.push({ kind: 'month', ...month });
      else if (w === 'ad' || w === 'ce') era.value = 'ce';
      else if (w === 'be') era.value = 'be';
      else if (!ENGLISH_FILLERS.has(w)) return undefined;
    } else if (m[5]) return undefined;
  }
  return { tokens, era: era.value };
}

/**
 * Parses a date as typed. Value: ISO `yyyy-mm-dd` (a calendar date, no time zone); display: the date in
 * the user's language (`5 มีนาคม 2567` / `5 March 2024`).
 * Accepts `5/3/2567`, `05-03-2024`, `5.3.67`, `2024-03-05`, `5 มี.ค. 67`, `5มีค67`, `5 มีนาคม 2567`,
 * `วันอังคารที่ 5 มีนาคม พ.ศ. 2567`, `March 5, 2024`, `5 Mar 2024`, `05032567`, Thai digits,
 * and `วันนี้` / `พรุ่งนี้` / `เมื่อวาน` (today, tomorrow, yesterday in Bangkok).
 * Errors: `date.empty`, `date.invalid`, `date.noSuchDate` ({day, month}), `date.yearOutOfRange`.
 */
export const parseThaiDate: Validator<string> = (input, ctx) => {
  const text = normalizeInput(input).toLowerCase();
  if (text === '') return fail('date.empty');
  const now = ctx.now ?? new Date();
  const ok = (iso: string): Validated<string> => ({ ok: true, value: iso, display: formatDate(iso, ctx.lang) });

  const compact = text.replace(/\s+/g, '');
  for (const [word, offset] of RELATIVE_DAYS) {
    if (compact === word) return ok(addDays(bangkokToday(now), offset));
  }

  let day: number | undefined;
  let month: number | undefined;
  let yearDigits: string | undefined;
  let thaiMonthName = false;
  let era: Era;

  const eightDigits = /^(\d{2})(\d{2})(\d{4})$/.exec(compact) ?? undefined;
  const ymdEight = /^(\d{4})(\d{2})(\d{2})$/.exec(compact) ?? undefined;
  if (eightDigits && Number(eightDigits[3]) >= 1900) {
    [day, month, yearDigits] = [Number(eightDigits[1]), Number(eightDigits[2]), eightDigits[3]];
  } else if (ymdEight && Number(ymdEight[1]) >= 1900) {
    [yearDigits, month, day] = [ymdEight[1], Number(ymdEight[2]), Number(ymdEight[3])];
  } else {
    const t = tokenize(text);
    if (!t) return fail('date.invalid');
    era = t.era;
    const nums = t.tokens.filter((x): x is Extract<Token, { kind: 'num' }> => x.kind === 'num').map((x) => x.text);
    const months = t.tokens.filter((x): x is Extract<Token, { kind: 'month' }> => x.kind === 'month');
    if (months.length > 1) return fail('date.invalid');
    const monthToken = months[0];
    if (monthToken) {
      month = monthToken.month;
      thaiMonthName = monthToken.thai;
      if (nums.length === 1 && (nums[0] ?? '').length <= 2) {
        day = Number(nums[0]);
      } else if (nums.length === 2) {
        const [a = '', b = ''] = nums;
        if (a.length === 4) [yearDigits, day] = [a, Number(b)];
        else [day, yearDigits] = [Number(a), b];
      } else {
        return fail('date.invalid');
      }
    } else if (nums.length === 3) {
      const [a = '', b = '', c = ''] = nums;
      if (a.length === 4) [yearDigits, month, day] = [a, Number(b), Number(c)];
      else if (a.length <= 2 && b.length <= 2) [day, month, yearDigits] = [Number(a), Number(b), c];
      else return fail('date.invalid');
    } else if (nums.length === 2 && (nums[0] ?? '').length <= 2 && (nums[1] ?? '').length <= 2) {
      [day, month] = [Number(nums[0]), Number(nums[1])]; // 5/3: this year
    } else {
      return fail('date.invalid');
    }
  }

  if (day === undefined || month === undefined) return fail('date.invalid');
  let year: number | undefined;
  if (yearDigits === undefined) {
    year = bangkokParts(now).year;
  } else {
    if (yearDigits.length === 3) return fail('date.invalid');
    year = resolveYear(yearDigits, { era, thaiMonthName });
  }
  if (year === undefined) return fail('date.invalid');
  if (year < 1900 || year > 2200) return fail('date.yearOutOfRange');
  if (!isRealDate(year, month, day)) return fail('date.noSuchDate', { day, month });
  return ok(isoDate(year, month, day));
};

// ---------------------------------------------------------------------------------------------
// Formatting (always Asia/Bangkok)
// ---------------------------------------------------------------------------------------------

export type FormatDateOptions = {
  /** `long` (default): `5 มีนาคม 2567` / `5 March 2024`; `short`: `5 มี.ค. 2567` / `5 Mar 2024`. */
  month?: 'long' | 'short';
  /** Prefix the weekday: `วันอังคารที่ 5 มีนาคม 2567` / `Tuesday, 5 March 2024`. */
  weekday?: boolean;
  /** Thai digits (๕ มีนาคม ๒๕๖๗); Thai only. */
  thaiDigits?: boolean;
};

const THAI_WEEKDAY_NAMES = ['อาทิตย์', 'จันทร์', 'อังคาร', 'พุธ', 'พฤหัสบดี', 'ศุกร์', 'เสาร์'];
const ENGLISH_WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A `Date` (an instant, read in Bangkok) or an ISO calendar date `yyyy-mm-dd` (taken as is). */
export type DateInput = Date | string;

function calendarParts(date: DateInput): { year: number; month: number; day: number; hour: number; minute: number } {
  if (typeof date === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (m) return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 0, minute: 0 };
    const parsed = new Date(date);
    if (Number.isNaN(parsed.getTime())) throw new RangeError(`Invalid date: ${date}`);
    return bangkokParts(parsed);
  }
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid date');
  return bangkokParts(date);
}

/**
 * `5 มีนาคม 2567` (B.E., Thai month names) or `5 March 2024` (C.E.), for the day in Bangkok.
 * Built from our own month tables so it does not depend on the ICU build.
 */
export function formatDate(date: DateInput, lang: 'th' | 'en', opts: FormatDateOptions = {}): string {
  const p = calendarParts(date);
  const weekdayIndex = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
  if (lang === 'th') {
    const monthName = (opts.month === 'short' ? THAI_MONTHS_SHORT : THAI_MONTHS_LONG)[p.month - 1];
    let s = `${p.day} ${monthName} ${p.year + 543}`;
    if (opts.weekday) s = `วัน${THAI_WEEKDAY_NAMES[weekdayIndex]}ที่ ${s}`;
    return opts.thaiDigits ? asciiDigitsToThai(s) : s;
  }
  const monthName = (opts.month === 'short' ? ENGLISH_MONTHS_SHORT : ENGLISH_MONTHS_LONG)[p.month - 1];
  const s = `${p.day} ${monthName} ${p.year}`;
  return opts.weekday ? `${ENGLISH_WEEKDAY_NAMES[weekdayIndex]}, ${s}` : s;
}

/** `5 มี.ค. 2567 เวลา 13:30 น.` / `5 Mar 2024, 13:30` — the instant in Bangkok. */
export function formatDateTime(date: Date, lang: 'th' | 'en', opts: { thaiDigits?: boolean } = {}): string {
  const p = bangkokParts(date);
  const time = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
  if (lang === 'th') {
    const s = `${formatDate(date, 'th', { month: 'short' })} เวลา ${time} น.`;
    return opts.thaiDigits ? asciiDigitsToThai(s) : s;
  }
  return `${formatDate(date, 'en', { month: 'short' })}, ${time}`;
}

/** The instant at `hh:mm` Bangkok time on an ISO calendar date (Bangkok is UTC+7 all year). */
export function bangkokDateTime(isoDateStr: string, hour = 0, minute = 0): Date {
  const [y, m, d] = isoDateStr.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d, hour - 7, minute));
}
