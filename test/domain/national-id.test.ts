import { describe, expect, it } from 'vitest';
import {
  hasValidNationalIdChecksum,
  maskNationalId,
  nationalId,
  nationalIdCheckDigit,
  nationalIdWeightedSum,
} from '../../src/domain/validation/national-id.js';

const th = { lang: 'th' as const };

describe('nationalId', () => {
  it('when a valid ID is typed with dashes, then the 13 digits are returned and the display is masked', () => {
    expect(nationalId('1-1037-00012-34-6', th)).toEqual({ ok: true, value: '1103700012346', display: 'X-XXXX-XXXXX-34-6' });
  });
  it.each(['1103700012346', '1 1037 00012 34 6', '1.1037.00012.34.6', ' 1-1037-00012-34-6 ', '１１０３７０００１２３４６'])(
    'when typed as "%s", then it is accepted',
    (input) => {
      expect(nationalId(input, th)).toMatchObject({ ok: true, value: '1103700012346' });
    },
  );
  it('when typed in Thai digits, then it is accepted', () => {
    expect(nationalId('๑-๑๐๓๗-๐๐๐๑๒-๓๔-๖', th)).toMatchObject({ ok: true, value: '1103700012346' });
  });
  it('when S mod 11 = 0, then the check digit is 1 ((11 − 0) mod 10) and 1-1037-00012-37-1 is valid', () => {
    expect(nationalIdWeightedSum('110370001237') % 11).toBe(0);
    expect(nationalIdCheckDigit('110370001237')).toBe(1);
    expect(nationalId('1-1037-00012-37-1', th)).toMatchObject({ ok: true, value: '1103700012371' });
  });
  it('when S mod 11 = 1, then the check digit is 0 ((11 − 1) mod 10) and 1-1037-00012-01-0 is valid', () => {
    expect(nationalIdWeightedSum('110370001201') % 11).toBe(1);
    expect(nationalIdCheckDigit('110370001201')).toBe(0);
    expect(nationalId('1-1037-00012-01-0', th)).toMatchObject({ ok: true, value: '1103700012010' });
    expect(nationalId('1-1037-00012-01-1', th)).toMatchObject({ ok: false, errorKey: 'nationalId.checksum' });
  });
  it('when one digit is wrong, then the error is the checksum', () => {
    expect(nationalId('1-1037-00012-34-7', th)).toEqual({ ok: false, errorKey: 'nationalId.checksum' });
    expect(nationalId('1-1037-00021-34-6', th)).toEqual({ ok: false, errorKey: 'nationalId.checksum' });
  });
  it('when the length is wrong, then the error says so with the digit count (not a checksum error)', () => {
    expect(nationalId('1-1037-00012-34', th)).toEqual({ ok: false, errorKey: 'nationalId.length', params: { digits: 12 } });
    expect(nationalId('11037000123466', th)).toEqual({ ok: false, errorKey: 'nationalId.length', params: { digits: 14 } });
  });
  it('when letters are typed, then the error is notDigits', () => {
    expect(nationalId('1-1037-0OO12-34-6', th)).toEqual({ ok: false, errorKey: 'nationalId.notDigits' });
  });
  it('when nothing is typed, then the error is empty', () => {
    expect(nationalId('  ', th)).toEqual({ ok: false, errorKey: 'nationalId.empty' });
  });
  it('when the first digit is 0 or 9, then it is refused even with a correct checksum', () => {
    const zero = `010370001234`;
    const nine = `910370001234`;
    expect(nationalId(zero + nationalIdCheckDigit(zero), th)).toEqual({ ok: false, errorKey: 'nationalId.firstDigit' });
    expect(nationalId(nine + nationalIdCheckDigit(nine), th)).toEqual({ ok: false, errorKey: 'nationalId.firstDigit' });
  });
  it('when the first digit is 1 to 8 with a correct checksum, then it is accepted', () => {
    for (let first = 1; first <= 8; first++) {
      const base = `${first}10370001234`;
      expect(nationalId(base + nationalIdCheckDigit(base), th).ok).toBe(true);
    }
  });
  it('when the checksum helper gets a non-13-digit string, then it is false', () => {
    expect(hasValidNationalIdChecksum('123')).toBe(false);
  });
});

describe('maskNationalId', () => {
  it('when masking, then only the last 3 digits show', () => {
    expect(maskNationalId('1103700012346')).toBe('X-XXXX-XXXXX-34-6');
    expect(maskNationalId('1-1037-00012-34-6')).toBe('X-XXXX-XXXXX-34-6');
  });
  it('when the input is not 13 digits, then nothing is revealed', () => {
    expect(maskNationalId('12345')).toBe('X-XXXX-XXXXX-XX-X');
  });
});
