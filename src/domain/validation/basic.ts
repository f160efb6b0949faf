import { editDistance, normalizeInput, normalizeMultiline } from '../../core/text/normalize.js';
import type { Validated, Validator } from './types.js';

function fail(errorKey: string, params?: Record<string, string | number>, suggestions?: string[]): Validated<never> {
  const r: { ok: false; errorKey: string; params?: Record<string, string | number>; suggestions?: string[] } = {
    ok: false,
    errorKey,
  };
  if (params) r.params = params;
  if (suggestions && suggestions.length > 0) r.suggestions = suggestions;
  return r;
}

const codePoints = (s: string): number => [...s].length;

// ---------------------------------------------------------------------------------------------
// Full name
// ---------------------------------------------------------------------------------------------

const NAME_CHAR = /^[\p{Script=Thai}\p{Script=Latin}\p{M} .'-]$/u;
const NAME_LETTER = /[\p{Script=Thai}\p{Script=Latin}]/u;
// Thai-script characters that are not letters of a name: ฿ ฯ ๏ ๚ ๛ and Thai digits (already ASCII).
const THAI_NON_NAME = /[\u0E3F\u0E2F\u0E4F\u0E5A\u0E5B]/;

/**
 * A person's name as typed (title kept: `นาง สมศรี ใจดี`, `Mr. John Smith`), Thai or Latin letters with
 * spaces, dots, hyphens and apostrophes; spacing normalised. 2–100 characters.
 * Errors: `name.empty`, `name.tooShort`, `name.tooLong` ({max}), `name.hasDigits`, `name.invalidChars`.
 */
export const fullName: Validator<string> = (input) => {
  const name = normalizeInput(input);
  if (name === '') return fail('name.empty');
  if (/\d/.test(name)) return fail('name.hasDigits');
  for (const ch of name) {
    if (!NAME_CHAR.test(ch) || THAI_NON_NAME.test(ch)) return fail('name.invalidChars');
  }
  const letters = [...name].filter((c) => NAME_LETTER.test(c)).length;
  if (codePoints(name) < 2 || letters < 2) return fail('name.tooShort');
  if (codePoints(name) > 100) return fail('name.tooLong', { max: 100 });
  return { ok: true, value: name, display: name };
};

// ---------------------------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------------------------

const THAI_DIGIT_WORDS: ReadonlyArray<readonly [string, number]> = [
  ['ศูนย์', 0], ['หนึ่ง', 1], ['เอ็ด', 1], ['สอง', 2], ['ยี่', 2], ['สาม', 3], ['สี่', 4],
  ['ห้า', 5], ['หก', 6], ['เจ็ด', 7], ['แปด', 8], ['เก้า', 9],
];
const THAI_UNIT_WORDS: ReadonlyArray<readonly [string, number]> = [
  ['สิบ', 10], ['ร้อย', 100], ['พัน', 1_000], ['หมื่น', 10_000], ['แสน', 100_000], ['ล้าน', 1_000_000],
];

/**
 * Reads a Thai number written in words at the start of `s` (`สิบสอง` 12, `ยี่สิบเอ็ด` 21,
 * `สองพันห้าร้อย` 2500, `หนึ่งล้าน`). Returns the value and the unread rest, or undefined.
 */
export function parseThaiNumberWords(s: string): { value: number; rest: string } | undefined {
  let i = 0;
  let total = 0;
  let section = 0;
  let pending: number | undefined;
  let consumed = false;
  outer: while (i < s.length) {
    for (const [w, v] of THAI_DIGIT_WORDS) {
      if (s.startsWith(w, i)) {
        if (pending !== undefined) return undefined; // "สองสาม": not a number
        pending = v;
        i += w.length;
        consumed = true;
        continue outer;
      }
    }
    for (const [w, v] of THAI_UNIT_WORDS) {
      if (s.startsWith(w, i)) {
        if (v === 1_000_000) {
          section += pending ?? (section === 0 && total === 0 ? 1 : 0);
          total = (total + section) * v;
          section = 0;
        } else {
          section += (pending ?? 1) * v;
        }
        pending = undefined;
        i += w.length;
        consumed = true;
        continue outer;
      }
    }
    break;
  }
  if (!consumed) return undefined;
  return { value: total + section + (pending ?? 0), rest: s.slice(i) };
}

const UNIT_AFTER_DIGITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^\s*ล้าน/, 1_000_000], [/^\s*แสน/, 100_000], [/^\s*หมื่น/, 10_000], [/^\s*พัน/, 1_000], [/^\s*ร้อย/, 100],
];

const LEADING_QUANTITY_WORDS = /^(?:ประมาณ|ราวๆ|ราว|จำนวน|ทั้งหมด|รวม|อายุ|มี|ได้|ค่ะ|ครับ)+/;

type IntParse = { value: number } | { error: 'int.invalid' | 'int.notWhole' | 'int.oneNumber' };

/** Finds the one whole number in `12`, `12 คน`, `1,200`, `๑๒`, `ประมาณ 30 ชิ้น`, `สิบสอง`, `5 พัน`. */
export function parseLooseInt(input: string): IntParse {
  const text = normalizeInput(input).replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const numbers = [...text.matchAll(/(-?)(\d+)(\.\d+)?/g)];
  if (numbers.length > 1) return { error: 'int.oneNumber' };
  const m = numbers[0];
  if (m) {
    if (m[3] && !/^\.0+$/.test(m[3])) return { error: 'int.notWhole' };
    const precededByLetter = m.index > 0 && /[\p{L}]$/u.test(text.slice(0, m.index));
    let value = Number(m[2]);
    const after = text.slice(m.index + m[0].length);
    for (const [re, mult] of UNIT_AFTER_DIGITS) {
      if (re.test(after)) {
        value *= mult;
        break;
      }
    }
    if (m[1] === '-' && !precededByLetter) value = -value;
    if (!Number.isSafeInteger(value)) return { error: 'int.invalid' };
    return { value };
  }
  // No digits: Thai number words at the start, after leading words such as ประมาณ / จำนวน.
  const words = text.replace(/\s+/g, '').replace(LEADING_QUANTITY_WORDS, '');
  const r = parseThaiNumberWords(words);
  if (r) {
    if (parseThaiNumberWords(r.rest)) return { error: 'int.oneNumber' };
    return { value: r.value };
  }
  return { error: 'int.invalid' };
}

/**
 * Whole number between `min` and `max` inclusive. Thai digits and Thai number words are fine,
 * and so are words around it (`12 คน`). Display uses thousands separators.
 * Errors: `int.invalid`, `int.notWhole`, `int.oneNumber`, `int.tooSmall` ({min}), `int.tooLarge` ({max}).
 */
export function intBetween(min: number, max: number): Validator<number> {
  return (input) => {
    if (normalizeInput(input) === '') return fail('int.invalid');
    const r = parseLooseInt(input);
    if ('error' in r) return fail(r.error);
    if (r.value < min) return fail('int.tooSmall', { min });
    if (r.value > max) return fail('int.tooLarge', { max });
    return { ok: true, value: r.value, display: r.value.toLocaleString('en-US') };
  };
}

/** Whole number ≥ 1. */
export const positiveInt: Validator<number> = intBetween(1, Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------------------------------------
// Free text
// ---------------------------------------------------------------------------------------------

/**
 * Any non-empty text up to `maxLen` characters (code points), normalised. With `multiline`, line
 * breaks are kept (e.g. a product description); otherwise all whitespace becomes single spaces.
 * Errors: `text.empty`, `text.tooLong` ({max, length}).
 */
export function nonEmptyText(maxLen: number, opts: { multiline?: boolean } = {}): Validator<string> {
  return (input) => {
    const text = opts.multiline ? normalizeMultiline(input) : normalizeInput(input);
    if (text === '') return fail('text.empty');
    const length = codePoints(text);
    if (length > maxLen) return fail('text.tooLong', { max: maxLen, length });
    return { ok: true, value: text, display: text };
  };
}

// ---------------------------------------------------------------------------------------------
// Shop name or link
// ---------------------------------------------------------------------------------------------

export type ShopRef =
  | { kind: 'tiktok' | 'lazada'; url: string; handle?: string; shortLink?: boolean }
  | { kind: 'name'; name: string };

const URL_WITH_SCHEME = /https?:\/\/[^\s<>"']+/i;
const BARE_URL = /(?:^|[\s(])((?:[a-z0-9-]+\.)+(?:com|net|org|co\.th|in\.th|or\.th|th|shop|store|me|ly|link|app|page)(?:\/[^\s<>"']*)?)(?=$|[\s)])/i;
const TIKTOK_HANDLE = /^[A-Za-z0-9._]{2,24}$/;

type LinkResult = { ref: ShopRef } | { error: string };

function classifyLink(raw: string): LinkResult {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return { error: 'shop.linkInvalid' };
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const path = url.pathname.replace(/\/+$/, '');
  const segments = path.split('/').filter(Boolean);

  if (host === 'tiktok.com' || host === 'www.tiktok.com' || host === 'm.tiktok.com') {
    const first = segments[0] ?? '';
    if (first.startsWith('@')) {
      const handle = decodeURIComponent(first.slice(1));
      if (!TIKTOK_HANDLE.test(handle)) return { error: 'shop.linkInvalid' };
      return { ref: { kind: 'tiktok', url: `https://www.tiktok.com/@${handle}`, handle } };
    }
    if (first === 't' && segments[1]) {
      return { ref: { kind: 'tiktok', url: `https://www.tiktok.com/t/${segments[1]}`, shortLink: true } };
    }
    if (first === 'shop' && segments[1] === 'store' && segments.length >= 3) {
      return { ref: { kind: 'tiktok', url: `https://www.tiktok.com${path}` } };
    }
    if (first === 'shop' || first === 'view') return { error: 'shop.productLink' };
    return { error: 'shop.linkNotShop' };
  }
  if (host === 'shop.tiktok.com') {
    if (segments.length === 0) return { error: 'shop.linkNotShop' };
    if (segments[0] === 'view' && segments[1] === 'product') return { error: 'shop.productLink' };
    return { ref: { kind: 'tiktok', url: `https://shop.tiktok.com${path}` } };
  }
  if (host === 'vt.tiktok.com' || host === 'vm.tiktok.com') {
    if (!segments[0]) return { error: 'shop.linkInvalid' };
    return { ref: { kind: 'tiktok', url: `https://${host}/${segments[0]}/`, shortLink: true } };
  }
  if (host === 'lazada.co.th' || host === 'www.lazada.co.th' || host === 'm.lazada.co.th') {
    if (segments[0] === 'shop' && segments[1]) {
      const handle = decodeURIComponent(segments[1]);
      return { ref: { kind: 'lazada', url: `https://www.lazada.co.th/shop/${segments[1]}`, handle } };
    }
    if (segments[0] === 'products' || /-i\d+(?:-s\d+)?\.html$/.test(path)) {
      return { error: 'shop.productLink' };
    }
    return { error: 'shop.linkNotShop' };
  }
  if (host === 's.lazada.co.th' || host === 'c.lazada.co.th') {
    if (!segments[0]) return { error: 'shop.linkInvalid' };
    return { ref: { kind: 'lazada', url: `https://${host}/${segments.join('/')}`, shortLink: true } };
  }
  return { error: 'shop.linkUnsupported' };
}

/**
 * A TikTok Shop or Lazada shop link, or a plain shop name (2–60 characters).
 * Links: `https://www.tiktok.com/@name`, `https://shop.tiktok.com/…`, `vt.tiktok.com`/`vm.tiktok.com`
 * short links, `https://www.lazada.co.th/shop/…`, `s.lazada.co.th` short links; with or without
 * `https://`, and found inside shared text ("ดูร้านเรา https://vt.tiktok.com/ZS…/"). `@handle` alone is read
 * as a TikTok account. Tracking query strings are dropped.
 * Errors: `shop.empty`, `shop.tooShort`, `shop.tooLong` ({max}), `shop.linkInvalid`, `shop.linkUnsupported`,
 * `shop.linkNotShop`, `shop.productLink`.
 */
export const shopNameOrLink: Validator<ShopRef> = (input) => {
  const text = normalizeInput(input);
  if (text === '') return fail('shop.empty');
  const link = URL_WITH_SCHEME.exec(text)?.[0] ?? BARE_URL.exec(text)?.[1];
  if (link) {
    const r = classifyLink(link.replace(/[.,;!?)]+$/, ''));
    if ('error' in r) return fail(r.error);
    return { ok: true, value: r.ref, display: r.ref.kind === 'name' ? r.ref.name : r.ref.url };
  }
  const handle = /^@([A-Za-z0-9._]+)$/.exec(text)?.[1];
  if (handle !== undefined && TIKTOK_HANDLE.test(handle)) {
    const ref: ShopRef = { kind: 'tiktok', url: `https://www.tiktok.com/@${handle}`, handle };
    return { ok: true, value: ref, display: `@${handle}` };
  }
  const length = codePoints(text);
  if (length < 2 || !/[\p{L}\p{N}]/u.test(text)) return fail('shop.tooShort');
  if (length > 60) return fail('shop.tooLong', { max: 60 });
  return { ok: true, value: { kind: 'name', name: text }, display: text };
};

// ---------------------------------------------------------------------------------------------
// OTOP registration number
// ---------------------------------------------------------------------------------------------

/**
 * OTOP registration number: no published format, so an opaque string of 3–40 letters (Thai or Latin),
 * digits, `-` and `/`. Spaces are removed, Latin letters upper-cased, Thai digits converted.
 * Errors: `otopReg.empty`, `otopReg.invalidChars`, `otopReg.length` ({min, max}).
 */
export const otopRegistrationNumber: Validator<string> = (input) => {
  const value = normalizeInput(input).replace(/\s+/g, '').toUpperCase();
  if (value === '') return fail('otopReg.empty');
  if (!/^[\p{L}\p{M}\d/-]+$/u.test(value) || !/[\p{L}\d]/u.test(value)) return fail('otopReg.invalidChars');
  const length = codePoints(value);
  if (length < 3 || length > 40) return fail('otopReg.length', { min: 3, max: 40 });
  return { ok: true, value, display: value };
};

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

const COMMON_EMAIL_DOMAINS = [
  'gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'live.com',
  'hotmail.co.th', 'outlook.co.th', 'yahoo.co.th', 'me.com', 'msn.com',
];
/** Real domains close to a common one: never "corrected". */
const OTHER_KNOWN_DOMAINS = ['mail.com', 'gmx.com', 'aol.com', 'ymail.com', 'proton.me', 'protonmail.com', 'live.co.uk'];
const EMAIL = /^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;

/** The common mail domain `domain` was probably meant to be, if it is a near miss. */
function suggestEmailDomain(domain: string): string | undefined {
  if (COMMON_EMAIL_DOMAINS.includes(domain) || OTHER_KNOWN_DOMAINS.includes(domain)) return undefined;
  if (!domain.includes('.')) {
    const bare = COMMON_EMAIL_DOMAINS.find((d) => d.split('.')[0] === domain);
    if (bare) return bare;
  }
  let best: { d: string; dist: number } | undefined;
  for (const d of COMMON_EMAIL_DOMAINS) {
    const dist = editDistance(domain, d);
    const allowed = d.length < 9 ? 1 : 2;
    if (dist <= allowed && (!best || dist < best.dist)) best = { d, dist };
  }
  return best?.d;
}

/**
 * An email address. Spaces are removed (`somchai @ gmail . com`), the domain lower-cased, `mailto:`
 * dropped. Near misses of common domains (`gmail.con`, `hotnail.com`, `gmail`) are refused with a
 * suggestion. Errors: `email.empty`, `email.invalid`, `email.checkDomain` (+ suggestions).
 */
export const email: Validator<string> = (input) => {
  const text = normalizeInput(input).replace(/^mailto:/i, '').replace(/\s+/g, '').replace(/\.+$/, '');
  if (text === '') return fail('email.empty');
  const at = text.lastIndexOf('@');
  if (at <= 0 || text.indexOf('@') !== at) return fail('email.invalid');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase().replace(/\.{2,}/g, '.');
  const suggestion = suggestEmailDomain(domain);
  if (suggestion) return fail('email.checkDomain', { domain: suggestion }, [`${local}@${suggestion}`]);
  const value = `${local}@${domain}`;
  if (!EMAIL.test(value) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return fail('email.invalid');
  }
  return { ok: true, value, display: value };
};
