import { randomUUID } from 'node:crypto';
import type { TrainingDoc, TrainingModels, TrainingSignupDoc } from '../../core/db/schemas/training.js';
import { FENCE_MS, holdKey, promotionOf, revIs, seatsOf, type Promotion } from './training-service.js';

export interface SeatFix {
  trainingId: string;
  code: string;
  before: { seatsTaken: number; waitingCount: number; waitlist: number };
  after: { seatsTaken: number; waitingCount: number; waitlist: number };
  /** People the training's copy counted in a seat (or on the list) without a sign-up saying so. */
  removed: number;
  /** People whose sign-up says confirmed (or waiting) whom the copy did not count. */
  added: number;
  promoted: number;
}

export interface ReconcileReport {
  checked: number;
  fixed: SeatFix[];
  /** Changed while being checked: left for the next run. */
  busy: number;
  /** Promotion notices recorded in the outbox that an interrupted operation had not recorded. */
  notified: number;
}

export interface ReconcileOptions {
  /** Trainings changed this recently are left for the next run (default 60 s; 0: all). */
  quietMs?: number;
}

/** Trainings changed this recently are probably in the middle of an operation that will finish itself. */
const QUIET_MS = 60_000;
const BUSY = Symbol('busy');

/**
 * Repairs the training documents' seat copies (`seats`/`seatsTaken`, `waitlist`/`waitingCount`)
 * from the sign-up documents, the source of truth for who holds a seat and who waits. A crash
 * between the two writes of a seat operation leaves the copy counting someone the sign-ups do
 * not (a seat taken, a sign-up never written; a cancellation whose seat was never handed on) or
 * a promotion half done; this puts the copy back, promotes people waiting behind a seat that
 * leaked free (and tells them through `notify`, keyed by the promotion), records notices an
 * interrupted promotion never recorded, and reports what it fixed per training.
 *
 * Safe beside live operations: before writing, the run fences the sign-up of every person whose
 * place it takes away or whom it promotes (a compare-and-set on the sign-up's `rev`, so an
 * operation between its two writes can no longer commit against the old copy and starts over),
 * then writes the training with a compare-and-set on its `rev` (any change since it was read, and
 * the run leaves the training for the next one).
 */
export async function reconcileSeats(
  models: TrainingModels,
  now: Date,
  notify?: (p: Promotion) => Promise<void>,
  opts: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, fixed: [], busy: 0, notified: 0 };
  const quietMs = opts.quietMs ?? QUIET_MS;
  const owner = `reconcile:${randomUUID()}`;
  // Trainings under way or over have nothing left to repair (no one signs up or is promoted).
  const trainings = await models.Training.find({ startsAt: { $gt: now } }).lean<TrainingDoc[]>();
  for (const t of trainings) {
    if (quietMs > 0 && t.updatedAt && now.getTime() - t.updatedAt.getTime() < quietMs) continue;
    report.checked++;
    const fix = await reconcileOne(models, { ...t, waitlist: t.waitlist ?? [], waitingCount: t.waitingCount ?? 0 }, now, owner);
    if (fix === BUSY) report.busy++;
    else if (fix) report.fixed.push(fix);
    report.notified += await recordDueNotices(models, t._id, now, notify);
  }
  return report;
}

async function reconcileOne(models: TrainingModels, t: TrainingDoc, now: Date, owner: string): Promise<SeatFix | null | typeof BUSY> {
  const signups = await models.TrainingSignup.find({ trainingId: t._id }).lean<TrainingSignupDoc[]>();
  // A fence left by a run that died is lifted; a live one means another run is at work here.
  for (const s of signups.filter((x) => x.fencedBy)) {
    if (!s.fencedAt || Date.now() - s.fencedAt.getTime() <= FENCE_MS) return BUSY;
    await models.TrainingSignup.updateOne({ _id: s._id, rev: revIs(s.rev), fencedBy: s.fencedBy }, { $unset: { fencedBy: 1, fencedAt: 1 }, $inc: { rev: 1 } });
    return BUSY;
  }
  const byUser = new Map(signups.map((s) => [s.userId, s]));
  const seats0 = seatsOf(t);
  const list0 = t.waitlist;
  const confirmed = new Set(signups.filter((s) => s.status === 'confirmed').map((s) => s.userId));
  // Ties in time keep the copy's order; someone moved into a seat by a promotion cut short was first in line.
  const listPos = (u: string) => (seats0.includes(u) ? -1 : list0.includes(u) ? list0.indexOf(u) : Number.MAX_SAFE_INTEGER);
  const waiting = signups
    .filter((s) => s.status === 'waiting')
    .sort((a, b) => (a.waitingSince?.getTime() ?? 0) - (b.waitingSince?.getTime() ?? 0) || listPos(a.userId) - listPos(b.userId) || String(a._id).localeCompare(String(b._id)))
    .map((s) => s.userId);

  // The copy as the sign-ups say it should be; a seat free while people wait goes to the first of them.
  const keep = seats0.filter((u) => confirmed.has(u));
  const missing = signups.filter((s) => s.status === 'confirmed' && !seats0.includes(s.userId)).map((s) => s.userId);
  const promotions: string[] = [];
  while (t.status === 'open' && keep.length + missing.length + promotions.length < t.capacity && waiting.length > 0) promotions.push(waiting.shift()!);
  const seats = [...keep, ...missing, ...promotions];
  const same =
    promotions.length === 0 &&
    seats.length === t.seatsTaken &&
    seats.join('\n') === seats0.join('\n') &&
    waiting.length === t.waitingCount &&
    waiting.join('\n') === list0.join('\n');
  if (same) return null;

  const removed = [...seats0.filter((u) => !confirmed.has(u)), ...list0.filter((u) => !waiting.includes(u) && !promotions.includes(u))];
  const fenced: { userId: string; placeholder: boolean }[] = [];
  const unfence = async () => {
    for (const f of fenced) {
      if (f.placeholder) await models.TrainingSignup.deleteOne({ trainingId: t._id, userId: f.userId, fencedBy: owner });
      else await models.TrainingSignup.updateOne({ trainingId: t._id, userId: f.userId, fencedBy: owner }, { $unset: { fencedBy: 1, fencedAt: 1 }, $inc: { rev: 1 } });
    }
  };
  for (const userId of new Set([...removed, ...promotions])) {
    const s = byUser.get(userId);
    let ok: boolean;
    if (s) {
      const r = await models.TrainingSignup.updateOne({ _id: s._id, rev: revIs(s.rev), fencedBy: { $exists: false } }, { $set: { fencedBy: owner, fencedAt: new Date() }, $inc: { rev: 1 } });
      ok = r.matchedCount === 1;
    } else {
      // Counted with no sign-up at all (its first write was never followed): a fenced empty
      // record stops that operation's insert (unique per training and person) until the copy is right.
      ok = await models.TrainingSignup.create({ trainingId: t._id, userId, status: 'cancelled', createdAt: now, rev: 1, applied: [], fencedBy: owner, fencedAt: new Date() }).then(
        () => true,
        (err: unknown) => {
          if ((err as { code?: number }).code === 11000) return false;
          throw err;
        },
      );
    }
    if (!ok) {
      await unfence();
      return BUSY;
    }
    fenced.push({ userId, placeholder: !s });
  }

  const pkey = `promo:reconcile:${String(t._id)}:${t.rev ?? 0}`;
  const holds: Record<string, string> = {};
  for (const u of [...seats, ...waiting]) {
    const k = t.holds?.[holdKey(u)];
    if (k) holds[holdKey(u)] = k;
  }
  for (const u of promotions) holds[holdKey(u)] = pkey;
  const w = await models.Training.updateOne(
    { _id: t._id, rev: revIs(t.rev) },
    { $set: { seats, seatsTaken: seats.length, waitlist: waiting, waitingCount: waiting.length, holds, updatedAt: now }, $inc: { rev: 1 } },
  );
  if (w.matchedCount !== 1) {
    await unfence();
    return BUSY;
  }
  let promoted = 0;
  for (const u of promotions) {
    const r = await models.TrainingSignup.updateOne(
      { trainingId: t._id, userId: u, status: 'waiting', fencedBy: owner },
      {
        $set: { status: 'confirmed', confirmedAt: now, promotedAt: now, noticeDue: true, updatedAt: now },
        $unset: { fencedBy: 1, fencedAt: 1 },
        $inc: { rev: 1 },
        $push: { applied: pkey },
      },
    );
    if (r.matchedCount === 1) promoted++;
  }
  await unfence();
  return {
    trainingId: String(t._id),
    code: t.code,
    before: { seatsTaken: t.seatsTaken, waitingCount: t.waitingCount, waitlist: list0.length },
    after: { seatsTaken: seats.length, waitingCount: waiting.length, waitlist: waiting.length },
    removed: removed.length,
    added: missing.length + waiting.filter((u) => !list0.includes(u)).length,
    promoted,
  };
}

/**
 * Promoted people whose notice is not yet recorded (the promotion's last step was cut short):
 * recorded now, under the promotion's own key, so someone already told is not told again.
 */
async function recordDueNotices(models: TrainingModels, trainingId: TrainingDoc['_id'], now: Date, notify?: (p: Promotion) => Promise<void>): Promise<number> {
  if (!notify) return 0;
  const due = await models.TrainingSignup.find({ trainingId, noticeDue: true }).lean<TrainingSignupDoc[]>();
  if (due.length === 0) return 0;
  const t = await models.Training.findById(trainingId).lean<TrainingDoc>();
  let n = 0;
  for (const s of due) {
    if (t && s.status === 'confirmed' && t.startsAt.getTime() > now.getTime()) {
      await notify(promotionOf(s, t));
      n++;
    }
    await models.TrainingSignup.updateOne({ _id: s._id, noticeDue: true }, { $unset: { noticeDue: 1 } });
  }
  return n;
}
