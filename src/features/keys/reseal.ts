import { Sealer, type SealContext } from '../../core/crypto.js';
import { nationalIdSeal } from '../producers/producer-store.js';
import type { Models } from '../../core/db/models.js';

export interface ResealReport {
  /** Values now sealed with the primary key that were not before. */
  resealed: number;
  /** Values already current. */
  current: number;
  /** Values no configured key opens, left as they are (reported by owner reference). */
  unreadable: { collection: string; owner: string; field: string; reason: string }[];
}

/**
 * Key rotation's second half: every sealed value (producers' national IDs, and sealed answers in
 * journeys still open in sessions) is opened with whichever key in the ring sealed it and sealed
 * again with the primary key; lookups are recomputed with the primary lookup key. After it
 * reports no unreadable values, the old keys can be removed from DATA_ENCRYPTION_KEYS.
 * Idempotent: a second run finds everything current.
 */
export async function resealAll(models: Models, sealer: Sealer): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, current: 0, unreadable: [] };

  for await (const p of models.Producer.find({ nationalIdSealed: { $exists: true } }).select({ userId: 1, nationalIdSealed: 1, nationalIdLookup: 1 }).lean().cursor()) {
    const sealed = p.nationalIdSealed;
    if (!sealed) continue;
    const ctx = nationalIdSeal(p.userId);
    const opened = sealer.tryUnseal(sealed, ctx);
    if (!opened.ok) {
      report.unreadable.push({ collection: 'producers', owner: p.userId, field: 'nationalId', reason: opened.error.message });
      continue;
    }
    const lookup = sealer.lookup(opened.value);
    if (sealer.isCurrent(sealed) && p.nationalIdLookup === lookup) {
      report.current++;
      continue;
    }
    // Guarded by the old value: a user saving at the same moment wins, nothing is overwritten.
    await models.Producer.updateOne({ _id: p._id, nationalIdSealed: sealed }, { $set: { nationalIdSealed: sealer.seal(opened.value, ctx), nationalIdLookup: lookup } });
    report.resealed++;
  }

  for await (const s of models.Session.find({}).select({ _id: 1, flow: 1, paused: 1, rev: 1 }).lean().cursor()) {
    const owner = String(s._id);
    let changed = false;
    const visit = (node: unknown, key: string): unknown => {
      if (typeof node === 'string' && Sealer.isSealed(node)) {
        const ctx: SealContext = { owner, field: key };
        if (sealer.isCurrent(node)) {
          report.current++;
          return node;
        }
        const opened = sealer.tryUnseal(node, ctx);
        if (!opened.ok) {
          report.unreadable.push({ collection: 'sessions', owner, field: key, reason: opened.error.message });
          return node;
        }
        changed = true;
        report.resealed++;
        return sealer.seal(opened.value, ctx);
      }
      if (Array.isArray(node)) return node.map((v) => visit(v, key));
      if (node && typeof node === 'object' && !(node instanceof Date)) {
        return Object.fromEntries(Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, visit(v, k)]));
      }
      return node;
    };
    const flow = visit(s.flow, 'flow');
    const paused = visit(s.paused, 'paused');
    if (changed) {
      // rev guard: a conversation that moved on meanwhile is left alone (run again to catch it).
      await models.Session.updateOne({ _id: s._id, rev: s.rev }, { $set: { flow, paused, rev: s.rev + 1 } });
    }
  }
  return report;
}
