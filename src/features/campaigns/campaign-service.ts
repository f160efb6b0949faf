import { randomBytes } from 'node:crypto';
import cron from 'node-cron';
import type { Models } from '../../core/db/models.js';
import type { Translator } from '../../core/i18n.js';
import { checkMessages } from '../../line/limits.js';
import {
  CampaignInputError,
  campaignInputSchema,
  parseInput,
  type CampaignDoc,
  type CampaignInput,
  type CampaignStatus,
  type FieldError,
} from './model.js';
import { noticeMessages } from './notices.js';
import type { OutboxPort } from './outbox-port.js';
import { segmentSchema, type Segment, type Segments } from './segment.js';
import { withdrawInFlight } from './withdraw.js';

export { NotFoundErrorLike as NotFoundError } from './model.js';
import { NotFoundErrorLike as NotFoundError } from './model.js';

/** The campaign is not in a state that allows this (e.g. confirming a cancelled one). */
export class CampaignStateError extends Error {
  constructor(
    readonly status: CampaignStatus,
    action: string,
  ) {
    super(`cannot ${action} a campaign that is ${status}`);
    this.name = 'CampaignStateError';
  }
}

export interface QuotaSource {
  quota(): Promise<{ limit: number | null; used: number }>;
}

export interface CampaignCounts {
  recipients: number;
  planned: number;
  sent: number;
  failed: number;
  failedWhy: Record<string, number>;
  holdout: number;
  blocked: number;
  opened: number;
}

export interface CampaignDeps {
  models: Models;
  segments: Segments;
  outbox: OutboxPort;
  translator: Translator;
  quota: QuotaSource;
  now?: () => Date;
}

const TIME_ZONE = 'Asia/Bangkok';

/**
 * Campaign use cases, shared by the admin API, the officer dashboard and LINE officer actions:
 * typed inputs (zod), no conversation context. Delivery is src/features/campaigns/delivery.ts.
 */
export class CampaignService {
  private readonly now: () => Date;
  constructor(private readonly deps: CampaignDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: CampaignInput | unknown, createdBy?: string): Promise<CampaignDoc> {
    const spec = parseInput(campaignInputSchema, input);
    const errors = this.lineLimitErrors(spec);
    if (spec.schedule.type === 'recurring' && spec.schedule.until.getTime() <= this.now().getTime()) {
      errors.push({ field: 'schedule.until', reason: 'must be in the future' });
    }
    if (errors.length) throw new CampaignInputError(errors);
    const now = this.now();
    const doc: CampaignDoc = {
      _id: `cmp_${now.getTime().toString(36)}${randomBytes(4).toString('hex')}`,
      ...spec,
      status: 'draft',
      batchSeq: 0,
      materialized: false,
      ...(createdBy ? { createdBy } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.models.Campaign.create(doc);
    return doc;
  }

  async list(filter: { status?: CampaignStatus; limit?: number } = {}): Promise<CampaignDoc[]> {
    const q = filter.status ? { status: filter.status } : {};
    return this.deps.models.Campaign.find(q).sort({ createdAt: -1 }).limit(Math.min(filter.limit ?? 50, 200)).lean<CampaignDoc[]>();
  }

  async get(id: string): Promise<CampaignDoc> {
    const c = await this.deps.models.Campaign.findById(id).lean<CampaignDoc>();
    if (!c) throw new NotFoundError(`campaign ${id}`);
    return c;
  }

  async counts(id: string): Promise<CampaignCounts> {
    const c = await this.get(id);
    const m = this.deps.models;
    const occ = c.occurrence ?? '';
    const batches = await m.CampaignBatch.find({ campaignId: id, occurrence: occ }, { status: 1, size: 1, failure: 1 }).lean();
    const out: CampaignCounts = { recipients: 0, planned: 0, sent: 0, failed: 0, failedWhy: {}, holdout: 0, blocked: 0, opened: 0 };
    for (const b of batches) {
      out.recipients += b.size;
      if (b.status === 'sent') out.sent += b.size;
      else if (b.status === 'failed') {
        out.failed += b.size;
        const why = b.failure ?? 'unknown';
        out.failedWhy[why] = (out.failedWhy[why] ?? 0) + b.size;
      } else out.planned += b.size;
    }
    out.holdout = await m.CampaignDelivery.countDocuments({ campaignId: id, occurrence: occ, status: 'holdout' });
    out.opened = await m.CampaignDelivery.countDocuments({ campaignId: id, occurrence: occ, openedAt: { $exists: true } });
    // Blocked: recipients who have since unfollowed the bot (LINE does not report them per multicast).
    const blockedUsers = (await m.Session.find({ reachable: false }, { _id: 1 }).lean()).map((s) => String(s._id));
    if (blockedUsers.length) {
      out.blocked = await m.CampaignDelivery.countDocuments({ campaignId: id, occurrence: occ, status: 'queued', userId: { $in: blockedUsers } });
    }
    return out;
  }

  /**
   * Per province: recipients, sent, deep-link opens, and conversion — producers who completed a
   * journey step within 7 days of the notice — beside the held-out group's, for comparison.
   */
  async stats(id: string) {
    const c = await this.get(id);
    const m = this.deps.models;
    const occ = c.occurrence ?? '';
    const sentAt = new Map<number, Date>();
    for (const b of await m.CampaignBatch.find({ campaignId: id, occurrence: occ, status: 'sent' }, { n: 1, sentAt: 1 }).lean()) sentAt.set(b.n, b.sentAt ?? new Date(0));
    const since = new Map<string, { province: string; at: Date; holdout: boolean; opened: boolean; sent: boolean }>();
    const start = occ ? new Date(occ) : c.createdAt;
    for await (const d of m.CampaignDelivery.find({ campaignId: id, occurrence: occ }, { userId: 1, provinceCode: 1, variant: 1, batch: 1, openedAt: 1 }).lean().cursor({ batchSize: 5_000 })) {
      const holdout = d.variant === 'holdout';
      const at = holdout ? start : sentAt.get(d.batch ?? -1);
      since.set(d.userId, { province: d.provinceCode ?? 'unknown', at: at ?? start, holdout, opened: Boolean(d.openedAt), sent: holdout ? false : at !== undefined });
    }
    type Row = { recipients: number; sent: number; opened: number; converted: number; stepsCompleted: number; holdout: number; holdoutConverted: number };
    const byProvince: Record<string, Row> = {};
    const rowOf = (p: string) => (byProvince[p] ??= { recipients: 0, sent: 0, opened: 0, converted: 0, stepsCompleted: 0, holdout: 0, holdoutConverted: 0 });
    for (const r of since.values()) {
      const row = rowOf(r.province);
      if (r.holdout) row.holdout++;
      else {
        row.recipients++;
        if (r.sent) row.sent++;
        if (r.opened) row.opened++;
      }
    }
    const WEEK = 7 * 86_400_000;
    const converted = new Set<string>();
    for await (const j of m.JourneyProgress.find({}, { userId: 1, steps: 1 }).lean().cursor({ batchSize: 5_000 })) {
      const r = since.get(j.userId);
      if (!r || (!r.sent && !r.holdout)) continue;
      const from = r.at.getTime();
      const steps = Object.values((j.steps ?? {}) as Record<string, { status?: string; at?: Date }>).filter(
        (st) => st?.status === 'done' && st.at && new Date(st.at).getTime() >= from && new Date(st.at).getTime() <= from + WEEK,
      ).length;
      if (!steps) continue;
      const row = rowOf(r.province);
      // A producer counts once however many journeys they moved on; steps add up.
      if (!r.holdout) row.stepsCompleted += steps;
      if (converted.has(j.userId)) continue;
      converted.add(j.userId);
      if (r.holdout) row.holdoutConverted++;
      else row.converted++;
    }
    return { counts: await this.counts(id), byProvince };
  }

  /** Recipients by language and province, what it costs, and this month's quota from LINE. */
  async preview(id: string) {
    const c = await this.get(id);
    const b = await this.deps.segments.breakdown(c.segment);
    const holdout = c.split?.holdoutPercent ?? 0;
    const sending = b.total - Math.floor((b.total * holdout) / 100);
    let quota: { limit: number | null; used: number; remaining: number | null } | { error: string };
    try {
      const q = await this.deps.quota.quota();
      quota = { ...q, remaining: q.limit === null ? null : Math.max(0, q.limit - q.used) };
    } catch (err) {
      quota = { error: (err as Error).message };
    }
    // LINE counts one message per recipient per request, however many bubbles it carries.
    const cost = sending;
    const fits = 'remaining' in quota ? quota.remaining === null || quota.remaining >= cost : null;
    return {
      recipients: b.total,
      byLanguage: b.byLanguage,
      byProvince: b.byProvince,
      holdout: b.total - sending,
      messagesPerRecipient: c.messages.th.length,
      cost,
      quota,
      fitsQuota: fits,
    };
  }

  async countSegment(input: unknown): Promise<number> {
    return this.deps.segments.count(parseInput(segmentSchema, input ?? {}) as Segment);
  }

  /** Schedules a draft (or resumes a paused campaign). */
  async confirm(id: string): Promise<CampaignDoc> {
    const c = await this.get(id);
    const now = this.now();
    if (c.status === 'paused') return this.transition(c, 'paused', { status: 'running', updatedAt: now }, { pausedReason: '' });
    if (c.status !== 'draft') throw new CampaignStateError(c.status, 'confirm');
    const nextRunAt = c.schedule.type === 'now' ? now : c.schedule.type === 'at' ? c.schedule.at : nextCronRun(c.schedule.cron, now);
    if (!nextRunAt || (c.schedule.type === 'recurring' && nextRunAt > c.schedule.until)) {
      throw new CampaignInputError([{ field: 'schedule', reason: 'no run before the end date' }]);
    }
    return this.transition(c, 'draft', { status: 'scheduled', nextRunAt, confirmedAt: now, updatedAt: now });
  }

  async pause(id: string, reason = 'manual'): Promise<CampaignDoc> {
    const c = await this.get(id);
    if (c.status !== 'running' && c.status !== 'scheduled') throw new CampaignStateError(c.status, 'pause');
    const paused = await this.transition(c, c.status, { status: 'paused', pausedReason: reason, updatedAt: this.now() });
    await withdrawInFlight(this.deps.models, this.deps.outbox, paused, 'campaign paused');
    return paused;
  }

  async cancel(id: string): Promise<CampaignDoc> {
    const c = await this.get(id);
    if (c.status === 'done' || c.status === 'cancelled') throw new CampaignStateError(c.status, 'cancel');
    const cancelled = await this.transition(c, c.status, { status: 'cancelled', updatedAt: this.now(), finishedAt: this.now() });
    await withdrawInFlight(this.deps.models, this.deps.outbox, cancelled, 'campaign cancelled');
    return cancelled;
  }

  /** Sends the campaign (each variant, in the user's language) to one LINE account, through the outbox. */
  async testSend(id: string, userId: string, lang: 'th' | 'en' = 'th'): Promise<{ outboxIds: string[] }> {
    if (!/^U[0-9a-f]{32}$/.test(userId)) throw new CampaignInputError([{ field: 'userId', reason: 'a LINE user id (U followed by 32 hex digits)' }]);
    const c = await this.get(id);
    // Each request is its own cause: the counter makes the key, so a retried request is not re-sent.
    const updated = await this.deps.models.Campaign.findOneAndUpdate({ _id: id }, { $inc: { rev: 1 }, $set: { testUserId: userId } }, { returnDocument: 'after' }).lean();
    const n = (updated as { rev?: number } | null)?.rev ?? 0;
    const variants = [c.messages, ...(c.split ? [c.split.variantB] : [])];
    const items = variants.map((messages, i) => ({
      _id: `campaign:${id}:test:${n}:${i}`,
      kind: 'push' as const,
      to: [userId],
      messages: noticeMessages(this.deps.translator, lang, messages, { campaignId: id, deepLink: c.deepLink }),
      cause: { type: 'campaign-test', id },
    }));
    await this.deps.outbox.enqueue(items);
    return { outboxIds: items.map((i) => i._id) };
  }

  private async transition(c: CampaignDoc, from: CampaignStatus, set: Partial<CampaignDoc>, unset: Record<string, ''> = {}): Promise<CampaignDoc> {
    const r = await this.deps.models.Campaign.updateOne({ _id: c._id, status: from }, { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) });
    if (r.matchedCount !== 1) {
      const now = await this.get(c._id);
      throw new CampaignStateError(now.status, 'change');
    }
    return this.get(c._id);
  }

  /** LINE's limits on the messages as they will be sent (buttons added), per language and variant. */
  private lineLimitErrors(spec: ReturnType<typeof campaignInputSchema.parse>): FieldError[] {
    const errors: FieldError[] = [];
    const variants: [string, typeof spec.messages][] = [['messages', spec.messages]];
    if (spec.split) variants.push(['split.variantB', spec.split.variantB]);
    for (const [field, messages] of variants) {
      for (const lang of ['th', 'en'] as const) {
        if (lang === 'en' && !messages.en) continue;
        const built = noticeMessages(this.deps.translator, lang, messages, { campaignId: 'check', deepLink: spec.deepLink });
        for (const p of checkMessages(built)) errors.push({ field: `${field}.${lang}`, reason: p });
      }
    }
    return errors;
  }
}

/** The next time a Bangkok cron pattern fires after `after`. */
export function nextCronRun(pattern: string, after: Date): Date | undefined {
  const task = cron.createTask(pattern, () => undefined, { timezone: TIME_ZONE });
  try {
    const start = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
    for (let i = 0; i < 60 * 24 * 62; i++) {
      const at = new Date(start + i * 60_000);
      if (task.match(at)) return at;
    }
    return undefined;
  } finally {
    void task.destroy();
  }
}
