import { normalizeInput } from '../../core/text/normalize.js';
import type { Validator } from './types.js';

/**
 * Several short items in one message: "ข้าวกล้องหอมมะลิ, น้ำพริกเผา" or one per line.
 * Separators: comma (also Thai/full-width), semicolon, slash, new line, "และ", " and ".
 */
/** Splits typed text into items (see itemList); bullets and numbering are dropped. */
export function splitItems(input: string): string[] {
  return input
    .split(/[,，、;；\n/]|\s+และ\s*|\s+and\s+/i)
    .map((p) => normalizeInput(p).replace(/^[-•*\d.)\s]+/, '').trim())
    .filter(Boolean);
}

export function itemList(maxItems: number, maxLength: number): Validator<string[]> {
  return (input) => {
    const unique = [...new Set(splitItems(input))];
    if (unique.length === 0) return { ok: false, errorKey: 'list.empty' };
    if (unique.length > maxItems) return { ok: false, errorKey: 'list.tooMany', params: { max: maxItems } };
    const long = unique.find((i) => i.length > maxLength);
    if (long) return { ok: false, errorKey: 'list.itemTooLong', params: { max: maxLength } };
    return { ok: true, value: unique, display: unique.join(', ') };
  };
}
