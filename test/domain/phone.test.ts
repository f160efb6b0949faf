import { describe, expect, it } from 'vitest';
import { displayE164, formatThaiMobile, thaiMobile } from '../../src/domain/validation/phone.js';

const th = { lang: 'th' as const };

describe('thaiMobile', () => {
  it.each([
    '0812345678',
    '081-234-5678',
    '081 234 5678',
    '081.234.5678',
    '(081) 234-5678',
    '+66 81 234 5678',
    '+66812345678',
    '66812345678',
    '0066812345678',
    '+66(0)812345678',
    '+66 (0) 81-234-5678',
    '๐๘๑๒๓๔๕๖๗๘',
    '๐๘๑-๒๓๔-๕๖๗๘',
    '０８１２３４５６７８',
    '812345678',
    'โทร 081-234-5678',
    'เบอร์มือถือ: 0812345678',
    'Tel. 081 234 5678',
    '081–234–5678',
  ])('when typed as "%s", then it is +66812345678 shown as 081-234-5678', (input) => {
    expect(thaiMobile(input, th)).toEqual({ ok: true, value: '+66812345678', display: '081-234-5678' });
  });
  it.each([
    ['0612345678', '+66612345678'],
    ['0901234567', '+66901234567'],
    ['0991234567', '+66991234567'],
    ['0801234567', '+66801234567'],
  ])('when a 06/08/09 mobile "%s" is typed, then it is accepted as %s', (input, e164) => {
    expect(thaiMobile(input, th)).toMatchObject({ ok: true, value: e164 });
  });
  it.each(['02-123-4567', '021234567', '+66 2 123 4567', '053-123-456', '053123456', '๐๒๑๒๓๔๕๖๗'])(
    'when a landline "%s" is typed, then the error says it looks like a landline',
    (input) => {
      expect(thaiMobile(input, th)).toEqual({ ok: false, errorKey: 'phone.landline' });
    },
  );
  it.each(['081234567', '081-234-567', '1234', '08'])('when "%s" is too short, then phone.tooShort', (input) => {
    expect(thaiMobile(input, th)).toEqual({ ok: false, errorKey: 'phone.tooShort' });
  });
  it.each(['08123456789', '0812345678 0812345678', '+668123456789'])('when "%s" is too long, then phone.tooLong', (input) => {
    expect(thaiMobile(input, th)).toEqual({ ok: false, errorKey: 'phone.tooLong' });
  });
  it.each(['+1 415 555 0100', '+856 20 1234 5678', '0044 20 7946 0958'])('when a foreign number "%s" is typed, then phone.notThai', (input) => {
    expect(thaiMobile(input, th)).toEqual({ ok: false, errorKey: 'phone.notThai' });
  });
  it.each(['abc', 'ไม่มี', '081-abc-5678', '081,234,5678', '08+1234567'])('when "%s" is not a number, then phone.invalid', (input) => {
    expect(thaiMobile(input, th)).toEqual({ ok: false, errorKey: 'phone.invalid' });
  });
  it('when the range is VoIP or unallocated (060, 069), then phone.notMobile', () => {
    expect(thaiMobile('0601234567', th)).toEqual({ ok: false, errorKey: 'phone.notMobile' });
    expect(thaiMobile('0691234567', th)).toEqual({ ok: false, errorKey: 'phone.notMobile' });
  });
  it('when nothing is typed, then phone.empty', () => {
    expect(thaiMobile('   ', th)).toEqual({ ok: false, errorKey: 'phone.empty' });
  });
});

describe('phone display helpers', () => {
  it('when formatting, then the groups are 3-3-4', () => {
    expect(formatThaiMobile('0812345678')).toBe('081-234-5678');
    expect(displayE164('+66812345678')).toBe('081-234-5678');
    expect(displayE164('+14155550100')).toBe('+14155550100');
  });
});
