import { describe, expect, it } from 'vitest';
import {
  email,
  fullName,
  intBetween,
  nonEmptyText,
  otopRegistrationNumber,
  parseThaiNumberWords,
  positiveInt,
  shopNameOrLink,
} from '../../src/domain/validation/basic.js';

const th = { lang: 'th' as const };

describe('fullName', () => {
  it.each([
    ['สมศรี ใจดี', 'สมศรี ใจดี'],
    ['  นาง   สมศรี\u00A0 ใจดี ', 'นาง สมศรี ใจดี'],
    ['น.ส.สมศรี ใจดี', 'น.ส.สมศรี ใจดี'],
    ['Mr. John Smith-Jones', 'Mr. John Smith-Jones'],
    ["D'Arcy O'Neil", "D'Arcy O'Neil"],
    ['José Müller', 'José Müller'],
    ['สมชาย Smith', 'สมชาย Smith'],
    ['แม่ ทองคำ', 'แม่ ทองคำ'],
    ['ป้า', 'ป้า'],
  ])('when "%s" is typed, then it is kept as typed with normalised spacing: "%s"', (input, value) => {
    expect(fullName(input, th)).toEqual({ ok: true, value, display: value });
  });
  it.each(['0812345678', 'สมศรี 2', '๑๒๓'])('when "%s" contains digits, then name.hasDigits', (input) => {
    expect(fullName(input, th)).toEqual({ ok: false, errorKey: 'name.hasDigits' });
  });
  it.each(['สมศรี@ใจดี', 'สมศรี 😀', '你好', 'สมศรี ฿'])('when "%s" has other characters, then name.invalidChars', (input) => {
    expect(fullName(input, th)).toEqual({ ok: false, errorKey: 'name.invalidChars' });
  });
  it.each(['ก', 'a', '.-', 'ก.'])('when "%s" is too short, then name.tooShort', (input) => {
    expect(fullName(input, th)).toEqual({ ok: false, errorKey: 'name.tooShort' });
  });
  it('when the name is over 100 characters, then name.tooLong', () => {
    expect(fullName('ก'.repeat(101), th)).toEqual({ ok: false, errorKey: 'name.tooLong', params: { max: 100 } });
    expect(fullName('ก'.repeat(100), th).ok).toBe(true);
  });
  it('when nothing is typed, then name.empty', () => {
    expect(fullName(' \u200B ', th)).toEqual({ ok: false, errorKey: 'name.empty' });
  });
});

describe('intBetween / positiveInt', () => {
  const members = intBetween(1, 500);
  it.each([
    ['12', 12],
    ['12 คน', 12],
    ['ประมาณ 30 ชิ้น', 30],
    ['๑๒', 12],
    ['๑๒ คน', 12],
    ['１２', 12],
    [' 7 ', 7],
    ['12.0', 12],
    ['สิบสอง', 12],
    ['สิบสองคน', 12],
    ['ยี่สิบเอ็ด คน', 21],
    ['ประมาณร้อยห้าสิบ', 150],
  ])('when "%s" is typed, then the value is %i', (input, value) => {
    expect(members(input, th)).toMatchObject({ ok: true, value });
  });
  it('when thousands separators or Thai unit words are used, then the number is read', () => {
    const money = intBetween(0, 10_000_000);
    expect(money('1,200 บาท', th)).toEqual({ ok: true, value: 1200, display: '1,200' });
    expect(money('5 พัน', th)).toMatchObject({ ok: true, value: 5000 });
    expect(money('2 ล้าน', th)).toMatchObject({ ok: true, value: 2_000_000 });
    expect(money('สองพันห้าร้อย', th)).toMatchObject({ ok: true, value: 2500 });
    expect(money('หนึ่งล้านสองแสน', th)).toMatchObject({ ok: true, value: 1_200_000 });
  });
  it('when below the minimum, then int.tooSmall with min', () => {
    expect(members('0', th)).toEqual({ ok: false, errorKey: 'int.tooSmall', params: { min: 1 } });
    expect(members('-3', th)).toEqual({ ok: false, errorKey: 'int.tooSmall', params: { min: 1 } });
  });
  it('when above the maximum, then int.tooLarge with max', () => {
    expect(members('501', th)).toEqual({ ok: false, errorKey: 'int.tooLarge', params: { max: 500 } });
  });
  it('when a decimal is typed, then int.notWhole', () => {
    expect(members('12.5', th)).toEqual({ ok: false, errorKey: 'int.notWhole' });
  });
  it('when two numbers are typed, then int.oneNumber', () => {
    expect(members('10-20 คน', th)).toEqual({ ok: false, errorKey: 'int.oneNumber' });
    expect(members('10 หรือ 20', th)).toEqual({ ok: false, errorKey: 'int.oneNumber' });
  });
  it.each(['', 'เยอะ', 'many', 'ไม่รู้'])('when "%s" has no number, then int.invalid', (input) => {
    expect(members(input, th)).toEqual({ ok: false, errorKey: 'int.invalid' });
  });
  it('when positiveInt gets 0 or 1, then 0 is refused and 1 accepted', () => {
    expect(positiveInt('0', th)).toMatchObject({ ok: false, errorKey: 'int.tooSmall' });
    expect(positiveInt('๑', th)).toMatchObject({ ok: true, value: 1 });
  });
  it('when Thai number words are parsed directly, then "สองสาม" is not a number', () => {
    expect(parseThaiNumberWords('สองสาม')).toBeUndefined();
    expect(parseThaiNumberWords('ห้าสิบเอ็ดคน')).toEqual({ value: 51, rest: 'คน' });
  });
});

describe('nonEmptyText', () => {
  const shortText = nonEmptyText(12); // counted in code points: 'ผ้าไหม ทอมือ' is 12
  it('when text is within the limit, then it is normalised and returned', () => {
    expect(shortText('  ผ้าไหม   ทอมือ ', th)).toEqual({ ok: true, value: 'ผ้าไหม ทอมือ', display: 'ผ้าไหม ทอมือ' });
  });
  it('when text is blank or only invisible characters, then text.empty', () => {
    expect(shortText(' \u200B\u00A0', th)).toEqual({ ok: false, errorKey: 'text.empty' });
  });
  it('when text is too long, then text.tooLong with max and length', () => {
    expect(shortText('1234567890123', th)).toEqual({ ok: false, errorKey: 'text.tooLong', params: { max: 12, length: 13 } });
  });
  it('when multiline is on, then line breaks are kept', () => {
    expect(nonEmptyText(100, { multiline: true })('ผ้าไหม\nทอมือ', th)).toMatchObject({ ok: true, value: 'ผ้าไหม\nทอมือ' });
  });
});

describe('shopNameOrLink', () => {
  it.each([
    ['https://www.tiktok.com/@baanpadaeng', { kind: 'tiktok', url: 'https://www.tiktok.com/@baanpadaeng', handle: 'baanpadaeng' }],
    ['www.tiktok.com/@baan.pa_daeng?lang=th', { kind: 'tiktok', url: 'https://www.tiktok.com/@baan.pa_daeng', handle: 'baan.pa_daeng' }],
    ['https://m.tiktok.com/@shop99/video/7301234567890', { kind: 'tiktok', url: 'https://www.tiktok.com/@shop99', handle: 'shop99' }],
    ['@baanpadaeng', { kind: 'tiktok', url: 'https://www.tiktok.com/@baanpadaeng', handle: 'baanpadaeng' }],
    ['https://shop.tiktok.com/view/shop/7494123456789?region=TH', { kind: 'tiktok', url: 'https://shop.tiktok.com/view/shop/7494123456789' }],
    ['https://vt.tiktok.com/ZSabc123/', { kind: 'tiktok', url: 'https://vt.tiktok.com/ZSabc123/', shortLink: true }],
    ['ดูร้านเราได้ที่ https://vt.tiktok.com/ZSabc123/ นะคะ', { kind: 'tiktok', url: 'https://vt.tiktok.com/ZSabc123/', shortLink: true }],
    ['https://vm.tiktok.com/ZMxyz/', { kind: 'tiktok', url: 'https://vm.tiktok.com/ZMxyz/', shortLink: true }],
    ['https://www.lazada.co.th/shop/baan-pa-daeng/?spm=a2o4m.pdp', { kind: 'lazada', url: 'https://www.lazada.co.th/shop/baan-pa-daeng', handle: 'baan-pa-daeng' }],
    ['lazada.co.th/shop/otop-silk', { kind: 'lazada', url: 'https://www.lazada.co.th/shop/otop-silk', handle: 'otop-silk' }],
    ['https://s.lazada.co.th/s.ZxYw1', { kind: 'lazada', url: 'https://s.lazada.co.th/s.ZxYw1', shortLink: true }],
    ['HTTPS://WWW.TIKTOK.COM/@Somsri', { kind: 'tiktok', url: 'https://www.tiktok.com/@Somsri', handle: 'Somsri' }],
  ])('when given "%s", then it is read as a shop link', (input, value) => {
    expect(shopNameOrLink(input, th)).toMatchObject({ ok: true, value });
  });
  it.each([
    ['ผ้าไหมบ้านป้าแดง', 'ผ้าไหมบ้านป้าแดง'],
    ['  ร้าน   OTOP ๙๙ ', 'ร้าน OTOP 99'],
    ['AB', 'AB'],
  ])('when a plain name "%s" is given, then it is a shop name', (input, name) => {
    expect(shopNameOrLink(input, th)).toEqual({ ok: true, value: { kind: 'name', name }, display: name });
  });
  it('when the shop name is too short or too long, then shop.tooShort / shop.tooLong', () => {
    expect(shopNameOrLink('ก', th)).toEqual({ ok: false, errorKey: 'shop.tooShort' });
    expect(shopNameOrLink('!!', th)).toEqual({ ok: false, errorKey: 'shop.tooShort' });
    expect(shopNameOrLink('ก'.repeat(61), th)).toEqual({ ok: false, errorKey: 'shop.tooLong', params: { max: 60 } });
  });
  it('when a Shopee or Facebook link is given, then shop.linkUnsupported', () => {
    expect(shopNameOrLink('https://shopee.co.th/baanpadaeng', th)).toEqual({ ok: false, errorKey: 'shop.linkUnsupported' });
    expect(shopNameOrLink('https://www.facebook.com/baanpadaeng', th)).toEqual({ ok: false, errorKey: 'shop.linkUnsupported' });
  });
  it('when a product link is given, then shop.productLink', () => {
    expect(shopNameOrLink('https://www.lazada.co.th/products/silk-scarf-i123456-s789.html', th)).toEqual({ ok: false, errorKey: 'shop.productLink' });
    expect(shopNameOrLink('https://shop.tiktok.com/view/product/1729384756', th)).toEqual({ ok: false, errorKey: 'shop.productLink' });
  });
  it('when a TikTok or Lazada link is not a shop page, then shop.linkNotShop', () => {
    expect(shopNameOrLink('https://www.tiktok.com/explore', th)).toEqual({ ok: false, errorKey: 'shop.linkNotShop' });
    expect(shopNameOrLink('https://www.lazada.co.th/', th)).toEqual({ ok: false, errorKey: 'shop.linkNotShop' });
  });
  it('when nothing is typed, then shop.empty', () => {
    expect(shopNameOrLink('', th)).toEqual({ ok: false, errorKey: 'shop.empty' });
  });
});

describe('otopRegistrationNumber', () => {
  it.each([
    ['5001-0123/2567', '5001-0123/2567'],
    ['otop-50 01 23', 'OTOP-500123'],
    ['๕๐๐๑/๒๕๖๗', '5001/2567'],
    ['ชม-123', 'ชม-123'],
  ])('when "%s" is typed, then the value is "%s"', (input, value) => {
    expect(otopRegistrationNumber(input, th)).toMatchObject({ ok: true, value });
  });
  it('when it has other symbols, then otopReg.invalidChars', () => {
    expect(otopRegistrationNumber('5001#12', th)).toEqual({ ok: false, errorKey: 'otopReg.invalidChars' });
    expect(otopRegistrationNumber('--/', th)).toEqual({ ok: false, errorKey: 'otopReg.invalidChars' });
  });
  it('when it is shorter than 3 or longer than 40, then otopReg.length', () => {
    expect(otopRegistrationNumber('12', th)).toEqual({ ok: false, errorKey: 'otopReg.length', params: { min: 3, max: 40 } });
    expect(otopRegistrationNumber('1'.repeat(41), th)).toMatchObject({ ok: false, errorKey: 'otopReg.length' });
  });
  it('when nothing is typed, then otopReg.empty', () => {
    expect(otopRegistrationNumber(' ', th)).toEqual({ ok: false, errorKey: 'otopReg.empty' });
  });
});

describe('email', () => {
  it.each([
    ['somsri@gmail.com', 'somsri@gmail.com'],
    ['Somsri.J@Gmail.COM', 'Somsri.J@gmail.com'],
    [' somsri @ gmail . com ', 'somsri@gmail.com'],
    ['somsri＠gmail.com', 'somsri@gmail.com'],
    ['mailto:shop+otop@baanpadaeng.co.th', 'shop+otop@baanpadaeng.co.th'],
    ['a@mail.com', 'a@mail.com'],
    ['somsri@hotmail.co.th.', 'somsri@hotmail.co.th'],
  ])('when "%s" is typed, then the value is %s', (input, value) => {
    expect(email(input, th)).toEqual({ ok: true, value, display: value });
  });
  it.each([
    ['somsri@gmail.con', 'somsri@gmail.com'],
    ['somsri@gmial.com', 'somsri@gmail.com'],
    ['somsri@hotnail.com', 'somsri@hotmail.com'],
    ['somsri@gmail', 'somsri@gmail.com'],
    ['somsri@yahoo.co', 'somsri@yahoo.com'],
  ])('when a common domain is mistyped in "%s", then email.checkDomain suggests %s', (input, suggestion) => {
    expect(email(input, th)).toMatchObject({ ok: false, errorKey: 'email.checkDomain', suggestions: [suggestion] });
  });
  it.each(['somsri', 'somsri@', '@gmail.com', 'som@sri@gmail.com', 'somsri@example', '.somsri@gmail.com', 'som..sri@gmail.com', 'สมศรี@gmail.com'])(
    'when "%s" is typed, then email.invalid',
    (input) => {
      expect(email(input, th)).toEqual({ ok: false, errorKey: 'email.invalid' });
    },
  );
  it('when nothing is typed, then email.empty', () => {
    expect(email('', th)).toEqual({ ok: false, errorKey: 'email.empty' });
  });
});
