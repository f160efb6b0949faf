import { createHash } from 'node:crypto';
import type { webhook } from '@line/bot-sdk';
import type { Models } from '../core/db/models.js';

export type LineEvent = webhook.Event;

export interface StoreResult {
  stored: number;
  duplicates: number;
  /** Users that have new events to process. */
  userKeys: string[];
}

/** The chat an event belongs to: events of one key are processed one at a time, in order. */
export function userKeyOf(event: LineEvent): string {
  const s = event.source;
  if (!s) return 'none';
  if (s.type === 'user') return s.userId ?? 'none';
  if (s.type === 'group') return `group:${s.groupId}`;
  if (s.type === 'room') return `room:${s.roomId}`;
  return 'none';
}

function eventId(event: LineEvent): string {
  // LINE always sends webhookEventId; hash the event as a fallback so a malformed sender cannot
  // make two different events collide or one event insert twice.
  return event.webhookEventId || `sha256:${createHash('sha256').update(JSON.stringify(event)).digest('hex')}`;
}

/** Durable, deduplicated store of webhook events (see the inbox collections in models.ts). */
export class Inbox {
  /** `ingestModels`: the same collections on the connection webhook writes use (see connection.ts). */
  constructor(
    private readonly models: Models,
    private readonly ingestModels: Pick<Models, 'InboxEvent' | 'InboxPending'> = models,
  ) {}

  /**
   * Stores events before the webhook answers 200. An event still pending, or already in the
   * ledger, is a duplicate and is skipped; any other database error propagates (the webhook
   * answers 5xx and LINE redelivers).
   */
  async store(events: readonly LineEvent[], receivedAt = new Date()): Promise<StoreResult> {
    const result: StoreResult = { stored: 0, duplicates: 0, userKeys: [] };
    const keys = new Set<string>();
    await Promise.all(
      events.map(async (event) => {
        const id = eventId(event);
        const userKey = userKeyOf(event);
        const common = { _id: id, userKey, timestamp: event.timestamp, receivedAt, redelivery: Boolean(event.deliveryContext?.isRedelivery) };
        // Pending first: if the ledger insert then fails, the event is still processed (finish()
        // writes the ledger), so nothing is lost between the two writes.
        if (!(await insertOnce(this.ingestModels.InboxPending, { ...common, attempts: 0, payload: event }))) {
          result.duplicates++;
          return;
        }
        if (!(await insertOnce(this.ingestModels.InboxEvent, { ...common, type: String(event.type), mode: event.mode ?? 'active', status: 'pending' }))) {
          // Processed before (only the ledger remembers it): drop the copy just queued.
          await this.ingestModels.InboxPending.deleteOne({ _id: id });
          result.duplicates++;
          return;
        }
        result.stored++;
        keys.add(userKey);
      }),
    );
    result.userKeys = [...keys];
    return result;
  }

  /** The next unprocessed events of one user, oldest first by LINE's timestamp. */
  async nextPending(userKey: string, limit = 20) {
    return this.models.InboxPending.find({ userKey }).sort({ timestamp: 1, _id: 1 }).limit(limit).lean();
  }

  async hasPending(userKey: string): Promise<boolean> {
    return (await this.models.InboxPending.exists({ userKey })) !== null;
  }

  /** Records the outcome in the ledger and drops the payload (message text is not kept). */
  async finish(id: string, status: 'done' | 'ignored' | 'failed', error?: string, attempts?: number): Promise<void> {
    await this.models.InboxEvent.updateOne(
      { _id: id },
      { $set: { status, processedAt: new Date(), ...(error ? { lastError: error } : {}), ...(attempts ? { attempts } : {}) } },
    );
    await this.models.InboxPending.deleteOne({ _id: id });
  }

  async recordAttempt(id: string, error: string): Promise<number> {
    // No projection: FerretDB 1.x does not implement findAndModify's `fields`.
    const doc = await this.models.InboxPending.findOneAndUpdate({ _id: id }, { $inc: { attempts: 1 } }, { returnDocument: 'after' }).lean();
    await this.models.InboxEvent.updateOne({ _id: id }, { $set: { lastError: error, attempts: doc?.attempts ?? 0 } });
    return doc?.attempts ?? 0;
  }

  /** Users with events still pending after `olderThan`: left behind by a crash or a lost kick. */
  async staleUserKeys(olderThan: Date, limit = 200): Promise<string[]> {
    const docs = await this.models.InboxPending.find({ receivedAt: { $lt: olderThan } })
      .sort({ receivedAt: 1 })
      .limit(limit)
      .select({ userKey: 1 })
      .lean();
    return [...new Set(docs.map((d) => d.userKey))];
  }

  /** Forgets finished events older than the retention window (dedup only needs recent ones). */
  async purgeFinished(before: Date): Promise<number> {
    const r = await this.models.InboxEvent.deleteMany({ status: { $ne: 'pending' }, receivedAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }
}

/** Inserts unless the _id exists; false for a duplicate. */
async function insertOnce(model: { create(doc: object): Promise<unknown> }, doc: object): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
