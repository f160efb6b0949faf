import { loadAddressIndex, type AddressIndex, type District, type Province, type Subdistrict } from '../../domain/thai-address.js';
import type { FlowAction, Option, OptionSource, SourceContext } from '../../flows/registry.js';
import { getPath, setPath } from '../../flows/paths.js';

/** What an address answer stores: code and both names (shown in the user's language). */
export interface Place {
  code: string;
  nameTh: string;
  nameEn: string;
  postcode?: string;
}

const place = (p: Province | District | Subdistrict): Place => ({
  code: p.code,
  nameTh: p.nameTh,
  nameEn: p.nameEn,
  ...('postcode' in p && p.postcode ? { postcode: p.postcode } : {}),
});
const option = (p: Province | District | Subdistrict, lang: string): Option => ({
  value: p.code,
  label: lang === 'en' ? p.nameEn : p.nameTh,
  data: place(p),
});
const codeAt = (ctx: SourceContext, field: string) => (getPath(ctx.answers, field) as Place | undefined)?.code ?? '';

/** Names in the user's language order: Thai order for Thai, English order for English. */
const byName = (lang: string) => {
  const th = new Intl.Collator('th');
  const en = new Intl.Collator('en');
  return (a: { nameTh: string; nameEn: string }, b: { nameTh: string; nameEn: string }) =>
    lang === 'en' ? en.compare(a.nameEn, b.nameEn) : th.compare(a.nameTh, b.nameTh);
};

/** Tambons per province: OTOP is "one tambon, one product", so more tambons means more producers. */
let tambonCounts: Map<string, number> | undefined;
function tambonsIn(index: AddressIndex, code: string): number {
  if (!tambonCounts) {
    tambonCounts = new Map();
    for (const p of index.listProvinces()) {
      tambonCounts.set(p.code, index.listDistricts(p.code).reduce((n, d) => n + index.listSubdistricts(d.code).length, 0));
    }
  }
  return tambonCounts.get(code) ?? 0;
}

/** The province the user is known to be near: the one on file, or the one in a shared location's address. */
async function nearProvince(index: AddressIndex, ctx: SourceContext): Promise<string | undefined> {
  const onFile = codeAt(ctx, 'address.province');
  if (onFile) return onFile;
  const loc = getPath(ctx.answers, 'address.location') as { address?: string } | undefined;
  return loc?.address ? (await index.matchAddressText(loc.address)).province?.code : undefined;
}

/**
 * The 77 provinces; typing a name (with typos, short forms like กทม/โคราช) finds one. Offered
 * nearest first when we know where the user is (that province, then its region: province codes
 * share their first digit by region), else the provinces with the most tambons first.
 */
export const provinces: OptionSource = {
  async list(ctx) {
    const index = await loadAddressIndex();
    const near = await nearProvince(index, ctx);
    const rank = (p: Province) => (p.code === near ? 0 : near && p.code[0] === near[0] ? 1 : 2);
    const names = byName(ctx.lang);
    return index
      .listProvinces(ctx.lang)
      .sort((a, b) => rank(a) - rank(b) || tambonsIn(index, b.code) - tambonsIn(index, a.code) || names(a, b))
      .map((p) => option(p, ctx.lang));
  },
  async match(input, ctx) {
    const m = (await loadAddressIndex()).matchProvince(input);
    return { exact: m.exact && option(m.exact, ctx.lang), suggestions: m.suggestions.map((p) => option(p, ctx.lang)) };
  },
  async resolve(code, ctx) {
    const p = (await loadAddressIndex()).province(code);
    return p && option(p, ctx.lang);
  },
};

/** Districts (amphoe/khet) of the province already answered at `address.province`. */
export const districts: OptionSource = {
  async list(ctx) {
    return (await loadAddressIndex()).listDistricts(codeAt(ctx, 'address.province')).sort(byName(ctx.lang)).map((d) => option(d, ctx.lang));
  },
  async match(input, ctx) {
    const m = (await loadAddressIndex()).matchDistrict(codeAt(ctx, 'address.province'), input);
    return { exact: m.exact && option(m.exact, ctx.lang), suggestions: m.suggestions.map((d) => option(d, ctx.lang)) };
  },
  async resolve(code, ctx) {
    const d = (await loadAddressIndex()).district(code);
    return d && d.provinceCode === codeAt(ctx, 'address.province') ? option(d, ctx.lang) : undefined;
  },
};

/** Subdistricts (tambon/khwaeng) of the district at `address.district`; carries the postcode. */
export const subdistricts: OptionSource = {
  async list(ctx) {
    return (await loadAddressIndex()).listSubdistricts(codeAt(ctx, 'address.district')).sort(byName(ctx.lang)).map((s) => option(s, ctx.lang));
  },
  async match(input, ctx) {
    const m = (await loadAddressIndex()).matchSubdistrict(codeAt(ctx, 'address.district'), input);
    return { exact: m.exact && option(m.exact, ctx.lang), suggestions: m.suggestions.map((s) => option(s, ctx.lang)) };
  },
  async resolve(code, ctx) {
    const s = (await loadAddressIndex()).subdistrict(code);
    return s && s.districtCode === codeAt(ctx, 'address.district') ? option(s, ctx.lang) : undefined;
  },
};

/** Sets province, district and subdistrict from free address text; false unless all three are found. */
async function setAddressFrom(text: string, a: Parameters<FlowAction>[0]): Promise<boolean> {
  const found = await (await loadAddressIndex()).matchAddressText(text);
  if (!found.province || !found.district || !found.subdistrict) return false;
  const { ctx, state, answers } = a;
  setPath(answers, 'address.province', place(found.province));
  setPath(answers, 'address.district', place(found.district));
  setPath(answers, 'address.subdistrict', place(found.subdistrict));
  const name = (p: { nameTh: string; nameEn: string }) => (ctx.lang === 'en' ? p.nameEn : p.nameTh);
  state.display.addressText = [name(found.subdistrict), name(found.district), name(found.province), found.subdistrict.postcode ?? '']
    .filter(Boolean)
    .join(', ');
  return true;
}

/**
 * A shared LINE location carries the address text LINE resolved; match it to province, district
 * and subdistrict. Outcome "found" (all three, to be confirmed by the user) or "notFound".
 */
export const addressFromLocation: FlowAction = async (a) => {
  const loc = getPath(a.answers, 'address.location') as { address?: string } | undefined;
  if (loc?.address && (await setAddressFrom(loc.address, a))) return { outcome: 'found' };
  a.ctx.say(a.ctx.t('registration:address.locationNotFound'));
  return { outcome: 'notFound' };
};

/**
 * A whole address typed where the province was asked ("ต.ริมใต้ อ.แม่ริม เชียงใหม่"): take all three
 * at once (the user confirms next). Anything less is left to the province matching.
 */
export const addressFromText: FlowAction = async (a) => {
  const text = String(a.params.text ?? '');
  return { outcome: (await setAddressFrom(text, a)) ? 'found' : 'notFound' };
};
