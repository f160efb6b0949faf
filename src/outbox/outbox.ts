import type { Models } from '../core/db/models.js';
import { deriveRetryKey, type Message } from '../line/gateway.js';
import { assertMessagesWithinLimits, LINE_LIMITS } from '../line/limits.js';

export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'unknown';
export type OutboxFailureKind = 'quota' | 'blocked' | 'rejected' | 'unavailable' | 'withdrawn';

export interface OutboxFailure {
  kind: OutboxFailureKind;
  status?: number;
  reason: string;
}

/** One outbox document (collection `outbox`, see models.ts). */
export interface OutboxDoc {
  _id: string;
  kind: 'push' | 'multicast';
  to: string[];
  messages: Message[];
  retryKey: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  notBefore?: Date;
  createdAt: Date;
  sentAt?: Date;
  lastError?: string;
  failure?: OutboxFailure;
  cause: { type: string; id: string };
}

/** What `Outbox.outcomes` reads of an item. */
export type OutboxOutcome = Pick<OutboxDoc, '_id' | 'status' | 'sentAt' | 'failure'>;

export interface NewOutboxItem {
  /** Deterministic, from the cause: "evt:<webhookEventId>:push:<i>", "promo:<trainingId>:<signupId>:<ms>", "campaign:<id>:batch:<n>". */
  _id: string;
  kind: 'push' | 'multicast';
  /** One user for a push, at most 500 for a multicast. */
  to: string[];
  /** At most five, within LINE's limits (checked here, so a bad payload fails its cause, not the drainer). */
  messages: Message[];
  cause: { type: string; id: string };
  /** Not sent before this time. */
  notBefore?: Date;
}

/** Splits an answer into push items of five messages: `<key>:push:<first>`, `<key>:push:<first+1>`, … */
export function pushItems(key: string, userId: string, messages: readonly Message[], cause: { type: string; id: string }, first = 0): NewOutboxItem[] {
  const items: NewOutboxItem[] = [];
  for (let i = 0; i * LINE_LIMITS.messagesPerRequest < messages.length; i++) {
    const part = messages.slice(i * LINE_LIMITS.messagesPerRequest, (i + 1) * LINE_LIMITS.messagesPerRequest);
    items.push({ _id: `${key}:push:${first + i}`, kind: 'push', to: [userId], messages: [...part], cause });
  }
  return items;
}

const isDuplicate = (e: unknown) => {
  const o = e as { code?: number; err?: { code?: number } };
  return o?.code === 11000 || o?.err?.code === 11000;
};

/**
 * Messages to send, recorded before they are sent (the drainer sends them). Writing the same
 * cause twice finds the first document and leaves it as it is, so a repeated cause never sends twice.
 */
export class Outbox {
  constructor(
    private readonly models: Models,
    private readonly now: () => Date = () => new Date(),
    /** Told about new items (the drainer's kick), so they go out without waiting for a poll. */
    readonly onEnqueued?: (ids: string[]) => void,
  ) {}

  /** Records items; an `_id` already there is left as is (idempotent by cause). */
  async enqueue(items: readonly NewOutboxItem[]): Promise<void> {
    const inserted = await this.insert(items, 0);
    if (inserted.length) this.onEnqueued?.(inserted.map((d) => d._id));
  }

  /**
   * Records items already claimed by the caller for `claimMs` (who sends them at once, saving
   * the drainer's claim); returns only those new here. Items already present are not returned.
   */
  async enqueueClaimed(items: readonly NewOutboxItem[], claimMs: number): Promise<OutboxDoc[]> {
    return this.insert(items, claimMs);
  }

  /** Records a send whose outcome is unknown (a reply that may have landed): never sent again. */
  async recordUnknown(item: NewOutboxItem, reason: string): Promise<void> {
    const [doc] = this.build([item], 0);
    await this.models.Outbox.create({ ...doc!, status: 'unknown', attempts: 1, lastError: reason }).catch((e: unknown) => {
      if (!isDuplicate(e)) throw e;
    });
  }

  /**
   * The items with these ids (those that exist). Asked often by a campaign's delivery loop for
   * the batches it has in flight, so it is shaped to stay cheap as the outbox grows: the pending
   * ones come from one query on `status` (few are pending at a time), the others by point reads
   * on `_id`, both served by an index on MongoDB and on the embedded database (which serves
   * neither `$in` nor ranges by index, and would read the whole outbox for `_id: {$in}`).
   */
  async get(ids: readonly string[]): Promise<OutboxDoc[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) return this.models.Outbox.find({ _id: ids[0] }).lean<OutboxDoc[]>();
    const pending = await this.models.Outbox.find({ status: 'pending', _id: { $in: [...ids] } }).lean<OutboxDoc[]>();
    const seen = new Set(pending.map((d) => d._id));
    const rest = await Promise.all([...new Set(ids)].filter((id) => !seen.has(id)).map((id) => this.models.Outbox.findById(id).lean<OutboxDoc>()));
    // Settled is final: an item not pending in the first query is read once more for its outcome.
    return [...pending, ...rest.filter((d): d is OutboxDoc => d !== null)];
  }

  /**
   * How the items with these ids ended (or that they are pending): only `_id`, `status`, `sentAt`
   * and `failure`, read as `get` reads them. What a campaign's delivery loop asks each round for
   * its batches in flight, so their recipients and messages are not read back every time.
   */
  async outcomes(ids: readonly string[]): Promise<OutboxOutcome[]> {
    if (ids.length === 0) return [];
    const fields = { _id: 1, status: 1, sentAt: 1, failure: 1 };
    const pending = await this.models.Outbox.find({ status: 'pending', _id: { $in: [...ids] } }, fields).lean<OutboxOutcome[]>();
    const seen = new Set(pending.map((d) => d._id));
    const rest = await Promise.all([...new Set(ids)].filter((id) => !seen.has(id)).map((id) => this.models.Outbox.findById(id, fields).lean<OutboxOutcome>()));
    return [...pending, ...rest.filter((d): d is OutboxOutcome => d !== null)];
  }

  /**
   * Takes back items no sender has picked up yet, so they are never sent: each becomes `failed`
   * with kind `withdrawn` (its cause may record it again under a new id). Only items never
   * attempted qualify: a drainer's claim counts an attempt in the same single-document update
   * that checks the status, so an item is either withdrawn here or claimed there, never both.
   * An item that was tried (it may be on the wire, or have landed before a timeout) goes its way
   * with its retry key. Returns how many were withdrawn.
   */
  async withdraw(ids: readonly string[], reason: string): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.models.Outbox.updateMany(
      { status: 'pending', attempts: 0, _id: { $in: [...ids] } },
      { $set: { status: 'failed', failure: { kind: 'withdrawn', reason } } },
    );
    return r.modifiedCount;
  }

  /** Forgets settled items older than `before` (their causes' own records remain). */
  async purgeSettled(before: Date): Promise<number> {
    const r = await this.models.Outbox.deleteMany({ status: { $in: ['sent', 'failed', 'unknown'] }, createdAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }

  private build(items: readonly NewOutboxItem[], claimMs: number): OutboxDoc[] {
    const now = this.now();
    return items.map((it) => {
      if (it.kind === 'push' && it.to.length !== 1) throw new Error(`outbox ${it._id}: a push goes to exactly one user`);
      if (it.kind === 'multicast' && (it.to.length < 1 || it.to.length > LINE_LIMITS.multicastRecipients)) {
        throw new Error(`outbox ${it._id}: a multicast goes to 1–${LINE_LIMITS.multicastRecipients} users`);
      }
      if (it.messages.length < 1 || it.messages.length > LINE_LIMITS.messagesPerRequest) {
        throw new Error(`outbox ${it._id}: 1–${LINE_LIMITS.messagesPerRequest} messages per item`);
      }
      assertMessagesWithinLimits(it.messages);
      const due = it.notBefore && it.notBefore > now ? it.notBefore : now;
      return {
        _id: it._id,
        kind: it.kind,
        to: [...it.to],
        messages: [...it.messages],
        retryKey: deriveRetryKey(it._id),
        status: 'pending' as const,
        attempts: claimMs > 0 ? 1 : 0,
        nextAttemptAt: claimMs > 0 ? new Date(now.getTime() + claimMs) : due,
        ...(it.notBefore ? { notBefore: it.notBefore } : {}),
        createdAt: now,
        cause: { type: it.cause.type, id: it.cause.id },
      };
    });
  }

  private async insert(items: readonly NewOutboxItem[], claimMs: number): Promise<OutboxDoc[]> {
    if (items.length === 0) return [];
    const docs = this.build(items, claimMs);
    if (docs.length === 1) {
      try {
        await this.models.Outbox.collection.insertOne(docs[0] as never);
        return docs;
      } catch (e) {
        if (isDuplicate(e)) return [];
        throw e;
      }
    }
    try {
      await this.models.Outbox.collection.insertMany(docs as never[], { ordered: false });
      return docs;
    } catch (e) {
      const writeErrors = (e as { writeErrors?: unknown[] | unknown }).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (list.length === 0 || !list.every(isDuplicate)) throw e;
      const failed = new Set(list.map((w) => (w as { index: number }).index));
      return docs.filter((_, i) => !failed.has(i));
    }
  }
}
