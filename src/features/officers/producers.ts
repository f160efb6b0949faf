import type { Sealer } from '../../core/crypto.js';
import type { Models } from '../../core/db/models.js';
import type { Journey } from './journeys.js';
import type { AuditChannel, OfficerService } from './officer-service.js';
import { nationalIdSeal } from '../producers/producer-store.js';
import { covers, narrowProducers, ScopeError, type Scope } from './scope.js';

export interface ProducerFilters {
  districtCode?: string;
  /** "<flowId>:not_started|in_progress|finished" */
  journey?: string;
  /** Name or phone contains. */
  q?: string;
}

export interface ProducerRow {
  userId: string;
  fullName: string;
  phone: string;
  provinceTh: string;
  districtTh: string;
  districtEn: string;
  category: string;
  registeredAt: Date;
  journeys: Record<string, 'not_started' | 'in_progress' | 'finished'>;
  hasNationalId: boolean;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Producers as officers list, export and open them: always through the scope module, and every
 * list, export and national-ID reveal written to the audit log with who was shown.
 */
export class OfficerProducers {
  constructor(
    private readonly models: Models,
    private readonly officers: OfficerService,
    private readonly sealer: Sealer,
    private readonly journeys: readonly Journey[],
  ) {}

  async list(scope: Scope, f: ProducerFilters, opts: { channel: AuditChannel; now: Date; limit?: number; action?: 'list_producers' | 'export_producers' }): Promise<ProducerRow[]> {
    const and: Record<string, unknown>[] = [narrowProducers(scope, f.districtCode ? { districtCode: f.districtCode } : {})];
    if (f.q?.trim()) {
      const rx = new RegExp(escapeRegex(f.q.trim().slice(0, 50)), 'i');
      and.push({ $or: [{ fullName: rx }, { phone: rx }] });
    }
    const docs = await this.models.Producer.find(and.length === 1 ? and[0]! : { $and: and }, { userId: 1, fullName: 1, phone: 1, address: 1, category: 1, registeredAt: 1, nationalIdSealed: 1 })
      .sort({ registeredAt: -1 })
      .limit(opts.limit ?? 10_000)
      .lean();
    const ids = docs.map((d) => d.userId);
    const progress = ids.length ? await this.models.JourneyProgress.find({ userId: { $in: ids } }, { userId: 1, flowId: 1, completedAt: 1 }).lean() : [];
    const state = new Map<string, Record<string, 'in_progress' | 'finished'>>();
    for (const p of progress) {
      const m = state.get(p.userId) ?? {};
      m[p.flowId] = p.completedAt ? 'finished' : 'in_progress';
      state.set(p.userId, m);
    }
    let rows: ProducerRow[] = docs.map((d) => ({
      userId: d.userId,
      fullName: d.fullName,
      phone: d.phone,
      provinceTh: d.address?.province?.nameTh ?? '',
      districtTh: d.address?.district?.nameTh ?? '',
      districtEn: d.address?.district?.nameEn ?? '',
      category: d.category,
      registeredAt: d.registeredAt,
      journeys: Object.fromEntries(this.journeys.map((j) => [j.id, state.get(d.userId)?.[j.id] ?? 'not_started'])),
      hasNationalId: !!d.nationalIdSealed,
    }));
    if (f.journey) {
      const [flow, want] = f.journey.split(':');
      rows = rows.filter((r) => r.journeys[flow!] === want);
    }
    await this.officers.audit(scope.officerId, opts.action ?? 'list_producers', opts.channel, opts.now, { detail: { filters: f, count: rows.length, producers: rows.slice(0, 500).map((r) => r.userId) } });
    return rows;
  }

  /** The national ID of one producer in the scope, unsealed; audited. */
  async revealNationalId(scope: Scope, userId: string, channel: AuditChannel, now: Date): Promise<string | null> {
    const p = await this.models.Producer.findOne({ userId }, { address: 1, nationalIdSealed: 1 }).lean();
    if (!p || !covers(scope, { provinceCode: p.address?.province?.code, districtCode: p.address?.district?.code })) {
      await this.officers.audit(scope.officerId, 'refused_out_of_scope', channel, now, { target: userId, detail: { action: 'reveal_national_id' } });
      throw new ScopeError();
    }
    await this.officers.audit(scope.officerId, 'reveal_national_id', channel, now, { target: userId });
    if (!p.nationalIdSealed) return null;
    // A value no configured key opens is reported by the sealer and shown as not available.
    const opened = this.sealer.tryUnseal(p.nationalIdSealed, nationalIdSeal(userId));
    return opened.ok ? opened.value : null;
  }
}

/** RFC 4180 CSV with a BOM (so Excel opens Thai correctly); cells that look like formulas are quoted with '. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s) && !/^\+?\d+$/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\uFEFF' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
