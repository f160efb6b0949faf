import { createHash } from 'node:crypto';
import type { webhook } from '@line/bot-sdk';
import { withTimeout } from '../core/async.js';
import type { Models } from '../core/db/models.js';

export type LineEvent = webhook.Event;

export interface StoreResult {
  stored: number;
  duplicates: number;
  /** Events refused because their user already has INBOX_CAP events waiting (acknowledged, skipped). */
  overCap: number;
  /** Users that have new events to process. */
  userKeys: string[];
}

const str = (v: unknown, max = 200): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

/** The chat an event belongs to: events of one key are processed one at a time, in order. */
export function userKeyOf(event: LineEvent): string {
  const s = (event && typeof event === 'object' ? (event as { source?: unknown }).source : undefined) as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') return 'none';
  if (s.type === 'user') return str(s.userId) ?? 'none';
  if (s.type === 'group') return str(s.groupId) ? `group:${String(s.groupId)}` : 'none';
  if (s.type === 'room') return str(s.roomId) ? `room:${String(s.roomId)}` : 'none';
  return 'none';
}

/** True for a one-on-one chat's key (the only chats the bot converses in). */
export const isUserKey = (key: string) => key !== 'none' && !key.includes(':');

function eventId(event: unknown): string {
  // LINE always sends webhookEventId; hash the event when it is missing or not a plain string, so
  // a malformed sender cannot make two different events collide or one event insert twice.
  return str((event as { webhookEventId?: unknown })?.webhookEventId, 100) ?? `sha256:${createHash('sha256').update(JSON.stringify(event) ?? 'null').digest('hex')}`;
}

/**
 * Most events one user can have waiting in their document. The per-user rate limit at ingestion
 * (60 a minute) reaches it only when nobody has processed that user for minutes; 200 events of at
 * most a few KB each keep the document far below MongoDB's 16 MB.
 */
export const INBOX_CAP = 200;

/** The field name of an event in the user's `inbox`: its id when field-safe (no `.`, no leading `$`), else a hash. */
export function inboxKey(id: string): string {
  return /^[A-Za-z0-9_:-]{1,100}$/.test(id) ? id : `h${createHash('sha256').update(id).digest('hex')}`;
}

/** The pending events held in a user's document, oldest first by LINE's timestamp. */
export function pendingOf(userKey: string, inbox: unknown): PendingDoc[] {
  if (!inbox || typeof inbox !== 'object') return [];
  const docs: PendingDoc[] = [];
  for (const v of Object.values(inbox as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') continue;
    const e = v as Omit<PendingDoc, 'userKey'>;
    if (typeof e._id !== 'string' || typeof e.payload !== 'string') continue;
    docs.push({ ...e, userKey, timestamp: Number(e.timestamp) || 0, receivedAt: e.receivedAt instanceof Date ? e.receivedAt : new Date(e.receivedAt) });
  }
  return docs.sort((a, b) => a.timestamp - b.timestamp || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

export type PendingDoc = {
  _id: string;
  userKey: string;
  timestamp: number;
  receivedAt: Date;
  redelivery?: boolean | null;
  attempts?: number | null;
  /** The event as LINE sent it, as JSON text: any shape stores (no `$` keys or nesting limits). */
  payload: string;
};

/** The event of a pending document, or undefined when it is not an object LINE could have sent. */
/** A set-aside event's payload is sealed bound to that event (the replay command opens it). */
export function failedPayloadSeal(eventId: string): { owner: string; field: string } {
  return { owner: eventId, field: 'inbox.payload' };
}

export function eventOf(doc: Pick<PendingDoc, 'payload'>): LineEvent | undefined {
  try {
    const e = JSON.parse(doc.payload) as unknown;
    return e && typeof e === 'object' && !Array.isArray(e) ? (e as LineEvent) : undefined;
  } catch {
    return undefined;
  }
}

export interface InboxOptions {
  /** Deadline of every database call on the webhook path (well inside LINE's 2 s). */
  storeTimeoutMs?: number;
}

/** Durable, deduplicated store of webhook events (see the inbox collections in models.ts). */
/** Bulk writes of webhook upserts in flight at once, per process. */
const UPSERT_LANES = 4;
/** Upserts per bulk write at most. */
const UPSERT_BATCH = 4;

type UserUpsert = { updateOne: { filter: Record<string, unknown>; update: Record<string, unknown>; upsert: true } };

export class Inbox {
  private readonly storeTimeoutMs: number;
  private upserts: { op: UserUpsert; resolve: (r: 'stored' | 'overCap') => void; reject: (e: unknown) => void; retried: boolean }[] = [];
  private lanes = 0;

  constructor(
    private readonly models: Models,
    opts: InboxOptions = {},
  ) {
    this.storeTimeoutMs = opts.storeTimeoutMs ?? 1_000;
  }

  /**
   * Stores events before the webhook answers 200: one insert each, with a deadline. A repeat of
   * an event still queued collides here; a repeat of one already applied is dropped by the
   * processor (the session's applied-event guard). Whatever the event's shape, the document is
   * well-formed (id, key and time derived defensively, payload as text), so only a database that
   * is down or too slow fails the call: the webhook answers 5xx and LINE redelivers.
   */
  async store(events: readonly unknown[], receivedAt = new Date()): Promise<StoreResult> {
    const result: StoreResult = { stored: 0, duplicates: 0, overCap: 0, userKeys: [] };
    const keys = new Set<string>();
    const coll = this.models.InboxPending.collection;
    await withTimeout(
      Promise.all(
        events.map(async (raw) => {
          const event = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
          const userKey = userKeyOf(event as unknown as LineEvent);
          const ts = Number(event.timestamp);
          const doc: PendingDoc = {
            _id: eventId(raw),
            userKey,
            timestamp: Number.isFinite(ts) && ts > 0 ? ts : receivedAt.getTime(),
            receivedAt,
            redelivery: (event.deliveryContext as { isRedelivery?: unknown } | undefined)?.isRedelivery === true,
            attempts: 0,
            payload: JSON.stringify(raw) ?? 'null',
          };
          if (isUserKey(userKey)) {
            // Into the user's document, one atomic upsert: keyed by the event id (a repeat of a queued
            // event lands on itself), refused past INBOX_CAP entries (the document stays far below 16 MB).
            const { userKey: _k, ...entry } = doc;
            const r = await this.upsertIntoUser({
              updateOne: {
                filter: { _id: userKey, $or: [{ inboxCount: { $exists: false } }, { inboxCount: { $lt: INBOX_CAP } }] },
                update: {
                  $set: { [`inbox.${inboxKey(doc._id)}`]: entry, pendingSince: receivedAt },
                  $inc: { inboxCount: 1 },
                  $setOnInsert: { rev: 0, createdAt: receivedAt, updatedAt: receivedAt },
                },
                upsert: true,
              },
            });
            if (r === 'stored') result.stored++;
            else result.overCap++; // the filter did not match: this user has INBOX_CAP events waiting
            keys.add(userKey);
            return;
          }
          try {
            await coll.insertOne(doc as never, { maxTimeMS: this.storeTimeoutMs });
            result.stored++;
            keys.add(userKey);
          } catch (err) {
            if ((err as { code?: number }).code !== 11000) throw err;
            result.duplicates++;
          }
        }),
      ),
      this.storeTimeoutMs,
      'inbox store',
    );
    result.userKeys = [...keys];
    return result;
  }

  /**
   * Group commit of the webhook's upserts: what arrives while bulk writes are in flight (at most
   * UPSERT_LANES) goes out together in the next (one command for many events, fewer commands
   * queued before every other client's; a slow one does not hold all the others up). An upsert that collides on `_id` (two processes creating one new user's document at
   * once) is tried once more before it counts as "over the cap".
   */
  private upsertIntoUser(op: UserUpsert, retried = false): Promise<'stored' | 'overCap'> {
    return new Promise<'stored' | 'overCap'>((resolve, reject) => {
      this.upserts.push({ op, resolve, reject, retried });
      if (this.lanes < UPSERT_LANES) void this.flushUpserts();
    });
  }

  private async flushUpserts(): Promise<void> {
    this.lanes++;
    await new Promise<void>((r) => setImmediate(r)); // gather what arrives in the same turn
    while (this.upserts.length > 0) {
      // Small bulks: the embedded database runs one command at a time for everybody, so one
      // long bulk would hold up every other client (health checks included).
      const batch = this.upserts.splice(0, UPSERT_BATCH);
      const failed = new Map<number, { code?: number }>();
      try {
        await this.models.Session.collection.bulkWrite(batch.map((b) => b.op) as never, { ordered: false, maxTimeMS: this.storeTimeoutMs });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
        const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as { index: number; code?: number }[];
        if (list.length === 0) {
          for (const b of batch) b.reject(err);
          continue;
        }
        for (const e of list) failed.set(e.index, e);
      }
      batch.forEach((b, i) => {
        const e = failed.get(i);
        if (!e) b.resolve('stored');
        else if (e.code !== 11000) b.reject(Object.assign(new Error(`inbox upsert failed (code ${e.code})`), { code: e.code }));
        else if (b.retried) b.resolve('overCap');
        else this.upsertIntoUser(b.op, true).then(b.resolve, b.reject);
      });
    }
    this.lanes--;
  }

  /** The next unprocessed events of a group, room or unknown chat (a user's come with the claim). */
  async nextPending(userKey: string, limit = 20, timeoutMs = 5_000): Promise<PendingDoc[]> {
    return this.models.InboxPending.collection
      .find({ userKey }, { sort: { timestamp: 1, _id: 1 }, limit, maxTimeMS: timeoutMs })
      .toArray() as unknown as Promise<PendingDoc[]>;
  }


  /** Drops handled events from the queue (batched by the processor, off the hot path). */
  async dropPending(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.models.InboxPending.collection.deleteMany({ _id: { $in: [...ids] as never[] } });
  }

  async recordAttempt(doc: Pick<PendingDoc, '_id' | 'userKey'>): Promise<number> {
    // No projection: FerretDB 1.x does not implement findAndModify's `fields`.
    if (isUserKey(doc.userKey)) {
      const field = `inbox.${inboxKey(doc._id)}`;
      const s = await this.models.Session.collection.findOneAndUpdate({ _id: doc.userKey as never, [field]: { $exists: true } }, { $inc: { [`${field}.attempts`]: 1 } }, { returnDocument: 'after' });
      return Number((s?.inbox as Record<string, { attempts?: number }> | undefined)?.[inboxKey(doc._id)]?.attempts ?? 0);
    }
    const d = await this.models.InboxPending.findOneAndUpdate({ _id: doc._id }, { $inc: { attempts: 1 } }, { returnDocument: 'after' }).lean();
    return d?.attempts ?? 0;
  }

  /**
   * Sets an event aside after its last attempt: the ledger keeps the outcome and, sealed, the
   * payload (for `npm run replay`) until `keepUntil`; the queued copy goes.
   */
  async setAside(doc: PendingDoc, error: string, attempts: number, sealedPayload: string | undefined, keepUntil: Date): Promise<void> {
    const event = eventOf(doc);
    await this.models.InboxEvent.updateOne(
      { _id: doc._id },
      {
        $set: {
          userKey: doc.userKey,
          type: String(event?.type ?? 'unknown'),
          mode: typeof event?.mode === 'string' ? event.mode : 'active',
          timestamp: doc.timestamp,
          receivedAt: doc.receivedAt,
          redelivery: Boolean(doc.redelivery),
          status: 'failed',
          attempts,
          processedAt: new Date(),
          lastError: error,
          ...(sealedPayload ? { sealedPayload, keepUntil } : {}),
        },
      },
      { upsert: true },
    );
    // A user's event leaves their document with the processor's commit that follows.
    if (!isUserKey(doc.userKey)) await this.dropPending([doc._id]);
  }

  /** Users with events still pending after `olderThan`: left behind by a crash or a lost kick. */
  async staleUserKeys(olderThan: Date, limit = 200): Promise<string[]> {
    // Users: events in their document and none arrived lately (inboxCount is exact after every commit).
    const users = await this.models.Session.collection
      .find({ pendingSince: { $lt: olderThan }, inboxCount: { $gt: 0 } }, { projection: { _id: 1 }, sort: { pendingSince: 1 }, limit })
      .toArray();
    const docs = await this.models.InboxPending.find({ receivedAt: { $lt: olderThan } })
      .sort({ receivedAt: 1 })
      .limit(limit)
      .select({ userKey: 1 })
      .lean();
    return [...new Set([...users.map((d) => String(d._id)), ...docs.map((d) => d.userKey)])];
  }

  /** Forgets ledger entries older than the retention window, and sealed payloads past their time. */
  async purgeFinished(before: Date, now = new Date()): Promise<number> {
    await this.models.InboxEvent.updateMany({ keepUntil: { $lt: now } }, { $unset: { sealedPayload: 1, keepUntil: 1 } });
    const r = await this.models.InboxEvent.deleteMany({ receivedAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }
}
