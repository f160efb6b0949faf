import type { Sealer } from '../core/crypto.js';
import type { Models } from '../core/db/models.js';
import { failedPayloadSeal, inboxKey, isUserKey } from './inbox.js';

export interface ReplayResult {
  replayed: string[];
  /** Asked for but not replayable (unknown id, not failed, payload already expired). */
  missing: string[];
}

/**
 * Puts failed events back in the inbox queue (operator command `npm run replay`): the payload
 * is unsealed and queued under its original id and arrival time, so the sweeper of a running
 * web process picks it up and, the reply token being stale, answers by push (through the outbox).
 * The applied-event guard still holds: an event applied meanwhile is not applied again.
 */
export async function replayFailedEvents(models: Models, sealer: Sealer, ids: readonly string[] | 'all'): Promise<ReplayResult> {
  const base = { status: 'failed' as const, sealedPayload: { $exists: true } };
  const docs = await models.InboxEvent.find(ids === 'all' ? base : { ...base, _id: { $in: [...ids] } }).lean<
    { _id: string; userKey: string; timestamp: number; receivedAt: Date; sealedPayload?: string }[]
  >();
  const replayed: string[] = [];
  for (const d of docs) {
    const payload = sealer.unseal(String(d.sealedPayload), failedPayloadSeal(d._id));
    const entry = { _id: d._id, timestamp: d.timestamp, receivedAt: d.receivedAt, redelivery: true, attempts: 0, payload };
    if (isUserKey(d.userKey)) {
      // Back into the user's document, where their pending events live (see inbox.ts).
      const field = `inbox.${inboxKey(d._id)}`;
      await models.Session.collection.updateOne(
        { _id: d.userKey as never, [field]: { $exists: false } },
        { $set: { [field]: entry, pendingSince: d.receivedAt }, $inc: { inboxCount: 1 }, $setOnInsert: { rev: 0, createdAt: d.receivedAt, updatedAt: d.receivedAt } },
        { upsert: true },
      ).catch((err: unknown) => {
        if ((err as { code?: number }).code !== 11000) throw err; // already queued again
      });
    } else {
      try {
        await models.InboxPending.collection.insertOne({ ...entry, _id: d._id as never, userKey: d.userKey });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err; // already queued again
      }
    }
    // It was recorded as applied (so that it stopped blocking the user): make it applicable again.
    await models.Session.updateOne({ _id: d.userKey }, { $pull: { applied: d._id } });
    await models.InboxEvent.updateOne({ _id: d._id }, { $set: { status: 'replayed' }, $unset: { sealedPayload: 1, keepUntil: 1 } });
    replayed.push(d._id);
  }
  const found = new Set(replayed);
  return { replayed, missing: ids === 'all' ? [] : ids.filter((id) => !found.has(id)) };
}
