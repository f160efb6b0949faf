import { normalizeInput } from '../../core/text/normalize.js';
import type { Validated, Validator } from './types.js';

/**
 * Thai national ID (เลขประจำตัวประชาชน), 13 digits d1..d13:
 * S = Σ d_i × (14 − i) for i = 1..12; check digit = (11 − S mod 11) mod 10 must equal d13.
 * The checksum does not prove the number exists. Never log it; store it encrypted; show it masked.
 *
 * First digit: the person category, 1–8 for people in the Thai civil registry. 0 (people without
 * registered status) is rejected; 9 is not an issued category as far as we could confirm, so it is
 * rejected too. This is a judgement call ([U] in the domain notes): 1–8 accepted.
 */

/** Σ d_i × (14 − i), i = 1..12 (digits as a 12- or 13-character string). */
export function nationalIdWeightedSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (13 - i);
  return sum;
}

/** The 13th digit for the first 12. */
export function nationalIdCheckDigit(first12: string): number {
  return (11 - (nationalIdWeightedSum(first12) % 11)) % 10;
}

/** True when `digits` is exactly 13 ASCII digits with a correct check digit (any first digit). */
export function hasValidNationalIdChecksum(digits: string): boolean {
  return /^\d{13}$/.test(digits) && nationalIdCheckDigit(digits) === Number(digits[12]);
}

/** Only the last 3 digits stay visible: `1103700012346` → `X-XXXX-XXXXX-34-6`. */
export function maskNationalId(id: string): string {
  const d = normalizeInput(id).replace(/\D/g, '');
  if (d.length !== 13) return 'X-XXXX-XXXXX-XX-X';
  return `X-XXXX-XXXXX-${d.slice(10, 12)}-${d.slice(12)}`;
}

/** Separators people type between the groups: spaces, dashes, dots, slashes. */
const SEPARATORS = /[\s\-./_,]/g;

/**
 * Accepts `1-1037-00012-34-6`, `1 1037 00012 34 6`, `1103700012346`, Thai digits, full-width digits.
 * Value: the 13 digits. Display: masked.
 * Errors: `nationalId.empty`, `nationalId.notDigits`, `nationalId.length` ({digits}),
 * `nationalId.firstDigit`, `nationalId.checksum`.
 */
export const nationalId: Validator<string> = (input) => {
  const compact = normalizeInput(input).replace(SEPARATORS, '');
  if (compact === '') return fail('nationalId.empty');
  if (!/^\d+$/.test(compact)) return fail('nationalId.notDigits');
  if (compact.length !== 13) return fail('nationalId.length', { digits: compact.length });
  const first = Number(compact[0]);
  if (first < 1 || first > 8) return fail('nationalId.firstDigit');
  if (!hasValidNationalIdChecksum(compact)) return fail('nationalId.checksum');
  return { ok: true, value: compact, display: maskNationalId(compact) };
};

function fail(errorKey: string, params?: Record<string, string | number>): Validated<never> {
  return params ? { ok: false, errorKey, params } : { ok: false, errorKey };
}
