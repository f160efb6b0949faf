import type { Types } from 'mongoose';
import type { TrainingDoc, TrainingModels, TrainingSignupDoc } from '../../core/db/schemas/training.js';
import { toView, type Promotion } from './training-service.js';

export interface SeatFix {
  trainingId: string;
  code: string;
  before: { seatsTaken: number; waitingCount: number; waitlist: number };
  after: { seatsTaken: number; waitingCount: number; waitlist: number };
  promoted: number;
}

export interface ReconcileReport {
  checked: number;
  fixed: SeatFix[];
  /** Changed while being checked: left for the next run. */
  busy: number;
}

/** Trainings changed this recently may be in the middle of an operation: not touched yet. */
const QUIET_MS = 60_000;

/**
 * Repairs seat counts and waiting lists from the sign-up documents, the source of truth for who
 * holds a seat and who waits. A crash or a failed second write of a seat operation (sign-up,
 * waiting-list move, cancellation, promotion) can leave `seatsTaken`, `waitlist` or
 * `waitingCount` disagreeing with the sign-ups; this puts them back, promotes people waiting
 * behind a seat that leaked free (and tells them through `notify`), and reports what it fixed.
 * Each training is written with one conditional update, so a live operation is never overwritten.
 */
export async function reconcileSeats(models: TrainingModels, now: Date, notify?: (p: Promotion) => Promise<void>): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, fixed: [], busy: 0 };
  const trainings = await models.Training.find({ endsAt: { $gt: now } }).lean<TrainingDoc[]>();
  for (const t of trainings) {
    if (t.updatedAt && now.getTime() - t.updatedAt.getTime() < QUIET_MS) continue;
    report.checked++;
    const signups = await models.TrainingSignup.find({ trainingId: t._id, status: { $in: ['confirmed', 'waiting'] } }).lean<TrainingSignupDoc[]>();
    const confirmed = signups.filter((s) => s.status === 'confirmed');
    const waiting = signups
      .filter((s) => s.status === 'waiting')
      .sort((a, b) => (a.waitingSince?.getTime() ?? 0) - (b.waitingSince?.getTime() ?? 0) || String(a._id).localeCompare(String(b._id)));
    // A seat that leaked free while people wait goes to the first of them (open trainings only).
    const promotions: TrainingSignupDoc[] = [];
    while (t.status === 'open' && confirmed.length + promotions.length < t.capacity && waiting.length > 0) promotions.push(waiting.shift()!);
    const want = { seatsTaken: confirmed.length + promotions.length, waitlist: waiting.map((s) => s.userId) };
    const same =
      want.seatsTaken === t.seatsTaken && want.waitlist.length === t.waitingCount && want.waitlist.join('\n') === (t.waitlist ?? []).join('\n');
    if (same) continue;
    const r = await models.Training.updateOne(
      { _id: t._id, seatsTaken: t.seatsTaken, waitingCount: t.waitingCount, updatedAt: t.updatedAt ?? null },
      { $set: { seatsTaken: want.seatsTaken, waitlist: want.waitlist, waitingCount: want.waitlist.length, updatedAt: now } },
    );
    if (r.matchedCount !== 1) {
      report.busy++;
      continue;
    }
    let promoted = 0;
    for (const s of promotions) {
      const done = await models.TrainingSignup.updateOne(
        { _id: s._id, status: 'waiting' },
        { $set: { status: 'confirmed', confirmedAt: now, promotedAt: now, updatedAt: now } },
      );
      if (done.modifiedCount !== 1) continue;
      promoted++;
      const after = { ...t, seatsTaken: want.seatsTaken, waitlist: want.waitlist, waitingCount: want.waitlist.length };
      await notify?.({ userId: s.userId, trainingId: String(t._id as Types.ObjectId), signupId: String(s._id), promotedAt: now, ...(s.producerId ? { producerId: s.producerId } : {}), training: toView(after) });
    }
    report.fixed.push({
      trainingId: String(t._id),
      code: t.code,
      before: { seatsTaken: t.seatsTaken, waitingCount: t.waitingCount, waitlist: (t.waitlist ?? []).length },
      after: { seatsTaken: want.seatsTaken, waitingCount: want.waitlist.length, waitlist: want.waitlist.length },
      promoted,
    });
  }
  return report;
}
