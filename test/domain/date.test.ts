import { describe, expect, it } from 'vitest';
import {
  bangkokDateTime,
  bangkokToday,
  formatDate,
  formatDateTime,
  parseThaiDate,
  resolveYear,
} from '../../src/domain/validation/date.js';

// 2024-03-04T18:30:00Z is already 5 March 2024, 01:30 in Bangkok (UTC+7); the test process runs in UTC.
const now = new Date('2024-03-04T18:30:00Z');
const th = { lang: 'th' as const, now };
const en = { lang: 'en' as const, now };

describe('parseThaiDate', () => {
  it.each([
    '5/3/2567',
    '05/03/2567',
    '5-3-2567',
    '05-03-2024',
    '5.3.2567',
    '5/3/67',
    '5/3/24',
    '2024-03-05',
    '5 มี.ค. 67',
    '5 มี.ค. 2567',
    '5มี.ค.67',
    '5 มีค 67',
    '5 มีนาคม 2567',
    '5 มีนา 67',
    '5 มีนาคม พ.ศ. 2567',
    'วันอังคารที่ 5 มีนาคม 2567',
    'วันที่ 5 มี.ค. 2567',
    '๕ มีนาคม ๒๕๖๗',
    '๕/๓/๒๕๖๗',
    'March 5, 2024',
    '5 March 2024',
    '5 Mar 2024',
    'Mar. 5th, 2024',
    'Tuesday, 5 March 2024',
    '05032567',
    '20240305',
    '5 มีนาคม ค.ศ. 2024',
    '  5 / 3 / 2567 ',
  ])('when "%s" is typed, then it is 2024-03-05', (input) => {
    expect(parseThaiDate(input, th)).toEqual({ ok: true, value: '2024-03-05', display: '5 มีนาคม 2567' });
  });
  it('when the user language is English, then the display is C.E. with an English month', () => {
    expect(parseThaiDate('5/3/2567', en)).toEqual({ ok: true, value: '2024-03-05', display: '5 March 2024' });
  });
  it('when a Thai month name has a 2-digit year below 60, then the year is still B.E.', () => {
    expect(parseThaiDate('1 ต.ค. 45', th)).toMatchObject({ ok: true, value: '2002-10-01' });
  });
  it('when a numeric 2-digit year is below 60, then it is C.E. 20yy; 60–99 is B.E. 25yy', () => {
    expect(parseThaiDate('1/10/45', th)).toMatchObject({ ok: true, value: '2045-10-01' });
    expect(parseThaiDate('1/10/66', th)).toMatchObject({ ok: true, value: '2023-10-01' });
  });
  it('when the year rule is applied directly, then it follows the documented table', () => {
    expect(resolveYear('2567')).toBe(2024);
    expect(resolveYear('2024')).toBe(2024);
    expect(resolveYear('2400')).toBe(1857);
    expect(resolveYear('67')).toBe(2024);
    expect(resolveYear('60')).toBe(2017);
    expect(resolveYear('59')).toBe(2059);
    expect(resolveYear('24')).toBe(2024);
    expect(resolveYear('45', { thaiMonthName: true })).toBe(2002);
    expect(resolveYear('2567', { era: 'ce' })).toBe(2567);
    expect(resolveYear('24', { era: 'be' })).toBe(1981);
  });
  it('when no year is typed, then it is the current year in Bangkok', () => {
    expect(parseThaiDate('10 ส.ค.', th)).toMatchObject({ ok: true, value: '2024-08-10' });
    expect(parseThaiDate('10/8', th)).toMatchObject({ ok: true, value: '2024-08-10' });
  });
  it('when the user types today/tomorrow/yesterday, then the Bangkok date is used (not the UTC one)', () => {
    expect(parseThaiDate('วันนี้', th)).toMatchObject({ ok: true, value: '2024-03-05' });
    expect(parseThaiDate('พรุ่งนี้', th)).toMatchObject({ ok: true, value: '2024-03-06' });
    expect(parseThaiDate('เมื่อวาน', th)).toMatchObject({ ok: true, value: '2024-03-04' });
    expect(parseThaiDate('today', en)).toMatchObject({ ok: true, value: '2024-03-05', display: '5 March 2024' });
  });
  it('when a common misspelling of a month is typed, then it is understood', () => {
    expect(parseThaiDate('1 กรกฏาคม 2567', th)).toMatchObject({ ok: true, value: '2024-07-01' });
    expect(parseThaiDate('1 กุมภาพัน 2567', th)).toMatchObject({ ok: true, value: '2024-02-01' });
    expect(parseThaiDate('1 Sept 2024', th)).toMatchObject({ ok: true, value: '2024-09-01' });
  });
  it('when the day does not exist in the month, then date.noSuchDate with day and month', () => {
    expect(parseThaiDate('31/4/2567', th)).toEqual({ ok: false, errorKey: 'date.noSuchDate', params: { day: 31, month: 4 } });
    expect(parseThaiDate('30 ก.พ. 2567', th)).toEqual({ ok: false, errorKey: 'date.noSuchDate', params: { day: 30, month: 2 } });
    expect(parseThaiDate('5/13/2567', th)).toEqual({ ok: false, errorKey: 'date.noSuchDate', params: { day: 5, month: 13 } });
  });
  it('when 29 February is typed, then leap years are respected (2567 B.E. = 2024 is a leap year)', () => {
    expect(parseThaiDate('29/2/2567', th)).toMatchObject({ ok: true, value: '2024-02-29' });
    expect(parseThaiDate('29/2/2566', th)).toMatchObject({ ok: false, errorKey: 'date.noSuchDate' });
  });
  it('when the year is far outside 1900–2200 C.E., then date.yearOutOfRange', () => {
    expect(parseThaiDate('5/3/1800', th)).toEqual({ ok: false, errorKey: 'date.yearOutOfRange' });
    expect(parseThaiDate('5 มี.ค. พ.ศ. 2024', th)).toEqual({ ok: false, errorKey: 'date.yearOutOfRange' });
  });
  it.each(['พรุ่งนี้เช้า', 'abc', '5 มีนาคม ปีหน้า', '5/3/256', '12345', 'มี.ค. 2567', '5 มี.ค. เม.ย. 2567', '5/3/2567/1', '5 ! 3'])(
    'when "%s" is typed, then date.invalid',
    (input) => {
      expect(parseThaiDate(input, th)).toEqual({ ok: false, errorKey: 'date.invalid' });
    },
  );
  it('when nothing is typed, then date.empty', () => {
    expect(parseThaiDate('   ', th)).toEqual({ ok: false, errorKey: 'date.empty' });
  });
});

describe('formatDate / formatDateTime (Asia/Bangkok)', () => {
  it('when an instant is already the next day in Bangkok, then that Bangkok day is shown', () => {
    expect(formatDate(now, 'th')).toBe('5 มีนาคม 2567');
    expect(formatDate(now, 'en')).toBe('5 March 2024');
    expect(bangkokToday(now)).toBe('2024-03-05');
  });
  it('when an ISO calendar date is given, then it is not shifted by any time zone', () => {
    expect(formatDate('2024-03-05', 'th')).toBe('5 มีนาคม 2567');
    expect(formatDate('2024-12-31', 'en')).toBe('31 December 2024');
  });
  it('when short months, weekday or Thai digits are asked for, then they are used', () => {
    expect(formatDate('2024-03-05', 'th', { month: 'short' })).toBe('5 มี.ค. 2567');
    expect(formatDate('2024-03-05', 'en', { month: 'short' })).toBe('5 Mar 2024');
    expect(formatDate('2024-03-05', 'th', { weekday: true })).toBe('วันอังคารที่ 5 มีนาคม 2567');
    expect(formatDate('2024-03-05', 'en', { weekday: true })).toBe('Tuesday, 5 March 2024');
    expect(formatDate('2024-03-05', 'th', { thaiDigits: true })).toBe('๕ มีนาคม ๒๕๖๗');
  });
  it('when a date-time is formatted, then the Bangkok wall-clock time is shown', () => {
    const t = new Date('2024-03-05T06:30:00Z'); // 13:30 in Bangkok
    expect(formatDateTime(t, 'th')).toBe('5 มี.ค. 2567 เวลา 13:30 น.');
    expect(formatDateTime(t, 'en')).toBe('5 Mar 2024, 13:30');
    expect(formatDateTime(now, 'th')).toBe('5 มี.ค. 2567 เวลา 01:30 น.');
    expect(formatDateTime(t, 'th', { thaiDigits: true })).toBe('๕ มี.ค. ๒๕๖๗ เวลา ๑๓:๓๐ น.');
  });
  it('when the formatting matches Intl with the Bangkok zone, then our tables agree with ICU', () => {
    const icu = new Intl.DateTimeFormat('th-TH', { timeZone: 'Asia/Bangkok', dateStyle: 'long' }).format(now);
    expect(formatDate(now, 'th')).toBe(icu);
  });
  it('when building an instant from a Bangkok wall-clock time, then it is 7 hours behind in UTC', () => {
    expect(bangkokDateTime('2024-03-05', 13, 30).toISOString()).toBe('2024-03-05T06:30:00.000Z');
    expect(bangkokDateTime('2024-03-05').toISOString()).toBe('2024-03-04T17:00:00.000Z');
  });
  it('when given an invalid date, then it throws', () => {
    expect(() => formatDate(new Date('nope'), 'th')).toThrow(RangeError);
  });
});
