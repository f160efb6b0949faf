import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizeInput } from '../../core/text/normalize.js';
import type { Validated, Validator } from './types.js';

/**
 * Thai mobile numbers: domestic `0[689]` + 8 digits, E.164 `+66` + 9 digits.
 * Landlines are `0[2-57]` + 7 digits (9 digits in all): rejected with their own message.
 * libphonenumber-js (max metadata) decides mobile vs other for the 06/08/09 ranges, so
 * unallocated or VoIP-only ranges (060, 069) are refused.
 */

/** Words people put around a number: "โทร 081…", "เบอร์มือถือ: 081…", "Tel. 081…". */
const LEADING_WORDS = /^(?:(?:โทร(?:ศัพท์)?|เบอร์(?:โทร)?|มือถือ|tel|phone|mobile|mob)\.?\s*:?\s*)+/i;

/** `0812345678` → `081-234-5678`. */
export function formatThaiMobile(domestic10: string): string {
  return `${domestic10.slice(0, 3)}-${domestic10.slice(3, 6)}-${domestic10.slice(6)}`;
}

/** E.164 `+66812345678` → `081-234-5678`; anything else unchanged. */
export function displayE164(e164: string): string {
  const m = /^\+66(\d{9})$/.exec(e164);
  return m ? formatThaiMobile(`0${m[1]}`) : e164;
}

/**
 * Accepts `0812345678`, `081-234-5678`, `081 234 5678`, `081.234.5678`, `(081) 234-5678`,
 * `+66 81 234 5678`, `66812345678`, `0066812345678`, `+66(0)812345678`, `812345678` (leading 0 dropped),
 * Thai and full-width digits. Value: E.164 `+66XXXXXXXXX`; display `08X-XXX-XXXX`.
 * Errors: `phone.empty`, `phone.invalid`, `phone.notThai`, `phone.landline`, `phone.tooShort`,
 * `phone.tooLong`, `phone.notMobile`.
 */
export const thaiMobile: Validator<string> = (input) => {
  const text = normalizeInput(input).replace(LEADING_WORDS, '');
  if (text === '') return fail('phone.empty');
  if (!/^[+\d\s().-]*$/.test(text) || !/\d/.test(text)) return fail('phone.invalid');
  if (text.lastIndexOf('+') > 0) return fail('phone.invalid');

  const plus = text.startsWith('+');
  let digits = text.replace(/\D/g, '');

  // International forms: +66…, 0066…, 66… (11+ digits); "(0)" after the country code is dropped.
  let international = false;
  if (plus || digits.startsWith('00')) {
    if (digits.startsWith('00')) digits = digits.slice(2);
    if (!digits.startsWith('66')) return fail('phone.notThai');
    international = true;
  } else if (digits.startsWith('66') && digits.length >= 11) {
    international = true;
  }
  let domestic: string;
  if (international) {
    let national = digits.slice(2);
    if (national.startsWith('0')) national = national.slice(1);
    domestic = `0${national}`;
  } else if (/^[689]\d{8}$/.test(digits)) {
    domestic = `0${digits}`; // leading 0 forgotten
  } else {
    domestic = digits;
  }

  if (!domestic.startsWith('0')) {
    return domestic.length < 9 ? fail('phone.tooShort') : fail('phone.invalid');
  }
  const isMobileRange = /^0[689]/.test(domestic);
  const isLandlineRange = /^0[2-57]/.test(domestic);
  if (isLandlineRange) {
    if (domestic.length === 9) return fail('phone.landline');
    return domestic.length < 9 ? fail('phone.tooShort') : fail('phone.tooLong');
  }
  if (!isMobileRange) return fail('phone.invalid');
  if (domestic.length < 10) return fail('phone.tooShort');
  if (domestic.length > 10) return fail('phone.tooLong');

  const parsed = parsePhoneNumberFromString(domestic, 'TH');
  const type = parsed?.getType();
  if (!parsed || !parsed.isValid() || (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE')) {
    return fail('phone.notMobile');
  }
  return { ok: true, value: parsed.number, display: formatThaiMobile(domestic) };
};

function fail(errorKey: string): Validated<never> {
  return { ok: false, errorKey };
}
