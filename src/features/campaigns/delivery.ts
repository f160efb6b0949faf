import { createHash } from 'node:crypto';
import { sleep } from '../../core/async.js';
import type { Models } from '../../core/db/models.js';
import type { Translator } from '../../core/i18n.js';
import type { Logger } from '../../core/logger.js';
import { UserLocks } from '../../inbox/user-lock.js';
import { nextCronRun } from './campaign-service.js';
import type { CampaignDoc, LocalizedMessages } from './model.js';
import { noticeMessages } from './notices.js';
import type { OutboxPort } from './outbox-port.js';
import { isQuiet, type QuietHours } from './quiet-hours.js';
import type { Segments } from './segment.js';
import { withdrawInFlight } from './withdraw.js';

export const BATCH_SIZE = 500;

export interface DeliveryDeps {
  models: Models;
  segments: Segments;
  outbox: OutboxPort;
  translator: Translator;
  logger: Logger;
  quietHours: QuietHours | null;
  owner: string;
  now?: () => Date;
  /** Batches handed to the outbox and not yet settled, at most (keeps pause and cancel prompt). */
  window?: number;
  pollMs?: number;
  /** Give up waiting on the outbox after this long without progress; the next tick resumes. */
  stallMs?: number;
}

export interface DeliveryOutcome {
  campaignId: string;
  result: 'done' | 'deferred' | 'paused' | 'cancelled' | 'busy' | 'next-occurrence' | 'stopped' | 'waiting';
  batches?: number;
}

type BatchDoc = {
  _id: string;
  n: number;
  lang: 'th' | 'en';
  variant: 'A' | 'B';
  to: string[];
  size: number;
  status: string;
  attempt: number;
  outboxId?: string;
};

const isDuplicate = (e: unknown) => (e as { code?: number }).code === 11000 || ((e as { writeErrors?: { code?: number }[] }).writeErrors ?? []).every((w) => w.code === 11000);

/** Stable A/B/holdout assignment from campaign and user (the same on every resume). */
export function variantOf(campaignId: string, userId: string, split?: CampaignDoc['split']): 'A' | 'B' | 'holdout' {
  if (!split) return 'A';
  const h = createHash('sha256').update(`${campaignId}:${userId}`).digest().readUInt32BE(0) / 0x1_0000_0000;
  const holdout = (split.holdoutPercent ?? 0) / 100;
  if (h < holdout) return 'holdout';
  const rest = (h - holdout) / (1 - holdout);
  return rest < (split.percentB ?? 50) / 100 ? 'B' : 'A';
}

/**
 * Delivers due campaigns. Every step is recorded before the next, so a crash, a restart or a
 * second worker resumes with no recipient skipped and none sent twice:
 * 1. recipients are written, one delivery record per campaign occurrence and recipient
 *    (`<campaign>:<occurrence>:<user>`), grouped into batches of ≤500 of one language and variant,
 *    each batch saved with its recipients (records first, batch after: a batch is complete once saved);
 * 2. each batch goes into the outbox as one multicast item `campaign:<id>:<occurrence>:batch:<n>`
 *    (its retry key derived from that id), at most `window` at a time;
 * 3. outcomes are read back from the outbox: sent, failed (why), quota exhausted (the campaign
 *    pauses, the batch waits to be sent again on resume, under a new item id since LINE sent nothing).
 * A per-campaign lease keeps two workers off the same campaign; quiet hours defer step 2.
 */
export class CampaignDelivery {
  private readonly now: () => Date;
  private readonly leases: UserLocks;
  private readonly window: number;
  private readonly pollMs: number;
  private readonly stallMs: number;
  private readonly log: Logger;

  constructor(private readonly deps: DeliveryDeps) {
    this.now = deps.now ?? (() => new Date());
    // Short lease, renewed often: a killed worker's campaign is taken over within seconds.
    this.leases = new UserLocks(deps.models, deps.owner, 15_000);
    this.window = deps.window ?? 40;
    this.pollMs = deps.pollMs ?? 200;
    this.stallMs = deps.stallMs ?? 60_000;
    this.log = deps.logger.child({ module: 'campaigns' });
  }

  /** Runs every campaign that is due; what the worker's `campaigns` job calls each minute. */
  async runDue(): Promise<{ campaigns: number; outcomes: DeliveryOutcome[] }> {
    const due = await this.deps.models.Campaign.find({ status: { $in: ['scheduled', 'running'] }, nextRunAt: { $lte: this.now() } }, { _id: 1 }).lean();
    const outcomes: DeliveryOutcome[] = [];
    for (const c of due) outcomes.push(await this.run(String(c._id)));
    return { campaigns: due.length, outcomes };
  }

  async run(campaignId: string): Promise<DeliveryOutcome> {
    const key = `campaign:${campaignId}`;
    if (!(await this.leases.acquire(key))) return { campaignId, result: 'busy' };
    const renew = setInterval(() => void this.leases.renew(key).catch(() => undefined), 4_000);
    renew.unref();
    try {
      return await this.deliver(campaignId);
    } finally {
      clearInterval(renew);
      await this.leases.release(key).catch(() => undefined);
    }
  }

  private async load(id: string): Promise<CampaignDoc | null> {
    return this.deps.models.Campaign.findById(id).lean<CampaignDoc>();
  }

  private async deliver(id: string): Promise<DeliveryOutcome> {
    const m = this.deps.models;
    let c = await this.load(id);
    if (!c) return { campaignId: id, result: 'stopped' };
    if (c.status === 'scheduled') {
      const occurrence = new Date(Math.floor(c.nextRunAt!.getTime() / 60_000) * 60_000).toISOString();
      await m.Campaign.updateOne({ _id: id, status: 'scheduled' }, { $set: { status: 'running', occurrence, materialized: false, batchSeq: 0, updatedAt: this.now() } });
      c = await this.load(id);
    }
    if (!c || c.status !== 'running') return { campaignId: id, result: 'stopped' };
    const occ = c.occurrence!;
    if (!c.materialized) await this.materialize(c);

    let enqueuedTotal = 0;
    let lastInFlight = -1;
    let progressAt = Date.now();
    for (;;) {
      // What is still with the outbox, read once per round (FerretDB scans: keep rounds few).
      const inFlight = await this.settle(c);
      c = (await this.load(id))!;
      if (c.status === 'paused' || c.status === 'cancelled') {
        // The pause/cancel request took back what was waiting in the outbox; a batch this loop
        // handed over meanwhile is taken back here, and the withdrawn ones go back to planned.
        // What a sender had already picked up finishes: wait for its outcome so the counts are right.
        await withdrawInFlight(m, this.deps.outbox, c, `campaign ${c.status}`);
        const until = Date.now() + this.stallMs;
        while ((await this.settle(c)) > 0 && Date.now() < until) await sleep(this.pollMs);
        return { campaignId: id, result: c.status, batches: enqueuedTotal };
      }
      if (c.status !== 'running') return { campaignId: id, result: 'stopped', batches: enqueuedTotal };
      if (inFlight !== lastInFlight) {
        lastInFlight = inFlight;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > this.stallMs) {
        return { campaignId: id, result: 'waiting', batches: enqueuedTotal }; // outbox not draining (LINE down?)
      }
      const quiet = isQuiet(this.deps.quietHours, this.now());
      if (quiet && inFlight === 0) return { campaignId: id, result: 'deferred', batches: enqueuedTotal };
      if (!quiet && inFlight < this.window) {
        const planned = await m.CampaignBatch.find({ campaignId: id, occurrence: occ, status: 'planned' }).sort({ n: 1 }).limit(this.window - inFlight).lean<BatchDoc[]>();
        if (planned.length === 0 && inFlight === 0) return this.finish(c, enqueuedTotal);
        if (planned.length) {
          await this.enqueue(c, planned);
          enqueuedTotal += planned.length;
          continue;
        }
      }
      await sleep(this.pollMs);
    }
  }

  /** Writes delivery records and batches for every member of the segment not yet recorded. */
  private async materialize(c: CampaignDoc): Promise<void> {
    const m = this.deps.models;
    const occ = c.occurrence!;
    // Resume: what a killed run already wrote is kept; a batch whose records were written but
    // not the batch itself (at most the last one) is completed from its records.
    const existing = new Set<string>();
    let maxBatch = -1;
    for await (const d of m.CampaignDelivery.find({ campaignId: c._id, occurrence: occ }, { _id: 1, batch: 1, userId: 1, lang: 1, variant: 1 }).lean().cursor({ batchSize: 1_000 })) {
      existing.add(d.userId);
      if (typeof d.batch === 'number' && d.batch > maxBatch) maxBatch = d.batch;
    }
    const saved = new Set<number>();
    for await (const b of m.CampaignBatch.find({ campaignId: c._id, occurrence: occ }, { n: 1 }).lean().cursor({ batchSize: 50 })) saved.add(b.n);
    for (let n = 0; n <= maxBatch; n++) {
      if (saved.has(n)) continue;
      const rows = await m.CampaignDelivery.find({ campaignId: c._id, occurrence: occ, batch: n }, { userId: 1, lang: 1, variant: 1 }).lean();
      if (rows.length) await this.saveBatch(c, n, rows[0]!.lang as 'th' | 'en', rows[0]!.variant as 'A' | 'B', rows.map((r) => r.userId));
    }
    let seq = maxBatch + 1;
    const buffers = new Map<string, { lang: 'th' | 'en'; variant: 'A' | 'B'; users: { userId: string; provinceCode?: string }[] }>();
    let holdouts: { userId: string; provinceCode?: string; lang: string }[] = [];

    const flush = async (key: string) => {
      const b = buffers.get(key)!;
      if (!b.users.length) return;
      const n = seq++;
      const taken = await this.insertDeliveries(
        b.users.map((u) => ({ _id: `${c._id}:${occ}:${u.userId}`, campaignId: c._id, occurrence: occ, userId: u.userId, lang: b.lang, provinceCode: u.provinceCode, variant: b.variant, status: 'queued', batch: n })),
      );
      // A recipient already recorded (a stream without a snapshot may show a document twice) is
      // in an earlier batch: only those recorded now make up this one.
      const to = b.users.filter((_, i) => !taken.has(i)).map((u) => u.userId);
      b.users = [];
      if (to.length) await this.saveBatch(c, n, b.lang, b.variant, to);
    };
    const flushHoldouts = async () => {
      if (!holdouts.length) return;
      await this.insertDeliveries(holdouts.map((u) => ({ _id: `${c._id}:${occ}:${u.userId}`, campaignId: c._id, occurrence: occ, userId: u.userId, lang: u.lang, provinceCode: u.provinceCode, variant: 'holdout', status: 'holdout' })));
      holdouts = [];
    };

    for await (const member of this.deps.segments.members(c.segment)) {
      if (existing.has(member.userId)) continue;
      const variant = variantOf(c._id, member.userId, c.split);
      if (variant === 'holdout') {
        holdouts.push(member);
        if (holdouts.length >= BATCH_SIZE) await flushHoldouts();
        continue;
      }
      const key = `${member.lang}:${variant}`;
      let b = buffers.get(key);
      if (!b) buffers.set(key, (b = { lang: member.lang, variant, users: [] }));
      b.users.push(member);
      if (b.users.length >= BATCH_SIZE) await flush(key);
    }
    for (const key of buffers.keys()) await flush(key);
    await flushHoldouts();
    await m.Campaign.updateOne({ _id: c._id }, { $set: { materialized: true, batchSeq: seq } });
    this.log.info({ campaign: c._id, occurrence: occ, batches: seq }, 'campaign recipients recorded');
  }

  /** Inserts delivery records; returns the positions of those already there (duplicate keys). */
  private async insertDeliveries(docs: Record<string, unknown>[]): Promise<Set<number>> {
    try {
      await this.deps.models.CampaignDelivery.collection.insertMany(docs as never[], { ordered: false });
      return new Set();
    } catch (e) {
      if (!isDuplicate(e)) throw e;
      const raw = (e as { writeErrors?: unknown }).writeErrors;
      const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as { index?: number; err?: { index?: number } }[];
      // No per-document detail: a lone duplicate insert (nothing of it was new).
      if (list.length === 0) return new Set(docs.map((_, i) => i));
      return new Set(list.map((w) => w.index ?? w.err?.index ?? -1));
    }
  }

  private async saveBatch(c: CampaignDoc, n: number, lang: 'th' | 'en', variant: 'A' | 'B', to: string[]): Promise<void> {
    try {
      await this.deps.models.CampaignBatch.collection.insertOne({
        _id: `${c._id}:${c.occurrence}:${n}`,
        campaignId: c._id,
        occurrence: c.occurrence,
        n,
        lang,
        variant,
        to,
        size: to.length,
        status: 'planned',
        attempt: 0,
      } as never);
    } catch (e) {
      if (!isDuplicate(e)) throw e;
    }
  }

  private outboxId(c: CampaignDoc, b: BatchDoc): string {
    return `campaign:${c._id}:${c.occurrence}:batch:${b.n}${b.attempt ? `:r${b.attempt}` : ''}`;
  }

  private async enqueue(c: CampaignDoc, batches: BatchDoc[]): Promise<void> {
    const items = batches.map((b) => {
      const messages: LocalizedMessages = b.variant === 'B' && c.split ? c.split.variantB : c.messages;
      return {
        _id: this.outboxId(c, b),
        kind: 'multicast' as const,
        to: b.to,
        messages: noticeMessages(this.deps.translator, b.lang, messages, { campaignId: c._id, deepLink: c.deepLink }),
        cause: { type: 'campaign', id: `${c._id}:${c.occurrence}:${b.n}` },
      };
    });
    // Recorded in the outbox before it is marked here: a crash in between finds the same item.
    await this.deps.outbox.enqueue(items);
    // One command for the whole window, each update by _id (no $in scan, no round trip per batch).
    await this.deps.models.CampaignBatch.bulkWrite(
      batches.map((b, i) => ({ updateOne: { filter: { _id: b._id, status: 'planned' }, update: { $set: { status: 'enqueued', outboxId: items[i]!._id } } } })),
      { ordered: false },
    );
  }

  /** Reads the outcome of batches in the outbox; what changed is written in one bulk command. */
  private async settle(c: CampaignDoc): Promise<number> {
    const m = this.deps.models;
    const enqueued = await m.CampaignBatch.find({ campaignId: c._id, occurrence: c.occurrence, status: 'enqueued' }, { n: 1, attempt: 1, outboxId: 1 }).lean<BatchDoc[]>();
    if (!enqueued.length) return 0;
    let pending = 0;
    const ids = enqueued.map((b) => b.outboxId ?? this.outboxId(c, b));
    const docs = new Map((await this.deps.outbox.outcomes(ids)).map((d) => [d._id, d]));
    let quota = false;
    const updates: { updateOne: { filter: Record<string, unknown>; update: Record<string, unknown> } }[] = [];
    for (const b of enqueued) {
      const d = docs.get(b.outboxId ?? this.outboxId(c, b));
      if (!d) {
        // Marked enqueued but never recorded (cannot happen: enqueue writes the outbox first).
        updates.push({ updateOne: { filter: { _id: b._id, status: 'enqueued' }, update: { $set: { status: 'planned' } } } });
        continue;
      }
      if (d.status === 'pending') {
        pending++;
        continue;
      }
      if (d.status === 'sent') {
        updates.push({ updateOne: { filter: { _id: b._id }, update: { $set: { status: 'sent', sentAt: d.sentAt ?? this.now() } } } });
      } else if (d.status === 'failed' && d.failure?.kind === 'withdrawn') {
        // Taken back before any sender picked it up (pause or cancel): LINE never saw it.
        updates.push({ updateOne: { filter: { _id: b._id }, update: { $set: { status: 'planned' }, $inc: { attempt: 1 }, $unset: { outboxId: '' } } } });
      } else if (d.status === 'failed' && d.failure?.kind === 'quota') {
        // LINE sent nothing: the batch goes again after the quota is raised and the campaign resumed.
        quota = true;
        updates.push({ updateOne: { filter: { _id: b._id }, update: { $set: { status: 'planned' }, $inc: { attempt: 1 }, $unset: { outboxId: '' } } } });
      } else {
        const why = d.status === 'unknown' ? 'unknown outcome' : `${d.failure?.kind ?? 'failed'}${d.failure?.status ? ` ${d.failure.status}` : ''}`;
        updates.push({ updateOne: { filter: { _id: b._id }, update: { $set: { status: 'failed', failure: why } } } });
      }
    }
    if (updates.length) await m.CampaignBatch.bulkWrite(updates as never, { ordered: false });
    if (quota) {
      const r = await m.Campaign.updateOne({ _id: c._id, status: 'running' }, { $set: { status: 'paused', pausedReason: 'quota', updatedAt: this.now() } });
      if (r.modifiedCount) {
        this.log.error({ campaign: c._id }, 'LINE monthly message quota exhausted: campaign paused (resume with confirm once the quota allows)');
        await m.DeliveryFailure.create({ kind: 'campaign:quota', status: 429, reason: `campaign ${c._id} paused: monthly quota exhausted`, messageCount: 0, at: this.now() });
      }
    }
    return pending;
  }

  private async finish(c: CampaignDoc, batches: number): Promise<DeliveryOutcome> {
    const now = this.now();
    if (c.schedule.type === 'recurring') {
      const next = nextCronRun(c.schedule.cron, now);
      if (next && next <= c.schedule.until) {
        await this.deps.models.Campaign.updateOne({ _id: c._id, status: 'running' }, { $set: { status: 'scheduled', nextRunAt: next, updatedAt: now } });
        return { campaignId: c._id, result: 'next-occurrence', batches };
      }
    }
    await this.deps.models.Campaign.updateOne({ _id: c._id, status: 'running' }, { $set: { status: 'done', finishedAt: now, updatedAt: now } });
    this.log.info({ campaign: c._id, batches }, 'campaign delivered');
    return { campaignId: c._id, result: 'done', batches };
  }
}
