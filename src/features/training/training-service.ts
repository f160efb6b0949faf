import { Types } from 'mongoose';
import type {
  LocalizedText,
  SignupStatus,
  TrainingDoc,
  TrainingMode,
  TrainingModels,
  TrainingSignupDoc,
  TrainingStatus,
  TrainingTopic,
} from '../../core/db/schemas/training.js';

/**
 * Trainings: listing, sign-up with a waiting list, cancellation with promotion of the first person
 * waiting. No LINE or i18n here: the conversation layer turns results into messages and pushes
 * "you got a seat" to whoever `cancel()` promoted.
 *
 * Concurrency (no transactions: FerretDB 1.x has none). Every change to seats or to the waiting
 * list is ONE conditional update of the training document (see src/core/db/schemas/training.ts):
 * - take a seat:   { seatsTaken < capacity, waitingCount: 0 }          → $inc seatsTaken +1
 * - join the list: { (seatsTaken ≥ capacity or waitingCount > 0), waitlist ∌ user } → $push user
 * - pass a seat on: { waitingCount > 0 } → $pop the first (read from the pre-image); seatsTaken unchanged
 * - free a seat:   { waitingCount: 0, seatsTaken > 0 }                  → $inc seatsTaken −1
 * so seats are never overbooked and a free seat always means nobody is waiting. Each person's own
 * record (training_signups, unique per training+user) is written next to it; a lost race on that
 * record (11000 or a conditional update that matches nothing) gives the seat back.
 * Same-user races (double taps) are covered by the unique index; the bot also handles one user's
 * events one at a time (src/inbox/user-lock.ts).
 * A crash between the two writes can leave a seat counted without a sign-up (or a sign-up marked
 * waiting but not in the list); there is no repair job for that yet.
 */

export interface TrainingView {
  id: string;
  code: string;
  title: LocalizedText;
  topic: TrainingTopic;
  mode: TrainingMode;
  provinceCode?: string;
  provinceName?: LocalizedText;
  venue?: LocalizedText;
  onlineUrl?: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  seatsTaken: number;
  seatsLeft: number;
  waitingCount: number;
  signupDeadline: Date;
  office: LocalizedText;
  contactPhone?: string;
  status: TrainingStatus;
}

/** Why a training is in the list where it is. */
export type Relevance = 'province' | 'online' | 'other';

export interface UpcomingTraining extends TrainingView {
  relevance: Relevance;
}

/** Someone moved from the waiting list to a confirmed seat: tell them. */
export interface Promotion {
  userId: string;
  trainingId: string;
  /** The promoted sign-up and when it was promoted: together they key the notice (outbox _id). */
  signupId: string;
  promotedAt: Date;
  producerId?: string;
  training: TrainingView;
}

export interface SignUpInput {
  trainingId: string;
  /** LINE user id. */
  userId: string;
  producerId?: string;
  now: Date;
}

export interface SignUpOptions {
  /** When there is no seat: false (default) answers `full`; true puts the person on the waiting list. */
  waitIfFull?: boolean;
}

export type SignUpOutcome =
  | { kind: 'confirmed'; training: TrainingView }
  | { kind: 'waiting'; position: number; training: TrainingView }
  | { kind: 'full'; training: TrainingView }
  | { kind: 'already'; status: 'confirmed' | 'waiting'; position?: number; training: TrainingView }
  | { kind: 'deadline_passed'; training: TrainingView }
  | { kind: 'past'; training: TrainingView }
  | { kind: 'cancelled'; training: TrainingView }
  | { kind: 'not_found' };

/**
 * `promoted` is set only in a rare race (a double tap that took a seat and had to give it back,
 * which went to the first person waiting): the caller should tell that person, as after `cancel`.
 */
export type SignUpResult = SignUpOutcome & { promoted?: Promotion };

export interface CancelInput {
  trainingId: string;
  userId: string;
  now: Date;
}

export type CancelResult =
  | { kind: 'cancelled'; previousStatus: 'confirmed' | 'waiting'; training: TrainingView; promoted?: Promotion }
  | { kind: 'not_signed_up'; training: TrainingView }
  /** The training has started or is over: nothing to cancel any more. */
  | { kind: 'past'; training: TrainingView }
  | { kind: 'not_found' };

export interface MySignup {
  signupId: string;
  status: 'confirmed' | 'waiting';
  /** Place on the waiting list (1 = next to get a seat); only when waiting. */
  position?: number;
  signedUpAt: Date;
  promotedAt?: Date;
  /** The training has started (or is over). */
  isPast: boolean;
  /** Upcoming and still open: the "Cancel" button makes sense. */
  canCancel: boolean;
  training: TrainingView;
}

export interface ListUpcomingInput {
  /** The producer's province (2-digit code, src/domain/thai-address.ts): its onsite trainings come first. */
  provinceCode?: string;
  now: Date;
  /** At most this many (default 10, max 50). */
  limit?: number;
}

export class TrainingBusyError extends Error {
  constructor(what: string) {
    super(`training ${what}: gave up after too many concurrent changes, try again`);
    this.name = 'TrainingBusyError';
  }
}

/** Retries of a read-decide-update round lost to concurrent changes (each loss means someone else progressed). */
const MAX_ROUNDS = 200;
const NO_WAITLIST = { waitlist: 0 } as const;

export class TrainingService {
  constructor(private readonly models: TrainingModels) {}

  /**
   * Open trainings that have not started and whose sign-up deadline has not passed, the most
   * relevant first: onsite in the producer's province, then online, then onsite elsewhere; by start
   * time within each group.
   */
  async listUpcoming(input: ListUpcomingInput): Promise<UpcomingTraining[]> {
    const limit = Math.min(50, Math.max(1, Math.floor(input.limit ?? 10)));
    const base = { status: 'open' as const, startsAt: { $gt: input.now }, signupDeadline: { $gte: input.now } };
    const query = (filter: Record<string, unknown>) =>
      this.models.Training.find({ ...base, ...filter }, NO_WAITLIST).sort({ startsAt: 1, _id: 1 }).limit(limit).lean<TrainingDoc[]>();

    const out: UpcomingTraining[] = [];
    const add = (docs: TrainingDoc[], relevance: Relevance) => {
      for (const d of docs) if (out.length < limit) out.push({ ...toView(d), relevance });
    };
    const province = input.provinceCode?.trim();
    if (province) add(await query({ mode: 'onsite', provinceCode: province }), 'province');
    if (out.length < limit) add(await query({ mode: 'online' }), 'online');
    if (out.length < limit) {
      add(await query(province ? { mode: 'onsite', provinceCode: { $ne: province } } : { mode: 'onsite' }), 'other');
    }
    return out;
  }

  /** Deletes every sign-up record of a user (after cancelling what can be cancelled). */
  async forget(userId: string): Promise<number> {
    const r = await this.models.TrainingSignup.deleteMany({ userId });
    return r.deletedCount ?? 0;
  }

  async get(trainingId: string): Promise<TrainingView | null> {
    const id = toObjectId(trainingId);
    if (!id) return null;
    const doc = await this.loadTraining(id);
    return doc ? toView(doc) : null;
  }

  /** Same as {@link get}, by the human code (`TT-2569-001`). */
  async getByCode(code: string): Promise<TrainingView | null> {
    const doc = await this.models.Training.findOne({ code: code.trim() }, NO_WAITLIST).lean<TrainingDoc>();
    return doc ? toView(doc) : null;
  }

  /**
   * Takes a seat, or (with `waitIfFull`) a place on the waiting list. Someone already waiting keeps
   * priority: while anyone waits, a newcomer gets `full` / `waiting` even if a seat is about to free up.
   */
  async signUp(input: SignUpInput, opts: SignUpOptions = {}): Promise<SignUpResult> {
    const id = toObjectId(input.trainingId);
    if (!id) return { kind: 'not_found' };
    const { userId, now } = input;
    let promoted: Promotion | undefined;
    const withPromoted = (r: SignUpOutcome): SignUpResult => (promoted ? { ...r, promoted } : r);

    for (let round = 0; round < MAX_ROUNDS; round++) {
      const t = await this.loadTraining(id);
      if (!t) return withPromoted({ kind: 'not_found' });
      const training = toView(t);
      if (t.status !== 'open') return withPromoted({ kind: 'cancelled', training });
      if (now.getTime() >= t.startsAt.getTime()) return withPromoted({ kind: 'past', training });

      const existing = await this.models.TrainingSignup.findOne({ trainingId: id, userId }).lean<TrainingSignupDoc>();
      if (existing && existing.status !== 'cancelled') {
        return withPromoted(await this.already(id, userId, existing.status, training));
      }
      if (now.getTime() > t.signupDeadline.getTime()) return withPromoted({ kind: 'deadline_passed', training });

      if (t.waitingCount === 0 && t.seatsTaken < t.capacity) {
        const taken = await this.takeSeat(t, now);
        if (!taken) continue; // the seat went meanwhile: look again
        if (await this.writeSignup(existing, id, input, 'confirmed')) {
          return withPromoted({ kind: 'confirmed', training: toView(taken) });
        }
        // The same person signed up at the same moment and that request won: give the seat back.
        promoted = (await this.releaseSeat(id, now)) ?? promoted;
        continue;
      }

      if (!opts.waitIfFull) return withPromoted({ kind: 'full', training });
      if (!(await this.writeSignup(existing, id, input, 'waiting'))) continue; // lost to a double tap
      const queued = await this.enqueue(id, input);
      if (queued.promoted) promoted = queued.promoted;
      if (queued.result) return withPromoted(queued.result);
    }
    throw new TrainingBusyError('sign-up');
  }

  /**
   * Cancels a confirmed seat or a place on the waiting list. A freed seat goes to the first person
   * waiting (returned as `promoted`), else back to the pool. Two cancellations at once each hand
   * their own seat on, so they promote two different people and never overbook.
   */
  async cancel(input: CancelInput): Promise<CancelResult> {
    const id = toObjectId(input.trainingId);
    if (!id) return { kind: 'not_found' };
    const { userId, now } = input;
    const t = await this.loadTraining(id);
    if (!t) return { kind: 'not_found' };
    if (now.getTime() >= t.startsAt.getTime()) return { kind: 'past', training: toView(t) };

    const before = await this.models.TrainingSignup.findOneAndUpdate(
      { trainingId: id, userId, status: { $in: ['confirmed', 'waiting'] } },
      { $set: { status: 'cancelled', cancelledAt: now, updatedAt: now } },
      { returnDocument: 'before' },
    ).lean<TrainingSignupDoc>();
    if (!before) return { kind: 'not_signed_up', training: toView(t) };

    if (before.status === 'waiting') {
      // Not in the list any more means a cancellation just popped this person to promote them;
      // it finds the sign-up cancelled and hands the seat to the next one.
      await this.models.Training.updateOne(
        { _id: id, waitlist: userId },
        { $pull: { waitlist: userId }, $inc: { waitingCount: -1 }, $set: { updatedAt: now } },
      );
      const after = await this.loadTraining(id);
      return { kind: 'cancelled', previousStatus: 'waiting', training: toView(after ?? t) };
    }

    const promoted = await this.releaseSeat(id, now, { promote: t.status === 'open' });
    const after = await this.loadTraining(id);
    return {
      kind: 'cancelled',
      previousStatus: 'confirmed',
      training: toView(after ?? t),
      ...(promoted ? { promoted } : {}),
    };
  }

  /**
   * The person's active sign-ups (confirmed or waiting): upcoming ones first (soonest first), then
   * at most `pastLimit` (default 3) that have started or are over (latest first).
   */
  async mySignups(userId: string, now: Date, opts: { pastLimit?: number } = {}): Promise<MySignup[]> {
    const signups = await this.models.TrainingSignup.find({ userId, status: { $in: ['confirmed', 'waiting'] } })
      .lean<TrainingSignupDoc[]>();
    if (signups.length === 0) return [];
    const trainings = await this.models.Training.find({ _id: { $in: signups.map((s) => s.trainingId) } }).lean<TrainingDoc[]>();
    const byId = new Map(trainings.map((t) => [String(t._id), t]));

    const items: MySignup[] = [];
    for (const s of signups) {
      const t = byId.get(String(s.trainingId));
      if (!t || (s.status !== 'confirmed' && s.status !== 'waiting')) continue;
      const isPast = now.getTime() >= t.startsAt.getTime();
      const item: MySignup = {
        signupId: String(s._id),
        status: s.status,
        signedUpAt: (s.status === 'confirmed' ? s.confirmedAt : s.waitingSince) ?? s.createdAt,
        isPast,
        canCancel: !isPast,
        training: toView(t),
      };
      if (s.status === 'waiting') {
        const at = (t.waitlist ?? []).indexOf(userId);
        if (at >= 0) item.position = at + 1;
      }
      if (s.promotedAt) item.promotedAt = s.promotedAt;
      items.push(item);
    }
    const upcoming = items.filter((i) => !i.isPast).sort((a, b) => a.training.startsAt.getTime() - b.training.startsAt.getTime());
    const past = items
      .filter((i) => i.isPast)
      .sort((a, b) => b.training.startsAt.getTime() - a.training.startsAt.getTime())
      .slice(0, Math.max(0, opts.pastLimit ?? 3));
    return [...upcoming, ...past];
  }

  /** Place on the waiting list (1 = next), or null when the person is not waiting. */
  async waitingPosition(trainingId: string, userId: string): Promise<number | null> {
    const id = toObjectId(trainingId);
    if (!id) return null;
    const t = await this.models.Training.findById(id, { waitlist: 1 }).lean<Pick<TrainingDoc, '_id' | 'waitlist'>>();
    const at = t?.waitlist?.indexOf(userId) ?? -1;
    return at >= 0 ? at + 1 : null;
  }

  /** The person's sign-up status for a training, if any (cancelled ones included). */
  async signupStatus(trainingId: string, userId: string): Promise<SignupStatus | null> {
    const id = toObjectId(trainingId);
    if (!id) return null;
    const s = await this.models.TrainingSignup.findOne({ trainingId: id, userId }, { status: 1 }).lean<Pick<TrainingSignupDoc, 'status'>>();
    return s?.status ?? null;
  }

  // -------------------------------------------------------------------------------------------

  private loadTraining(id: Types.ObjectId): Promise<TrainingDoc | null> {
    return this.models.Training.findById(id, NO_WAITLIST).lean<TrainingDoc>().exec();
  }

  private async already(
    id: Types.ObjectId,
    userId: string,
    status: 'confirmed' | 'waiting',
    training: TrainingView,
  ): Promise<SignUpOutcome> {
    if (status === 'confirmed') return { kind: 'already', status, training };
    const position = await this.waitingPosition(String(id), userId);
    return position ? { kind: 'already', status, position, training } : { kind: 'already', status, training };
  }

  /** One seat, only if one is free and nobody is waiting for it. Returns the training after. */
  private takeSeat(t: TrainingDoc, now: Date): Promise<TrainingDoc | null> {
    return this.models.Training.findOneAndUpdate(
      { _id: t._id, status: 'open', capacity: t.capacity, seatsTaken: { $lt: t.capacity }, waitingCount: 0 },
      { $inc: { seatsTaken: 1 }, $set: { updatedAt: now } },
      { returnDocument: 'after' },
    )
      .lean<TrainingDoc>()
      .exec();
  }

  /**
   * Writes the person's sign-up as `status`: a new document, or their cancelled one reused.
   * False when another request for the same person got there first.
   */
  private async writeSignup(
    existing: TrainingSignupDoc | null,
    trainingId: Types.ObjectId,
    input: SignUpInput,
    status: 'confirmed' | 'waiting',
  ): Promise<boolean> {
    const { now } = input;
    const set: Record<string, unknown> = {
      status,
      updatedAt: now,
      ...(status === 'confirmed' ? { confirmedAt: now } : { waitingSince: now }),
      ...(input.producerId ? { producerId: input.producerId } : {}),
    };
    if (existing) {
      const unset: Record<string, 1> = { cancelledAt: 1, promotedAt: 1, [status === 'confirmed' ? 'waitingSince' : 'confirmedAt']: 1 };
      const r = await this.models.TrainingSignup.updateOne({ _id: existing._id, status: 'cancelled' }, { $set: set, $unset: unset });
      return r.matchedCount === 1;
    }
    try {
      await this.models.TrainingSignup.create({ trainingId, userId: input.userId, createdAt: now, ...set });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * Puts a person whose sign-up already says `waiting` at the end of the list. If the list turns
   * out to be empty with a seat free (someone cancelled meanwhile), takes that seat instead.
   * `result` undefined: start the sign-up over.
   */
  private async enqueue(
    id: Types.ObjectId,
    input: SignUpInput,
  ): Promise<{ result?: SignUpOutcome; promoted?: Promotion }> {
    const { userId, now } = input;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const t = await this.models.Training.findById(id).lean<TrainingDoc>();
      if (!t) return { result: { kind: 'not_found' } };
      if (t.status !== 'open') {
        await this.models.TrainingSignup.updateOne(
          { trainingId: id, userId, status: 'waiting' },
          { $set: { status: 'cancelled', cancelledAt: now, updatedAt: now } },
        );
        return { result: { kind: 'cancelled', training: toView(t) } };
      }
      const at = (t.waitlist ?? []).indexOf(userId);
      if (at >= 0) return { result: { kind: 'waiting', position: at + 1, training: toView(t) } };

      if (t.waitingCount === 0 && t.seatsTaken < t.capacity) {
        const taken = await this.takeSeat(t, now);
        if (!taken) continue;
        const confirmed = await this.models.TrainingSignup.updateOne(
          { trainingId: id, userId, status: 'waiting' },
          { $set: { status: 'confirmed', confirmedAt: now, updatedAt: now }, $unset: { waitingSince: 1 } },
        );
        if (confirmed.matchedCount === 1) return { result: { kind: 'confirmed', training: toView(taken) } };
        const promoted = await this.releaseSeat(id, now); // they cancelled meanwhile
        return promoted ? { promoted } : {};
      }

      const after = await this.models.Training.findOneAndUpdate(
        {
          _id: id,
          status: 'open',
          waitlist: { $ne: userId },
          $or: [{ waitingCount: { $gt: 0 } }, { capacity: t.capacity, seatsTaken: { $gte: t.capacity } }],
        },
        { $push: { waitlist: userId }, $inc: { waitingCount: 1 }, $set: { updatedAt: now } },
        { returnDocument: 'after' },
      ).lean<TrainingDoc>();
      if (!after) continue;
      const position = after.waitlist.indexOf(userId) + 1;
      return { result: { kind: 'waiting', position, training: toView(after) } };
    }
    throw new TrainingBusyError('waiting list');
  }

  /**
   * A confirmed seat is being given up: hand it to the first person waiting (seatsTaken unchanged)
   * or, when nobody waits, return it to the pool. With `promote: false` (training cancelled) the
   * seat is only returned.
   */
  private async releaseSeat(id: Types.ObjectId, now: Date, opts: { promote?: boolean } = {}): Promise<Promotion | undefined> {
    const promote = opts.promote ?? true;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (promote) {
        const before = await this.models.Training.findOneAndUpdate(
          { _id: id, waitingCount: { $gt: 0 } },
          { $pop: { waitlist: -1 }, $inc: { waitingCount: -1 }, $set: { updatedAt: now } },
          { returnDocument: 'before' },
        ).lean<TrainingDoc>();
        if (before) {
          const next = before.waitlist?.[0];
          if (next === undefined) continue; // count and list disagreed; the count is now lower
          const s = await this.models.TrainingSignup.findOneAndUpdate(
            { trainingId: id, userId: next, status: 'waiting' },
            { $set: { status: 'confirmed', confirmedAt: now, promotedAt: now, updatedAt: now } },
            { returnDocument: 'after' },
          ).lean<TrainingSignupDoc>();
          if (!s) continue; // they left the list meanwhile: the seat goes to the next one
          const after: TrainingDoc = { ...before, waitlist: before.waitlist.slice(1), waitingCount: before.waitingCount - 1 };
          return {
            userId: next,
            trainingId: String(id),
            signupId: String(s._id),
            promotedAt: s.promotedAt ?? now,
            ...(s.producerId ? { producerId: s.producerId } : {}),
            training: toView(after),
          };
        }
      }
      const freed = await this.models.Training.findOneAndUpdate(
        promote ? { _id: id, waitingCount: 0, seatsTaken: { $gt: 0 } } : { _id: id, seatsTaken: { $gt: 0 } },
        { $inc: { seatsTaken: -1 }, $set: { updatedAt: now } },
        { returnDocument: 'after' },
      ).lean<TrainingDoc>();
      if (freed) return undefined;
      const t = await this.loadTraining(id);
      if (!t || t.seatsTaken <= 0) return undefined; // nothing counted to give back
      // Someone joined the list in between: loop and hand the seat to them.
    }
    throw new TrainingBusyError('cancellation');
  }
}

export function toView(t: TrainingDoc): TrainingView {
  const v: TrainingView = {
    id: String(t._id),
    code: t.code,
    title: { th: t.title.th, en: t.title.en },
    topic: t.topic,
    mode: t.mode,
    startsAt: t.startsAt,
    endsAt: t.endsAt,
    capacity: t.capacity,
    seatsTaken: t.seatsTaken,
    seatsLeft: Math.max(0, t.capacity - t.seatsTaken),
    waitingCount: t.waitingCount ?? 0,
    signupDeadline: t.signupDeadline,
    office: { th: t.office.th, en: t.office.en },
    status: t.status,
  };
  if (t.provinceCode) v.provinceCode = t.provinceCode;
  if (t.provinceName?.th) v.provinceName = { th: t.provinceName.th, en: t.provinceName.en };
  if (t.venue?.th) v.venue = { th: t.venue.th, en: t.venue.en };
  if (t.onlineUrl) v.onlineUrl = t.onlineUrl;
  if (t.contactPhone) v.contactPhone = t.contactPhone;
  return v;
}

function toObjectId(id: string): Types.ObjectId | null {
  return /^[0-9a-f]{24}$/i.test(id) ? new Types.ObjectId(id) : null;
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
