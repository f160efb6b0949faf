/**
 * What an officer may see and touch: the one place that turns an officer into database filters and
 * checks. Every officer route (dashboard, admin API) and every officer action in LINE builds its
 * queries from these functions, so "a province officer sees only their province" is decided here
 * and nowhere else.
 *
 * - admin (national): everything;
 * - province officer: producers, help requests and trainings of their provinces;
 * - district officer: producers and help requests of their districts; trainings of the provinces
 *   those districts are in (trainings are organised per province).
 */

export type OfficerRole = 'admin' | 'province' | 'district';
export const OFFICER_ROLES: readonly OfficerRole[] = ['admin', 'province', 'district'];

export interface Scope {
  officerId: string;
  role: OfficerRole;
  provinceCodes: readonly string[];
  districtCodes: readonly string[];
}

/** An officer asked for something outside their area: answered 404 (routes) or refused (LINE). */
export class ScopeError extends Error {
  constructor(message = 'outside the officer\u2019s area') {
    super(message);
    this.name = 'ScopeError';
  }
}

type Filter = Record<string, unknown>;
/** A filter matching nothing, for a scope that is (wrongly) empty: fail closed. */
const NOTHING: Filter = { _id: { $in: [] } };

/** Where a producer lives, in the field names of the collection being filtered. */
interface PlaceFields {
  province: string;
  district: string;
}

function placeFilter(scope: Scope, f: PlaceFields): Filter {
  if (scope.role === 'admin') return {};
  if (scope.role === 'district') {
    return scope.districtCodes.length ? { [f.district]: { $in: [...scope.districtCodes] } } : NOTHING;
  }
  return scope.provinceCodes.length ? { [f.province]: { $in: [...scope.provinceCodes] } } : NOTHING;
}

/** Producers (collection `producers`) the officer may see. */
export function producerFilter(scope: Scope): Filter {
  return placeFilter(scope, { province: 'address.province.code', district: 'address.district.code' });
}

/** Help requests (collection `help_requests`) the officer may see and handle. */
export function helpRequestFilter(scope: Scope): Filter {
  return placeFilter(scope, { province: 'provinceCode', district: 'districtCode' });
}

/** Trainings the officer may list, edit and take attendance for (onsite, in their provinces). */
export function trainingFilter(scope: Scope): Filter {
  if (scope.role === 'admin') return {};
  return scope.provinceCodes.length ? { provinceCode: { $in: [...scope.provinceCodes] } } : NOTHING;
}

/** Is this place (a producer's address, a help request) inside the scope? */
export function covers(scope: Scope, place: { provinceCode?: string | null; districtCode?: string | null }): boolean {
  if (scope.role === 'admin') return true;
  if (scope.role === 'district') return !!place.districtCode && scope.districtCodes.includes(place.districtCode);
  return !!place.provinceCode && scope.provinceCodes.includes(place.provinceCode);
}

/** May the officer create or edit a training in this province? */
export function coversProvince(scope: Scope, provinceCode: string | undefined | null): boolean {
  if (scope.role === 'admin') return true;
  return !!provinceCode && scope.provinceCodes.includes(provinceCode);
}

export function assertCovers(scope: Scope, place: { provinceCode?: string | null; districtCode?: string | null }): void {
  if (!covers(scope, place)) throw new ScopeError();
}

/**
 * Narrows a producer filter to what the officer asked for (a district, a province); asking for a
 * place outside the scope is refused rather than silently answered with nothing.
 */
export function narrowProducers(scope: Scope, ask: { provinceCode?: string; districtCode?: string }): Filter {
  const and: Filter[] = [producerFilter(scope)];
  if (ask.provinceCode) {
    if (scope.role !== 'admin' && scope.role === 'province' && !scope.provinceCodes.includes(ask.provinceCode)) throw new ScopeError();
    and.push({ 'address.province.code': ask.provinceCode });
  }
  if (ask.districtCode) {
    if (scope.role === 'district' && !scope.districtCodes.includes(ask.districtCode)) throw new ScopeError();
    // District keys start with their province's two-digit code (src/domain/thai-address.ts).
    if (scope.role === 'province' && !scope.provinceCodes.includes(ask.districtCode.slice(0, 2))) throw new ScopeError();
    and.push({ 'address.district.code': ask.districtCode });
  }
  return and.length === 1 ? and[0]! : { $and: and };
}

/** A campaign audience, as far as the scope is concerned (src/features/campaigns/segment.ts). */
export interface PlaceSegment {
  provinces?: string[];
  districts?: string[];
}

/**
 * An officer's campaign audience, confined to their area: places asked for must be inside it, and
 * an audience naming no place gets the whole area. Admins' segments pass unchanged.
 */
export function scopedSegment<S extends PlaceSegment>(scope: Scope, segment: S): S {
  if (scope.role === 'admin') return segment;
  const provinces = segment.provinces ?? [];
  const districts = segment.districts ?? [];
  if (scope.role === 'province') {
    if (provinces.some((p) => !scope.provinceCodes.includes(p))) throw new ScopeError();
    if (districts.some((d) => !scope.provinceCodes.includes(d.slice(0, 2)))) throw new ScopeError();
    return { ...segment, provinces: provinces.length ? provinces : [...scope.provinceCodes] };
  }
  if (districts.some((d) => !scope.districtCodes.includes(d))) throw new ScopeError();
  if (provinces.some((p) => !scope.provinceCodes.includes(p))) throw new ScopeError();
  return { ...segment, districts: districts.length ? districts : [...scope.districtCodes] };
}
