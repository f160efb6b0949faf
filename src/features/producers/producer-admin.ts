import { z } from 'zod';
import type { Models } from '../../core/db/models.js';
import { parseInput } from '../campaigns/model.js';

export const producerFilterSchema = z
  .object({
    province: z.string().regex(/^\d{2}$/, 'a 2-digit province code').optional(),
    district: z.string().regex(/^\d{4}$/, 'a 4-digit district code').optional(),
    category: z.enum(['food', 'beverage', 'textile', 'craft', 'herbal']).optional(),
    producerType: z.enum(['community_group', 'single_owner', 'sme']).optional(),
    notices: z.enum(['true', 'false']).optional(),
    registeredFrom: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export interface ProducerRow {
  userId: string;
  fullName: string;
  phone: string;
  producerType: string;
  category: string;
  provinceCode: string;
  province: string;
  districtCode: string;
  district: string;
  subdistrict: string;
  otopRegistrationNumber: string | null;
  notices: boolean;
  registeredAt: string;
}

const COLUMNS: (keyof ProducerRow)[] = ['userId', 'fullName', 'phone', 'producerType', 'category', 'provinceCode', 'province', 'districtCode', 'district', 'subdistrict', 'otopRegistrationNumber', 'notices', 'registeredAt'];

/** Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe. */
function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Producers for the admin API: filtered lists and CSV export. Never national IDs. */
export class ProducerAdmin {
  constructor(private readonly models: Models) {}

  private query(f: z.output<typeof producerFilterSchema>): Record<string, unknown> {
    const q: Record<string, unknown> = {};
    if (f.province) q['address.province.code'] = f.province;
    if (f.district) q['address.district.code'] = f.district;
    if (f.category) q.category = f.category;
    if (f.producerType) q.producerType = f.producerType;
    if (f.notices) q['consents.notices'] = f.notices === 'true';
    if (f.registeredFrom) q.registeredAt = { $gte: f.registeredFrom };
    return q;
  }

  async list(input: unknown): Promise<{ total: number; items: ProducerRow[] }> {
    const f = parseInput(producerFilterSchema, input);
    const q = this.query(f);
    const [total, docs] = await Promise.all([
      this.models.Producer.countDocuments(q),
      this.models.Producer.find(q, { nationalIdSealed: 0, nationalIdLookup: 0 }).sort({ userId: 1 }).skip(f.offset).limit(f.limit).lean(),
    ]);
    return { total, items: docs.map(row) };
  }

  /** CSV lines (header first), streamed from a cursor so an export of 100,000 stays small in memory. */
  async *csv(input: unknown): AsyncGenerator<string> {
    const f = parseInput(producerFilterSchema, { ...(input as object), limit: undefined, offset: undefined });
    yield `${COLUMNS.join(',')}\n`;
    const cursor = this.models.Producer.find(this.query(f), { nationalIdSealed: 0, nationalIdLookup: 0 }).sort({ userId: 1 }).lean().cursor({ batchSize: 1_000 });
    for await (const d of cursor) {
      const r = row(d);
      yield `${COLUMNS.map((c) => csvCell(r[c])).join(',')}\n`;
    }
  }
}

function row(d: Record<string, any>): ProducerRow {
  return {
    userId: d.userId,
    fullName: d.fullName,
    phone: d.phone,
    producerType: d.producerType,
    category: d.category,
    provinceCode: d.address?.province?.code ?? '',
    province: d.address?.province?.nameTh ?? '',
    districtCode: d.address?.district?.code ?? '',
    district: d.address?.district?.nameTh ?? '',
    subdistrict: d.address?.subdistrict?.nameTh ?? '',
    otopRegistrationNumber: d.otopRegistrationNumber ?? null,
    notices: d.consents?.notices === true,
    registeredAt: new Date(d.registeredAt).toISOString(),
  };
}
