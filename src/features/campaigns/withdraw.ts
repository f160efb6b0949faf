import type { Models } from '../../core/db/models.js';
import type { CampaignDoc } from './model.js';
import type { OutboxPort } from './outbox-port.js';

/**
 * Pausing or cancelling a campaign takes back its batches that are with the outbox but not yet
 * picked up by a sender, so they are not sent: the outbox settles them as `withdrawn` and the
 * delivery loop (or the next run, on resume) puts each batch back to `planned`, to go again
 * under a new item id. Batches already on the wire finish (LINE may have them); at most the
 * drainers' concurrency can be. Returns how many batches were taken back.
 */
export async function withdrawInFlight(models: Models, outbox: OutboxPort, c: Pick<CampaignDoc, '_id' | 'occurrence'>, reason: string): Promise<number> {
  if (!c.occurrence) return 0;
  const ids: string[] = [];
  for await (const b of models.CampaignBatch.find({ campaignId: c._id, occurrence: c.occurrence, status: 'enqueued' }, { outboxId: 1 }).lean().cursor({ batchSize: 100 })) {
    if (b.outboxId) ids.push(b.outboxId);
  }
  return outbox.withdraw(ids, reason);
}
