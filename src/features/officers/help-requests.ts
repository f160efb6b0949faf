import { Types } from 'mongoose';
import type { Models } from '../../core/db/models.js';
import type { OfficerService, AuditChannel } from './officer-service.js';
import { assertCovers, helpRequestFilter, ScopeError, type Scope } from './scope.js';

export interface HelpRequestView {
  id: string;
  userId: string;
  name: string;
  phone: string;
  provinceCode?: string;
  districtCode?: string;
  districtTh?: string;
  districtEn?: string;
  flowId?: string;
  step?: string;
  reason: 'officer' | 'task_help';
  status: 'open' | 'closed';
  createdAt: Date;
  officerId?: string;
}

/**
 * Help requests as officers handle them, always through the scope: listing shows only the area's
 * requests, and opening, answering or closing one outside the area is refused (ScopeError).
 * Every look and every change is written to the audit log.
 */
export class HelpRequests {
  constructor(
    private readonly models: Models,
    private readonly officers: OfficerService,
  ) {}

  async listOpen(scope: Scope, channel: AuditChannel, now: Date, limit = 10): Promise<HelpRequestView[]> {
    const docs = await this.models.HelpRequest.find({ ...helpRequestFilter(scope), status: 'open' }).sort({ createdAt: 1 }).limit(limit).lean();
    const views = await this.withProducers(docs);
    await this.officers.audit(scope.officerId, 'view_help_requests', channel, now, { detail: { ids: views.map((v) => v.id), producers: views.map((v) => v.userId) } });
    return views;
  }

  /** One request in the scope (for answering or calling); audited as viewing that producer. */
  async open(scope: Scope, id: string, channel: AuditChannel, now: Date): Promise<HelpRequestView> {
    const doc = Types.ObjectId.isValid(id) ? await this.models.HelpRequest.findById(id).lean() : null;
    if (!doc) throw new ScopeError('no such help request');
    assertCovers(scope, doc);
    const [view] = await this.withProducers([doc]);
    await this.officers.audit(scope.officerId, 'view_producer', channel, now, { target: doc.userId, detail: { helpRequest: id } });
    return view!;
  }

  /** Marks a request handled; false when it was already closed. */
  async handle(scope: Scope, id: string, channel: AuditChannel, now: Date): Promise<boolean> {
    const doc = Types.ObjectId.isValid(id) ? await this.models.HelpRequest.findById(id).lean() : null;
    if (!doc) throw new ScopeError('no such help request');
    assertCovers(scope, doc);
    const r = await this.models.HelpRequest.updateOne({ _id: doc._id, status: 'open' }, { $set: { status: 'closed', closedAt: now, handledBy: scope.officerId } });
    await this.officers.audit(scope.officerId, 'handle_help_request', channel, now, { target: doc.userId, detail: { helpRequest: id, changed: r.modifiedCount === 1 } });
    return r.modifiedCount === 1;
  }

  async withProducers(docs: { _id: unknown; userId: string; provinceCode?: string | null; districtCode?: string | null; flowId?: string | null; step?: string | null; reason: string; status: string; createdAt: Date; officerId?: string | null }[]): Promise<HelpRequestView[]> {
    const producers = docs.length ? await this.models.Producer.find({ userId: { $in: docs.map((d) => d.userId) } }, { userId: 1, fullName: 1, phone: 1, address: 1 }).lean() : [];
    const byUser = new Map(producers.map((p) => [p.userId, p]));
    return docs.map((d) => {
      const p = byUser.get(d.userId);
      return {
        id: String(d._id),
        userId: d.userId,
        name: p?.fullName ?? '—',
        phone: p?.phone ?? '',
        ...(d.provinceCode ? { provinceCode: d.provinceCode } : {}),
        ...(d.districtCode ? { districtCode: d.districtCode } : {}),
        ...(p?.address?.district ? { districtTh: p.address.district.nameTh ?? '', districtEn: p.address.district.nameEn ?? '' } : {}),
        ...(d.flowId ? { flowId: d.flowId } : {}),
        ...(d.step ? { step: d.step } : {}),
        reason: d.reason as 'officer' | 'task_help',
        status: d.status as 'open' | 'closed',
        createdAt: d.createdAt,
        ...(d.officerId ? { officerId: d.officerId } : {}),
      };
    });
  }
}
