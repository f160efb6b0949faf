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

type PendingDoc = {
  _id: string;
  userKey: string;
  timestamp: number;
  receivedAt: Date;
  redelivery?: boolean | null;
  attempts?: number | null;
  payload: unknown;
};

/** Durable, deduplicated store of webhook events (see the inbox collections in models.ts). */
export class Inbox {
  constructor(private readonly models: Models) {}

  /**
   * Stores events before the webhook answers 200: one insert each. A repeat of an event still
   * queued collides here; a repeat of one already processed is dropped by the processor
   * (see isProcessed). Any other database error propagates: the webhook answers 5xx and LINE
   * redelivers.
   */
  async store(events: readonly LineEvent[], receivedAt = new Date()): Promise<StoreResult> {
    const result: StoreResult = { stored: 0, duplicates: 0, userKeys: [] };
    const keys = new Set<string>();
    await Promise.all(
      events.map(async (event) => {
        const userKey = userKeyOf(event);
        try {
          await this.models.InboxPending.create({
            _id: eventId(event),
            userKey,
            timestamp: event.timestamp,
            receivedAt,
            redelivery: Boolean(event.deliveryContext?.isRedelivery),
            attempts: 0,
            payload: event,
          });
          result.stored++;
          keys.add(userKey);
        } catch (err) {
          if ((err as { code?: number }).code !== 11000) throw err;
          result.duplicates++;
        }
      }),
    );
    result.userKeys = [...keys];
    return result;
  }

  /** The next unprocessed events of one user, oldest first by LINE's timestamp. */
  async nextPending(userKey: string, limit = 20): Promise<PendingDoc[]> {
    return this.models.InboxPending.find({ userKey }).sort({ timestamp: 1, _id: 1 }).limit(limit).lean<PendingDoc[]>();
  }

  async hasPending(userKey: string): Promise<boolean> {
    return (await this.models.InboxPending.exists({ userKey })) !== null;
  }

  /** True when the ledger already has this event: a repeat that arrived after processing. */
  async isProcessed(id: string): Promise<boolean> {
    return (await this.models.InboxEvent.exists({ _id: id })) !== null;
  }

  async dropPending(id: string): Promise<void> {
    await this.models.InboxPending.deleteOne({ _id: id });
  }

  /** Writes the outcome to the ledger, then drops the queued copy (and with it the message text). */
  async finish(doc: PendingDoc, status: 'done' | 'ignored' | 'failed', error?: string, attempts?: number): Promise<void> {
    const event = doc.payload as LineEvent | undefined;
    await this.models.InboxEvent.updateOne(
      { _id: doc._id },
      {
        $set: {
          userKey: doc.userKey,
          type: String(event?.type ?? 'unknown'),
          mode: event?.mode ?? 'active',
          timestamp: doc.timestamp,
          receivedAt: doc.receivedAt,
          redelivery: Boolean(doc.redelivery),
          status,
          attempts: attempts ?? doc.attempts ?? 0,
          processedAt: new Date(),
          ...(error ? { lastError: error } : {}),
        },
      },
      { upsert: true },
    );
    await this.models.InboxPending.deleteOne({ _id: doc._id });
  }

  async recordAttempt(id: string): Promise<number> {
    // No projection: FerretDB 1.x does not implement findAndModify's `fields`.
    const doc = await this.models.InboxPending.findOneAndUpdate({ _id: id }, { $inc: { attempts: 1 } }, { returnDocument: 'after' }).lean();
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

  /** Forgets processed events older than the retention window (dedup only needs recent ones). */
  async purgeFinished(before: Date): Promise<number> {
    const r = await this.models.InboxEvent.deleteMany({ receivedAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }
}
