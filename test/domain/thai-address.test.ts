import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AddressIndex,
  addressIndexIfLoaded,
  districtValidator,
  listDistricts,
  listProvinces,
  listSubdistricts,
  loadAddressIndex,
  matchAddressText,
  matchDistrict,
  matchProvince,
  matchSubdistrict,
  postcodeFor,
  postcodeValidator,
  provinceValidator,
  searchDistricts,
  subdistrictValidator,
  subdistrictsForPostcode,
} from '../../src/domain/thai-address.js';

const th = { lang: 'th' as const };
const en = { lang: 'en' as const };
let index: AddressIndex;

beforeAll(async () => {
  index = await loadAddressIndex();
});

describe('address index', () => {
  it('when loaded, then it holds 77 provinces, 928 districts and about 7,500 subdistricts', () => {
    expect(index.stats.provinces).toBe(77);
    expect(index.stats.districts).toBe(928);
    expect(index.stats.subdistricts).toBeGreaterThan(7400);
    expect(index.stats.loadMs).toBeGreaterThan(0);
  });
  it('when loaded twice, then the same index is returned and is available synchronously', async () => {
    expect(await loadAddressIndex()).toBe(index);
    expect(addressIndexIfLoaded()).toBe(index);
  });
  it('when keys are listed, then every district and subdistrict key is unique', () => {
    const districtCodes = index.listProvinces().flatMap((p) => index.listDistricts(p.code).map((d) => d.code));
    expect(new Set(districtCodes).size).toBe(districtCodes.length);
    const subCodes = districtCodes.flatMap((c) => index.listSubdistricts(c).map((s) => s.code));
    expect(new Set(subCodes).size).toBe(subCodes.length);
    expect(subCodes.length).toBe(index.stats.subdistricts);
  });
  it('when two Chiang Mai districts share geocode 5003 in the data, then they get distinct composite keys', async () => {
    const shared = (await listDistricts('50')).filter((d) => d.geocode === '5003');
    expect(shared.map((d) => d.nameTh).sort()).toEqual(['กัลยาณิวัฒนา', 'แม่แจ่ม']);
    expect(shared.map((d) => d.code).sort()).toEqual(['50:กัลยาณิวัฒนา', '50:แม่แจ่ม']);
    expect(index.district('5003')).toBeUndefined();
    const galyani = shared.find((d) => d.nameTh === 'กัลยาณิวัฒนา');
    expect(galyani?.nameEn).toBe('Galyani Vadhana');
    expect((await listSubdistricts(galyani?.code ?? '')).map((s) => s.nameTh).sort()).toEqual(['บ้านจันทร์', 'แจ่มหลวง', 'แม่แดด'].sort());
    expect((await listSubdistricts('50:แม่แจ่ม')).length).toBeGreaterThan(3);
  });
  it('when a district has a unique geocode, then that geocode is its key', () => {
    expect(index.district('5001')?.nameTh).toBe('เมืองเชียงใหม่');
  });
});

describe('listProvinces / listDistricts / listSubdistricts', () => {
  it('when listing in Thai, then provinces are in Thai dictionary order; in English, alphabetical', async () => {
    const thai = await listProvinces('th');
    expect(thai).toHaveLength(77);
    expect(thai[0]?.nameTh).toBe('กระบี่');
    const eng = await listProvinces('en');
    expect(eng[0]?.nameEn).toBe('Amnat Charoen');
    expect(eng.find((p) => p.code === '10')).toEqual({ code: '10', nameTh: 'กรุงเทพมหานคร', nameEn: 'Bangkok' });
  });
  it('when listing Chiang Mai districts, then all 25 come with Thai and English names', async () => {
    const ds = await listDistricts('50');
    expect(ds).toHaveLength(25);
    expect(ds.find((d) => d.code === '5007')).toMatchObject({ nameTh: 'แม่ริม', nameEn: 'Mae Rim', provinceCode: '50' });
  });
  it('when listing subdistricts, then each has its postcode', async () => {
    const subs = await listSubdistricts('5001');
    expect(subs.find((s) => s.nameTh === 'ศรีภูมิ')).toMatchObject({ code: '500101', nameEn: 'Si Phum', postcode: '50200', districtCode: '5001' });
    expect(await postcodeFor('500101')).toBe('50200');
    expect(await postcodeFor(subs[0]!)).toMatch(/^\d{5}$/);
  });
  it('when an unknown code is given, then lists are empty', async () => {
    expect(await listDistricts('00')).toEqual([]);
    expect(await listSubdistricts('9999')).toEqual([]);
    expect(await postcodeFor('nope')).toBeUndefined();
  });
  it('when a subdistrict has several postcodes, then all are kept', () => {
    const wangMai = index.listSubdistricts('1007').find((s) => s.nameTh === 'วังใหม่');
    expect(wangMai?.postcodes.length).toBeGreaterThan(1);
    expect(wangMai?.postcode).toBe('10330');
  });
  it('when looking up by postcode (Thai digits fine), then the subdistricts it serves come back', async () => {
    const subs = await subdistrictsForPostcode('๕๐๒๐๐');
    expect(subs.map((s) => s.nameTh)).toContain('ศรีภูมิ');
    expect(subs.every((s) => s.postcodes.includes('50200'))).toBe(true);
  });
});

describe('matchProvince', () => {
  it.each([
    ['เชียงใหม่', 'เชียงใหม่'],
    ['จ.เชียงใหม่', 'เชียงใหม่'],
    ['จังหวัด เชียงใหม่', 'เชียงใหม่'],
    ['  เชียง ใหม่ ', 'เชียงใหม่'],
    ['Chiangmai', 'เชียงใหม่'],
    ['chiang mai', 'เชียงใหม่'],
    ['CHIANG MAI PROVINCE', 'เชียงใหม่'],
    ['กทม', 'กรุงเทพมหานคร'],
    ['กทม.', 'กรุงเทพมหานคร'],
    ['กรุงเทพ', 'กรุงเทพมหานคร'],
    ['กรุงเทพฯ', 'กรุงเทพมหานคร'],
    ['Bangkok', 'กรุงเทพมหานคร'],
    ['BKK', 'กรุงเทพมหานคร'],
    ['โคราช', 'นครราชสีมา'],
    ['อยุธยา', 'พระนครศรีอยุธยา'],
    ['ขอนแกน', 'ขอนแก่น'],
    ['ลําปาง', 'ลำปาง'],
    ['อุบล', 'อุบลราชธานี'],
    ['50', 'เชียงใหม่'],
    ['Nakhon Ratchasima', 'นครราชสีมา'],
    ['เชียงใหม่ค่ะ', 'เชียงใหม่'],
    ['อยู่ลำพูนครับ', 'ลำพูน'],
  ])('when "%s" is typed, then the exact match is %s', async (input, nameTh) => {
    expect((await matchProvince(input)).exact?.nameTh).toBe(nameTh);
  });
  it('when a typo "เชียงไหม่" (ไ for ใ) is typed, then เชียงใหม่ is the best match', async () => {
    const m = await matchProvince('เชียงไหม่');
    expect(m.exact?.nameTh).toBe('เชียงใหม่');
    expect(m.suggestions[0]?.nameTh).toBe('เชียงใหม่');
  });
  it.each([
    ['ชลบุลี', 'ชลบุรี'],
    ['ศรีษะเกษ', 'ศรีสะเกษ'],
    ['กาญบุรี', 'กาญจนบุรี'],
    ['kon kaen', 'ขอนแก่น'],
    ['Chiang Mia', 'เชียงใหม่'],
    ['นครศรีธรรมราด', 'นครศรีธรรมราช'],
  ])('when a typo "%s" is typed, then no exact match but %s is the first suggestion', async (input, nameTh) => {
    const m = await matchProvince(input);
    expect(m.exact).toBeUndefined();
    expect(m.suggestions[0]?.nameTh).toBe(nameTh);
  });
  it('when an ambiguous start "เชียง" is typed, then both เชียงใหม่ and เชียงราย are suggested', async () => {
    const m = await matchProvince('เชียง');
    expect(m.exact).toBeUndefined();
    expect(m.suggestions.map((p) => p.nameTh).sort()).toEqual(['เชียงราย', 'เชียงใหม่']);
  });
  it('when nonsense is typed, then nothing is suggested', async () => {
    expect(await matchProvince('xyz')).toEqual({ suggestions: [] });
    expect(await matchProvince('')).toEqual({ suggestions: [] });
  });
});

describe('matchDistrict / searchDistricts', () => {
  it.each([
    ['แม่ริม', 'แม่ริม'],
    ['อ.แม่ริม', 'แม่ริม'],
    ['อำเภอ แม่ริม', 'แม่ริม'],
    ['mae rim', 'แม่ริม'],
    ['เเม่ริม', 'แม่ริม'],
    ['เมือง', 'เมืองเชียงใหม่'],
    ['อ.เมือง', 'เมืองเชียงใหม่'],
    ['Muang Chiang Mai', 'เมืองเชียงใหม่'],
    ['Mueang', 'เมืองเชียงใหม่'],
    ['แม่แจ่ม', 'แม่แจ่ม'],
    ['กัลยาณิวัฒนา', 'กัลยาณิวัฒนา'],
    ['Galyani Vadhana', 'กัลยาณิวัฒนา'],
    ['สันทราย', 'สันทราย'],
    ['แม่ริมค่ะ', 'แม่ริม'],
  ])('when "%s" is typed for Chiang Mai, then the exact match is %s', async (input, nameTh) => {
    expect((await matchDistrict('50', input)).exact?.nameTh).toBe(nameTh);
  });
  it('when a typo "แม่ลิม" is typed, then แม่ริม is suggested first', async () => {
    const m = await matchDistrict('50', 'แม่ลิม');
    expect(m.exact).toBeUndefined();
    expect(m.suggestions[0]?.nameTh).toBe('แม่ริม');
  });
  it('when a Bangkok khet is typed with its prefix, then it matches', async () => {
    expect((await matchDistrict('10', 'เขตบางรัก')).exact?.code).toBe('1004');
  });
  it('when a name really ends in นะ (ท่าชนะ), then the particle rule does not break it', async () => {
    const surat = (await matchProvince('สุราษฎร์ธานี')).exact;
    expect((await matchDistrict(surat?.code ?? '', 'ท่าชนะ')).exact?.nameTh).toBe('ท่าชนะ');
  });
  it('when a district of another province is typed, then there is no exact match', async () => {
    expect((await matchDistrict('50', 'หาดใหญ่')).exact).toBeUndefined();
  });
  it('when searching nationwide, then a district name shared by several provinces gives all of them', async () => {
    const m = await searchDistricts('เฉลิมพระเกียรติ');
    expect(m.exact).toBeUndefined();
    expect(m.suggestions.length).toBe(5);
    expect(new Set(m.suggestions.map((d) => d.provinceCode)).size).toBe(5);
    expect((await searchDistricts('อ.แม่ริม')).exact?.provinceCode).toBe('50');
  });
});

describe('matchSubdistrict', () => {
  it.each([
    ['ศรีภูมิ', 'ศรีภูมิ'],
    ['ต.ศรีภูมิ', 'ศรีภูมิ'],
    ['ตำบล ศรีภูมิ', 'ศรีภูมิ'],
    ['Si Phum', 'ศรีภูมิ'],
    ['suthep', 'สุเทพ'],
    ['ช้างคลาน', 'ช้างคลาน'],
  ])('when "%s" is typed in Mueang Chiang Mai, then the exact match is %s', async (input, nameTh) => {
    expect((await matchSubdistrict('5001', input)).exact?.nameTh).toBe(nameTh);
  });
  it('when a typo "ช้างเผอก" is typed, then ช้างเผือก is suggested first', async () => {
    const m = await matchSubdistrict('5001', 'ช้างเผอก');
    expect(m.exact).toBeUndefined();
    expect(m.suggestions[0]?.nameTh).toBe('ช้างเผือก');
  });
  it('when a Bangkok khwaeng is typed with แขวง, then it matches', async () => {
    expect((await matchSubdistrict('1007', 'แขวงลุมพินี')).exact?.code).toBe('100704');
  });
});

describe('matchAddressText (the address of a shared LINE location)', () => {
  it('when the location is in Chiang Mai city (Thai address), then province, district and subdistrict are found', async () => {
    const r = await matchAddressText('QX5M+2R ตำบล ศรีภูมิ อำเภอเมืองเชียงใหม่ เชียงใหม่ 50200 ประเทศไทย');
    expect(r.province?.code).toBe('50');
    expect(r.district?.code).toBe('5001');
    expect(r.subdistrict?.code).toBe('500101');
    expect(r.postcode).toBe('50200');
  });
  it('when the location is in Chiang Mai city (English address), then it resolves the same way', async () => {
    const r = await matchAddressText('239 Huay Kaew Rd, Suthep, Mueang Chiang Mai District, Chiang Mai 50200, Thailand');
    expect([r.province?.nameTh, r.district?.nameTh, r.subdistrict?.nameTh]).toEqual(['เชียงใหม่', 'เมืองเชียงใหม่', 'สุเทพ']);
  });
  it('when the location is in Bangkok, then khet and khwaeng are found, even with another English spelling', async () => {
    const a = await matchAddressText('แขวงลุมพินี เขตปทุมวัน กรุงเทพมหานคร 10330 ประเทศไทย');
    expect([a.province?.code, a.district?.code, a.subdistrict?.nameTh]).toEqual(['10', '1007', 'ลุมพินี']);
    const b = await matchAddressText('Khwaeng Lumphini, Khet Pathum Wan, Krung Thep Maha Nakhon 10330, Thailand');
    expect([b.province?.code, b.district?.code, b.subdistrict?.nameTh]).toEqual(['10', '1007', 'ลุมพินี']);
    const c = await matchAddressText('1 ถนนพระราม 1 แขวงปทุมวัน เขตปทุมวัน กรุงเทพมหานคร 10330');
    expect(c.subdistrict?.nameTh).toBe('ปทุมวัน');
  });
  it('when there is no postcode, then names alone are used', async () => {
    const r = await matchAddressText('ต.ช้างเผือก อ.เมืองเชียงใหม่ จ.เชียงใหม่');
    expect([r.province?.code, r.district?.code, r.subdistrict?.nameTh]).toEqual(['50', '5001', 'ช้างเผือก']);
  });
  it('when the text names only a province, then only the province is returned', async () => {
    expect(await matchAddressText('เชียงใหม่')).toEqual({ province: { code: '50', nameTh: 'เชียงใหม่', nameEn: 'Chiang Mai' } });
    expect(await matchAddressText('somewhere')).toEqual({});
  });
});

describe('address validators', () => {
  it('when a province is typed exactly, then the validator returns it with the name in the user language', () => {
    expect(provinceValidator('จ.เชียงใหม่', th)).toMatchObject({ ok: true, value: { code: '50' }, display: 'เชียงใหม่' });
    expect(provinceValidator('chiang mai', en)).toMatchObject({ ok: true, display: 'Chiang Mai' });
  });
  it('when a province is mistyped, then the error asks which one and offers names as suggestions', () => {
    expect(provinceValidator('ชลบุลี', th)).toEqual({ ok: false, errorKey: 'address.provinceCheck', suggestions: ['ชลบุรี'] });
    expect(provinceValidator('xyz', th)).toEqual({ ok: false, errorKey: 'address.provinceNotFound' });
  });
  it('when a district and subdistrict are validated within their parent, then typos give suggestions', () => {
    expect(districtValidator('50')('แม่ริม', th)).toMatchObject({ ok: true, value: { code: '5007' } });
    expect(districtValidator('50')('แม่ลิม', th)).toMatchObject({ ok: false, errorKey: 'address.districtCheck' });
    expect(districtValidator('50')('zzzz', th)).toEqual({ ok: false, errorKey: 'address.districtNotFound' });
    expect(subdistrictValidator('5001')('ต.ศรีภูมิ', th)).toMatchObject({ ok: true, value: { postcode: '50200' } });
    expect(subdistrictValidator('5001')('qqqq', th)).toEqual({ ok: false, errorKey: 'address.subdistrictNotFound' });
  });
  it('when a postcode is validated, then format and existence are checked', () => {
    expect(postcodeValidator('๕๐๒๐๐', th)).toEqual({ ok: true, value: '50200', display: '50200' });
    expect(postcodeValidator('5020', th)).toEqual({ ok: false, errorKey: 'address.postcodeFormat' });
    expect(postcodeValidator('00000', th)).toEqual({ ok: false, errorKey: 'address.postcodeNotFound' });
  });
});
