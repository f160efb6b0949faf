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

/** Durable, deduplicated store of webhook events. */
export class Inbox {
  constructor(private readonly models: Models) {}

  /**
   * Stores events before the webhook answers 200. A repeated webhookEventId is a duplicate and
   * is skipped; any other database error propagates (the webhook answers 5xx, LINE redelivers).
   */
  async store(events: readonly LineEvent[], receivedAt = new Date()): Promise<StoreResult> {
    const result: StoreResult = { stored: 0, duplicates: 0, userKeys: [] };
    const keys = new Set<string>();
    await Promise.all(
      events.map(async (event) => {
        const userKey = userKeyOf(event);
        try {
          await this.models.InboxEvent.create({
            _id: eventId(event),
            userKey,
            type: String(event.type),
            mode: event.mode ?? 'active',
            timestamp: event.timestamp,
            receivedAt,
            redelivery: Boolean(event.deliveryContext?.isRedelivery),
            status: 'pending',
            attempts: 0,
            payload: event,
          });
          result.stored++;
          keys.add(userKey);
        } catch (err) {
          if ((err as { code?: number }).code === 11000) {
            result.duplicates++;
            return;
          }
          throw err;
        }
      }),
    );
    result.userKeys = [...keys];
    return result;
  }

  /** The next unprocessed events of one user, oldest first by LINE's timestamp. */
  async nextPending(userKey: string, limit = 20) {
    return this.models.InboxEvent.find({ userKey, status: 'pending' })
      .sort({ timestamp: 1, _id: 1 })
      .limit(limit)
      .lean();
  }

  async hasPending(userKey: string): Promise<boolean> {
    return (await this.models.InboxEvent.exists({ userKey, status: 'pending' })) !== null;
  }

  /** Marks an event finished and drops its payload (message text is not kept once handled). */
  async finish(id: string, status: 'done' | 'ignored' | 'failed', error?: string): Promise<void> {
    await this.models.InboxEvent.updateOne(
      { _id: id },
      {
        $set: { status, processedAt: new Date(), ...(error ? { lastError: error } : {}) },
        $unset: { payload: 1 },
      },
    );
  }

  async recordAttempt(id: string, error: string): Promise<number> {
    const doc = await this.models.InboxEvent.findOneAndUpdate(
      { _id: id },
      { $inc: { attempts: 1 }, $set: { lastError: error } },
      // No projection: FerretDB 1.x does not implement findAndModify's `fields`.
      { returnDocument: 'after' },
    ).lean();
    return doc?.attempts ?? 0;
  }

  /** Users with events still pending after `olderThan`: left behind by a crash or a lost kick. */
  async staleUserKeys(olderThan: Date, limit = 200): Promise<string[]> {
    const docs = await this.models.InboxEvent.find({ status: 'pending', receivedAt: { $lt: olderThan } })
      .sort({ receivedAt: 1 })
      .limit(limit)
      .select({ userKey: 1 })
      .lean();
    return [...new Set(docs.map((d) => d.userKey))];
  }

  /** Deletes finished events older than the retention window (dedup only needs recent ones). */
  async purgeFinished(before: Date): Promise<number> {
    const r = await this.models.InboxEvent.deleteMany({ status: { $ne: 'pending' }, receivedAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }
}
