import { randomUUID } from 'node:crypto';
import { Types, type ClientSession, type Connection } from 'mongoose';
import { sleep } from '../../core/async.js';
import { AbortTransaction, inTransaction } from '../../core/db/transactions.js';
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
 * waiting. No LINE or i18n here: the conversation layer turns results into messages; promoted
 * people are told through `notify` (the runtime's outbox notifier, keyed by the promotion).
 *
 * Truth and copy. The sign-up documents (training_signups, one per training and person, with a
 * `rev`) say who holds a seat and who waits. The training document keeps a copy for admission
 * control (src/core/db/schemas/training.ts): `seats` and `waitlist` name the people, `holds` the
 * operation that put each there, `rev` changes with every write. Taking a seat or a place is one
 * conditional update ({ seat free, nobody waiting, person not yet in }); moves between the lists
 * (hand a seat on, promote) are compare-and-set on `rev`. A person is in the copy at most once.
 *
 * Causes. Every operation carries `key`, its cause (the webhook event id, an API request's key,
 * `erase:<event id>`, `edit:<training>:<rev>`), recorded in the sign-up's `applied` and in `holds`;
 * running the same cause again has the effect once and answers as the first run did. A promotion
 * is keyed `promo:<cause>`; the promoted sign-up carries `noticeDue` until its notice is in the outbox.
 *
 * Order of the two writes, so that a crash between them never overbooks:
 * - sign up / join the list: first the copy (seat or place, held under the key), then the sign-up;
 *   cut short, a seat is counted for nobody: the retry finds its own hold and writes the sign-up;
 * - cancel: first the sign-up (cancelled), then the copy (seat handed to the first waiting person
 *   or back to the pool); cut short, the retry sees its key applied and finishes the hand-on;
 * - promote: first the copy (moved into a seat under `promo:<cause>`), then the sign-up
 *   (confirmed, `noticeDue`), then the notice; cut short, the retry of the cause finishes each.
 * So a confirmed sign-up is always in `seats`, and `seats` never exceeds capacity. Whatever no
 * retry finishes, the seat reconciler (seat-reconciler.ts, a worker job) repairs from the sign-ups;
 * it fences the sign-ups it changes (`fencedBy`), and operations wait for a fence to lift.
 *
 * Transactions. Where the database has them (MongoDB replica set or mongos), each round of an
 * operation runs in one (src/core/db/transactions.ts): the same functions with the session passed
 * through, so both paths are one code. The embedded FerretDB has none and takes the ordered path.
 * Same-person races are further limited by the bot handling one user's events at a time.
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
  /**
   * The cause (the webhook event id, an API request's key, an erasure id): running the same cause
   * again has the effect once. Without one, each call is its own cause.
   */
  key?: string;
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
  /** Sign-up needs a registration with the consent that covers it (the policy's `eligible`). */
  | { kind: 'not_registered' }
  /** Already holding `limit` upcoming seats or waiting places. */
  | { kind: 'limit_reached'; limit: number; training: TrainingView }
  | { kind: 'not_found' };

/**
 * Who may sign up and how much: checked by the service (not only by the chat), so every way in
 * obeys it. Without a policy anyone may take any number (tests of the seat logic).
 */
export interface SignUpPolicy {
  /** True when the person is registered with the consent that covers training sign-up. */
  eligible(userId: string): Promise<boolean>;
  /** Upcoming seats and waiting places one person may hold at once. */
  maxActivePerUser: number;
}

/** `promoted`: kept for callers of the older shape; sign-up never promotes anyone now (a person holds at most one seat). */
export type SignUpResult = SignUpOutcome & { promoted?: Promotion };

export interface CancelInput {
  trainingId: string;
  userId: string;
  now: Date;
  /** The cause, as for {@link SignUpInput.key}. */
  key?: string;
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

export interface TrainingServiceOptions {
  /** Tells a promoted person (the runtime: through the outbox, keyed by the promotion). */
  notify?: (p: Promotion) => Promise<void>;
}

/** Retries of a read-decide-update round lost to concurrent changes (each loss means someone else progressed). */
const MAX_ROUNDS = 200;
/** A reconciler's hold on a sign-up older than this belongs to a run that died: lifted by whoever meets it. */
export const FENCE_MS = 30_000;
const NO_WAITLIST = { waitlist: 0, seats: 0, holds: 0 } as const;
/** This round lost a race: read again and decide again. */
const AGAIN = Symbol('again');
/** Someone else's repair holds this sign-up: wait a moment, then read again. */
const WAIT = Symbol('wait');
type Round<T> = T | typeof AGAIN | typeof WAIT;

export class TrainingService {
  constructor(
    private readonly models: TrainingModels,
    private readonly policy?: SignUpPolicy,
    private readonly opts: TrainingServiceOptions = {},
  ) {}

  /** The connection the models are bound to (asked for transactions). */
  private get conn(): Connection {
    return this.models.Training.db;
  }

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

  /**
   * Deletes every sign-up record of a user (after cancelling what can be cancelled, see
   * {@link withdrawAll}), and their id from the seat copies of trainings already under way or over.
   */
  async forget(userId: string): Promise<number> {
    await this.models.Training.updateMany(
      { $or: [{ seats: userId }, { waitlist: userId }] },
      { $pull: { seats: userId, waitlist: userId }, $unset: { [holdPath(userId)]: 1 }, $inc: { rev: 1 } },
    );
    const r = await this.models.TrainingSignup.deleteMany({ userId });
    return r.deletedCount ?? 0;
  }

  /**
   * Erasure: cancels every seat and waiting place the person holds in trainings that have not
   * started (each keyed by `key`, the erasure's cause, so a retried erasure promotes nobody twice
   * and re-sends no notice), then forgets their sign-ups. Returns how many records were removed.
   */
  async withdrawAll(userId: string, key: string, now: Date): Promise<number> {
    const mine = await this.models.TrainingSignup.find({ userId }, { trainingId: 1, status: 1, applied: 1 }).lean<TrainingSignupDoc[]>();
    for (const s of mine) {
      // A cancelled one is looked at again only when this erasure cancelled it (a retry finishes it).
      if (s.status === 'cancelled' && !(s.applied ?? []).includes(key)) continue;
      await this.cancel({ trainingId: String(s.trainingId), userId, now, key });
    }
    return this.forget(userId);
  }

  async get(trainingId: string): Promise<TrainingView | null> {
    const id = toObjectId(trainingId);
    if (!id) return null;
    const doc = await this.models.Training.findById(id, NO_WAITLIST).lean<TrainingDoc>();
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
   * Run again with the same `key` (a retried event), it has its effect once and answers as the first time.
   */
  async signUp(input: SignUpInput, opts: SignUpOptions = {}): Promise<SignUpResult> {
    const id = toObjectId(input.trainingId);
    if (!id) return { kind: 'not_found' };
    const key = input.key ?? oneOff();
    const checks = { done: false };
    const r = await this.rounds('sign-up', (session) => this.signUpRound(id, input, key, opts, checks, session));
    return r;
  }

  /**
   * Cancels a confirmed seat or a place on the waiting list. A freed seat goes to the first person
   * waiting (returned as `promoted`, and told through `notify`), else back to the pool. Two
   * cancellations at once each hand their own seat on, so they promote two different people and
   * never overbook. Run again with the same `key`, it finishes what the first run left undone
   * (hand-on, promotion, notice) and does nothing twice.
   */
  async cancel(input: CancelInput): Promise<CancelResult> {
    const id = toObjectId(input.trainingId);
    if (!id) return { kind: 'not_found' };
    const key = input.key ?? oneOff();
    const r = await this.rounds('cancellation', (session) => this.cancelRound(id, input, key, session));
    if (r.kind === 'cancelled' && r.promoted) await this.tell(r.promoted);
    return r;
  }

  /**
   * Free seats (after a capacity raise) go to the people waiting, first in line first, each
   * promotion keyed by `key` (the edit that freed them) and told through `notify`.
   */
  async fillFreeSeats(trainingId: string, key: string, now: Date): Promise<Promotion[]> {
    const id = toObjectId(trainingId);
    if (!id) return [];
    const pkey = `promo:${key}`;
    const out: Promotion[] = [];
    for (let i = 0; i < 10_000; i++) {
      const p = await this.rounds('seat filling', async (session): Promise<Round<Promotion | null>> => {
        const t = await this.readTraining(id, session);
        if (!t) return null;
        // A promotion this edit started and did not finish (a retry) is finished first.
        const pending = seatsOf(t).find((u) => holdOf(t, u) === pkey && !out.some((p) => p.userId === u));
        if (pending) {
          const done = await this.confirmPromotion(id, pending, pkey, now, session);
          return done === undefined ? AGAIN : done;
        }
        if (t.status !== 'open' || t.waitlist.length === 0 || t.seatsTaken >= t.capacity) return null;
        const next = t.waitlist[0]!;
        const moved = await this.writeCopy(t, { seats: [...seatsOf(t), next], waitlist: t.waitlist.slice(1), seatsTaken: t.seatsTaken + 1, holds: { ...t.holds, [holdKey(next)]: pkey } }, now, session);
        if (!moved) return AGAIN;
        const done = await this.confirmPromotion(id, next, pkey, now, session, moved);
        return done === undefined ? AGAIN : done;
      });
      if (!p) break;
      if (out.some((x) => x.userId === p.userId)) break;
      out.push(p);
      await this.tell(p);
    }
    return out;
  }

  /**
   * The person's active sign-ups (confirmed or waiting): upcoming ones first (soonest first), then
   * at most `pastLimit` (default 3) that have started or are over (latest first).
   */
  async mySignups(userId: string, now: Date, opts: { pastLimit?: number } = {}): Promise<MySignup[]> {
    const signups = await this.models.TrainingSignup.find({ userId, status: { $in: ['confirmed', 'waiting'] } })
      .lean<TrainingSignupDoc[]>();
    if (signups.length === 0) return [];
    const trainings = await this.models.Training.find({ _id: { $in: signups.map((s) => s.trainingId) } }, { seats: 0, holds: 0 }).lean<TrainingDoc[]>();
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

  /**
   * Runs `round` until it decides. Each round is one transaction where the database has them;
   * elsewhere its writes stand on their own, ordered so that a round cut short leaves a state the
   * next round (or a retry of the same key, or the reconciler) finishes.
   */
  private async rounds<T>(what: string, round: (session?: ClientSession) => Promise<Round<T>>): Promise<T> {
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const r = await inTransaction(
        this.conn,
        async (session) => {
          const out = await round(session);
          if (session && (out === AGAIN || out === WAIT)) throw new AbortTransaction();
          return out;
        },
        AGAIN,
      );
      if (r === WAIT) await sleep(25);
      else if (r !== AGAIN) return r;
    }
    throw new TrainingBusyError(what);
  }

  private async signUpRound(
    id: Types.ObjectId,
    input: SignUpInput,
    key: string,
    opts: SignUpOptions,
    checks: { done: boolean },
    session?: ClientSession,
  ): Promise<Round<SignUpResult>> {
    const { userId, now } = input;
    const t = await this.readTraining(id, session);
    if (!t) return { kind: 'not_found' };
    const training = toView(t);
    const s = await this.readSignup(id, userId, session);
    if (s?.fencedBy) return this.fenced(s);
    // The same cause again (a retried event): answered as the first time, nothing changed.
    if (s && (s.applied ?? []).includes(key)) return replaySignUp(s, t);
    if (t.status !== 'open') return { kind: 'cancelled', training };
    if (now.getTime() >= t.startsAt.getTime()) return { kind: 'past', training };
    if (s && s.status !== 'cancelled') return this.already(t, userId, s.status, training);

    const inSeats = seatsOf(t).includes(userId);
    const inList = t.waitlist.includes(userId);
    if (inList && !inSeats && !opts.waitIfFull) return { kind: 'full', training }; // a place left over is not taken without asking
    if (inSeats || inList) {
      // A seat or place already taken for this person whose sign-up was never written: this
      // cause's own first run cut short (a retry), or another run's; it is theirs either way,
      // and this run finishes it (a person holds at most one, so nothing is counted twice).
      if (holdOf(t, userId) !== key && !(await this.adopt(t, userId, key, now, session))) return AGAIN;
      if (!(await this.writeSignup(s, id, input, inSeats ? 'confirmed' : 'waiting', key, session))) return AGAIN;
      if (inSeats) return { kind: 'confirmed', training };
      return { kind: 'waiting', position: t.waitlist.indexOf(userId) + 1, training };
    }

    if (now.getTime() > t.signupDeadline.getTime()) return { kind: 'deadline_passed', training };
    if (this.policy && !checks.done) {
      if (!(await this.policy.eligible(userId))) return { kind: 'not_registered' };
      // One user's events are handled one at a time (src/inbox/user-lock.ts), so counting first holds.
      if ((await this.activeCount(userId, now)) >= this.policy.maxActivePerUser) {
        return { kind: 'limit_reached', limit: this.policy.maxActivePerUser, training };
      }
      checks.done = true;
    }

    // First write: the seat (or place) on the training, marked with this cause; second: the
    // sign-up. Cut short between them, the seat is counted for nobody confirmed (never the
    // other way round): a retry of the cause finishes it, the reconciler otherwise gives it back.
    if (t.waitingCount === 0 && t.seatsTaken < t.capacity) {
      const taken = await this.takeSeat(t, userId, key, now, session);
      if (!taken) return AGAIN; // the seat went meanwhile: look again
      if (!(await this.writeSignup(s, id, input, 'confirmed', key, session))) return AGAIN;
      return { kind: 'confirmed', training: toView(taken) };
    }
    if (!opts.waitIfFull) return { kind: 'full', training };
    const queued = await this.joinList(t, userId, key, now, session);
    if (!queued) return AGAIN; // a seat freed up or the list changed: look again
    if (!(await this.writeSignup(s, id, input, 'waiting', key, session))) return AGAIN;
    return { kind: 'waiting', position: queued.waitlist.indexOf(userId) + 1, training: toView(queued) };
  }

  private async cancelRound(id: Types.ObjectId, input: CancelInput, key: string, session?: ClientSession): Promise<Round<CancelResult>> {
    const { userId, now } = input;
    const t = await this.readTraining(id, session);
    if (!t) return { kind: 'not_found' };
    const s = await this.readSignup(id, userId, session);
    if (s?.fencedBy) return this.fenced(s);
    if (s && (s.applied ?? []).includes(key)) {
      // The same cancellation again: finish handing the seat on if the first run was cut short.
      if (s.status !== 'cancelled') return { kind: 'not_signed_up', training: toView(t) };
      const promoted = await this.release(t, userId, key, now, session);
      if (promoted === AGAIN || promoted === WAIT) return promoted;
      return this.cancelled(id, s.cancelledFrom ?? 'confirmed', t, promoted, session);
    }
    if (now.getTime() >= t.startsAt.getTime()) return { kind: 'past', training: toView(t) };
    if (!s || s.status === 'cancelled') return { kind: 'not_signed_up', training: toView(t) };

    // First write: the sign-up (the truth) says cancelled; second: the training's copy gives the
    // seat on. Cut short between them, a seat is counted for nobody (never overbooked): a retry
    // of the cause finishes it, the reconciler otherwise.
    const previous = s.status;
    const r = await this.models.TrainingSignup.updateOne(
      { _id: s._id, rev: revIs(s.rev), status: previous, fencedBy: { $exists: false }, applied: { $ne: key } },
      {
        $set: { status: 'cancelled', cancelledAt: now, cancelledFrom: previous, updatedAt: now },
        $unset: { noticeDue: 1 },
        $inc: { rev: 1 },
        $push: { applied: key },
      },
      { session },
    );
    if (r.matchedCount !== 1) return AGAIN;
    let promoted = await this.release(t, userId, key, now, session, previous);
    // Without a transaction the cancellation stands: hand the seat on now (a lost race is retried here).
    for (let i = 0; !session && promoted === AGAIN && i < MAX_ROUNDS; i++) {
      const fresh = await this.readTraining(id);
      // Signed up again meanwhile (their seat is theirs again): nothing of this cancellation left to do.
      const mine = await this.readSignup(id, userId);
      if (!fresh || mine?.status !== 'cancelled') {
        promoted = undefined;
        break;
      }
      promoted = await this.release(fresh, userId, key, now, undefined, previous);
    }
    if (promoted === AGAIN || promoted === WAIT) return AGAIN; // the next round sees the cancellation applied and finishes it
    return this.cancelled(id, previous, t, promoted, session);
  }

  private async cancelled(
    id: Types.ObjectId,
    previousStatus: 'confirmed' | 'waiting',
    before: TrainingDoc,
    promoted: Promotion | undefined,
    session?: ClientSession,
  ): Promise<CancelResult> {
    // A promotion carries the training as it left it; otherwise it is read once more.
    if (promoted) return { kind: 'cancelled', previousStatus, training: promoted.training, promoted };
    const after = await this.readTraining(id, session);
    return { kind: 'cancelled', previousStatus, training: toView(after ?? before) };
  }

  /**
   * The training's copy after `userId`'s sign-up was cancelled by `key`: their seat goes to the
   * first person waiting (promotion keyed `promo:<key>`), or back to the pool; their place on the
   * list is removed. Already done (a retry): finishes the promotion it started, if any.
   */
  private async release(
    t: TrainingDoc,
    userId: string,
    key: string,
    now: Date,
    session?: ClientSession,
    from?: 'confirmed' | 'waiting',
  ): Promise<Round<Promotion | undefined>> {
    const pkey = `promo:${key}`;
    const seats = seatsOf(t);
    const holds = { ...(t.holds ?? {}) };
    delete holds[holdKey(userId)];
    if (seats.includes(userId)) {
      const next = t.status === 'open' ? t.waitlist[0] : undefined;
      const copy =
        next === undefined
          ? { seats: seats.filter((u) => u !== userId), waitlist: t.waitlist, seatsTaken: Math.max(0, t.seatsTaken - 1), holds }
          : { seats: [...seats.filter((u) => u !== userId), next], waitlist: t.waitlist.slice(1), seatsTaken: t.seatsTaken, holds: { ...holds, [holdKey(next)]: pkey } };
      const after = await this.writeCopy(t, copy, now, session);
      if (!after) return AGAIN;
      if (next === undefined) return undefined;
      return this.confirmPromotion(t._id, next, pkey, now, session, after);
    }
    if (t.waitlist.includes(userId)) {
      const copy = { seats, waitlist: t.waitlist.filter((u) => u !== userId), seatsTaken: t.seatsTaken, holds };
      return (await this.writeCopy(t, copy, now, session)) ? undefined : AGAIN;
    }
    const pending = seats.find((u) => holdOf(t, u) === pkey);
    if (pending !== undefined) return this.confirmPromotion(t._id, pending, pkey, now, session);
    if (from === 'confirmed' && t.seatsTaken > seats.length) {
      // A seat counted before the training's copy named its holders: the count is handed on.
      const next = t.status === 'open' ? t.waitlist[0] : undefined;
      const copy =
        next === undefined
          ? { seats, waitlist: t.waitlist, seatsTaken: t.seatsTaken - 1, holds }
          : { seats: [...seats, next], waitlist: t.waitlist.slice(1), seatsTaken: t.seatsTaken, holds: { ...holds, [holdKey(next)]: pkey } };
      const after = await this.writeCopy(t, copy, now, session);
      if (!after) return AGAIN;
      return next === undefined ? undefined : this.confirmPromotion(t._id, next, pkey, now, session, after);
    }
    return undefined;
  }

  /**
   * Second write of a promotion: `userId`, moved into a seat on the training's copy under `pkey`,
   * is confirmed on their sign-up (with `noticeDue` until the notice is in the outbox). When they
   * are not waiting any more (they left meanwhile), the seat goes to the next one.
   * Undefined: nobody was promoted after all.
   */
  private async confirmPromotion(
    id: Types.ObjectId,
    userId: string,
    pkey: string,
    now: Date,
    session?: ClientSession,
    /** The training as the move into the seat left it (saves reading it again). */
    moved?: TrainingDoc,
  ): Promise<Round<Promotion | undefined>> {
    const s = await this.readSignup(id, userId, session);
    if (s && (s.applied ?? []).includes(pkey)) {
      if (s.status !== 'confirmed') return undefined;
      const t = await this.readTraining(id, session);
      return t ? promotionOf(s, t) : undefined;
    }
    if (s?.fencedBy) return undefined; // a reconciler run is repairing this training and promotes for it
    if (s && s.status === 'waiting') {
      const r = await this.models.TrainingSignup.updateOne(
        { _id: s._id, rev: revIs(s.rev), status: 'waiting', fencedBy: { $exists: false } },
        { $set: { status: 'confirmed', confirmedAt: now, promotedAt: now, noticeDue: true, updatedAt: now }, $inc: { rev: 1 }, $push: { applied: pkey } },
        { session },
      );
      if (r.matchedCount !== 1) return AGAIN;
      const t = moved ?? (await this.readTraining(id, session));
      return t ? promotionOf({ ...s, promotedAt: now }, t) : undefined;
    }
    // Not waiting any more: the seat held for them under this key goes on to the next one.
    const t = await this.readTraining(id, session);
    if (!t || holdOf(t, userId) !== pkey || !seatsOf(t).includes(userId)) return undefined;
    const holds = { ...(t.holds ?? {}) };
    delete holds[holdKey(userId)];
    const seats = seatsOf(t).filter((u) => u !== userId);
    const next = t.status === 'open' ? t.waitlist[0] : undefined;
    const copy =
      next === undefined
        ? { seats, waitlist: t.waitlist, seatsTaken: Math.max(0, t.seatsTaken - 1), holds }
        : { seats: [...seats, next], waitlist: t.waitlist.slice(1), seatsTaken: t.seatsTaken, holds: { ...holds, [holdKey(next)]: pkey } };
    const after = await this.writeCopy(t, copy, now, session);
    if (!after) return AGAIN;
    return next === undefined ? undefined : this.confirmPromotion(id, next, pkey, now, session, after);
  }

  /** Records the notice in the outbox (keyed by the promotion, so telling twice sends once), then clears `noticeDue`. */
  private async tell(p: Promotion): Promise<void> {
    if (!this.opts.notify) return;
    await this.opts.notify(p);
    await this.models.TrainingSignup.updateOne({ _id: p.signupId, noticeDue: true }, { $unset: { noticeDue: 1 } });
  }

  /** A sign-up held by a reconciler run: wait for it, or lift the hold of a run that died. */
  private async fenced(s: TrainingSignupDoc): Promise<typeof WAIT | typeof AGAIN> {
    if (s.fencedAt && Date.now() - s.fencedAt.getTime() > FENCE_MS) {
      // Outside the round's transaction (which is abandoned to read again): the lifting must stand.
      await this.models.TrainingSignup.updateOne({ _id: s._id, rev: revIs(s.rev), fencedBy: s.fencedBy }, { $unset: { fencedBy: 1, fencedAt: 1 }, $inc: { rev: 1 } });
      return AGAIN;
    }
    return WAIT;
  }

  /** Seats and waiting places the person holds in trainings that have not started. */
  private async activeCount(userId: string, now: Date): Promise<number> {
    const active = await this.models.TrainingSignup.find({ userId, status: { $in: ['confirmed', 'waiting'] } }, { trainingId: 1 }).lean<Pick<TrainingSignupDoc, 'trainingId'>[]>();
    if (active.length === 0) return 0;
    const trainings = await this.models.Training.find({ _id: { $in: active.map((s) => s.trainingId) } }, { startsAt: 1 }).lean<Pick<TrainingDoc, 'startsAt'>[]>();
    return trainings.filter((t) => t.startsAt.getTime() > now.getTime()).length;
  }

  private async readTraining(id: Types.ObjectId, session?: ClientSession): Promise<TrainingDoc | null> {
    const t = await this.models.Training.findById(id).session(session ?? null).lean<TrainingDoc>().exec();
    return t ? { ...t, waitlist: t.waitlist ?? [], waitingCount: t.waitingCount ?? 0 } : null;
  }

  private readSignup(id: Types.ObjectId, userId: string, session?: ClientSession): Promise<TrainingSignupDoc | null> {
    return this.models.TrainingSignup.findOne({ trainingId: id, userId }).session(session ?? null).lean<TrainingSignupDoc>().exec();
  }

  private async already(t: TrainingDoc, userId: string, status: 'confirmed' | 'waiting', training: TrainingView): Promise<SignUpOutcome> {
    if (status === 'confirmed') return { kind: 'already', status, training };
    const at = t.waitlist.indexOf(userId);
    return at >= 0 ? { kind: 'already', status, position: at + 1, training } : { kind: 'already', status, training };
  }

  /** One seat for `userId`, only if one is free, nobody is waiting and they hold none. Returns the training after. */
  private takeSeat(t: TrainingDoc, userId: string, key: string, now: Date, session?: ClientSession): Promise<TrainingDoc | null> {
    return this.models.Training.findOneAndUpdate(
      { _id: t._id, status: 'open', capacity: t.capacity, seatsTaken: { $lt: t.capacity }, waitingCount: 0, seats: { $ne: userId }, waitlist: { $ne: userId } },
      { $push: { seats: userId }, $inc: { seatsTaken: 1, rev: 1 }, $set: { [holdPath(userId)]: key, updatedAt: now } },
      { returnDocument: 'after', session },
    )
      .lean<TrainingDoc>()
      .exec();
  }

  /** The end of the waiting list for `userId`, only while there is no seat for them. Returns the training after. */
  private joinList(t: TrainingDoc, userId: string, key: string, now: Date, session?: ClientSession): Promise<TrainingDoc | null> {
    return this.models.Training.findOneAndUpdate(
      {
        _id: t._id,
        status: 'open',
        waitlist: { $ne: userId },
        seats: { $ne: userId },
        $or: [{ waitingCount: { $gt: 0 } }, { capacity: t.capacity, seatsTaken: { $gte: t.capacity } }],
      },
      { $push: { waitlist: userId }, $inc: { waitingCount: 1, rev: 1 }, $set: { [holdPath(userId)]: key, updatedAt: now } },
      { returnDocument: 'after', session },
    )
      .lean<TrainingDoc>()
      .exec();
  }

  /** Marks the seat or place `userId` holds as this cause's (to finish a run cut short). */
  private async adopt(t: TrainingDoc, userId: string, key: string, now: Date, session?: ClientSession): Promise<boolean> {
    const r = await this.models.Training.updateOne(
      { _id: t._id, rev: revIs(t.rev), $or: [{ seats: userId }, { waitlist: userId }] },
      { $set: { [holdPath(userId)]: key, updatedAt: now }, $inc: { rev: 1 } },
      { session },
    );
    return r.matchedCount === 1;
  }

  /** Compare-and-set of the training's whole seat copy (used where one update must move a person between lists). */
  private async writeCopy(
    t: TrainingDoc,
    copy: { seats: string[]; waitlist: string[]; seatsTaken: number; holds: Record<string, string> },
    now: Date,
    session?: ClientSession,
  ): Promise<TrainingDoc | null> {
    const r = await this.models.Training.updateOne(
      { _id: t._id, rev: revIs(t.rev) },
      { $set: { seats: copy.seats, waitlist: copy.waitlist, waitingCount: copy.waitlist.length, seatsTaken: copy.seatsTaken, holds: copy.holds, updatedAt: now }, $inc: { rev: 1 } },
      { session },
    );
    return r.matchedCount === 1 ? { ...t, ...copy, waitingCount: copy.waitlist.length, rev: (t.rev ?? 0) + 1, updatedAt: now } : null;
  }

  /**
   * Writes the person's sign-up as `status` with `key` applied: a new document, or their cancelled
   * one reused. False when it changed since it was read (a double tap, a reconciler's hold).
   */
  private async writeSignup(
    existing: TrainingSignupDoc | null,
    trainingId: Types.ObjectId,
    input: SignUpInput,
    status: 'confirmed' | 'waiting',
    key: string,
    session?: ClientSession,
  ): Promise<boolean> {
    const { now } = input;
    const set: Record<string, unknown> = {
      status,
      updatedAt: now,
      ...(status === 'confirmed' ? { confirmedAt: now } : { waitingSince: now }),
      ...(input.producerId ? { producerId: input.producerId } : {}),
    };
    if (existing) {
      const unset: Record<string, 1> = { cancelledAt: 1, promotedAt: 1, cancelledFrom: 1, noticeDue: 1, [status === 'confirmed' ? 'waitingSince' : 'confirmedAt']: 1 };
      const r = await this.models.TrainingSignup.updateOne(
        { _id: existing._id, rev: revIs(existing.rev), status: 'cancelled', fencedBy: { $exists: false }, applied: { $ne: key } },
        { $set: set, $unset: unset, $inc: { rev: 1 }, $push: { applied: key } },
        { session },
      );
      return r.matchedCount === 1;
    }
    try {
      await this.models.TrainingSignup.create([{ trainingId, userId: input.userId, createdAt: now, rev: 1, applied: [key], ...set }], { session });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}

/** What a sign-up applied before answers a retry of it. */
function replaySignUp(s: TrainingSignupDoc, t: TrainingDoc): SignUpResult {
  const training = toView(t);
  if (s.status === 'waiting') {
    const at = t.waitlist.indexOf(s.userId);
    return at >= 0 ? { kind: 'waiting', position: at + 1, training } : { kind: 'already', status: 'waiting', training };
  }
  return { kind: 'confirmed', training };
}

export function promotionOf(s: Pick<TrainingSignupDoc, '_id' | 'userId' | 'producerId' | 'promotedAt'>, t: TrainingDoc): Promotion {
  return {
    userId: s.userId,
    trainingId: String(t._id),
    signupId: String(s._id),
    promotedAt: s.promotedAt ?? new Date(0),
    ...(s.producerId ? { producerId: s.producerId } : {}),
    training: toView(t),
  };
}

/** Holders of a seat on the training's copy. */
export function seatsOf(t: Pick<TrainingDoc, 'seats'>): string[] {
  return t.seats ?? [];
}

/** The key under which `holds` records a user (LINE ids are plain; anything else is made a safe field name). */
export function holdKey(userId: string): string {
  return userId.replace(/[.$]/g, '_');
}

function holdPath(userId: string): string {
  return `holds.${holdKey(userId)}`;
}

export function holdOf(t: Pick<TrainingDoc, 'holds'>, userId: string): string | undefined {
  return t.holds?.[holdKey(userId)];
}

/** A compare-and-set condition on `rev` (documents written before it existed have none). */
export function revIs(rev: number | undefined): number | { $exists: false } {
  return rev === undefined ? { $exists: false } : rev;
}

/** A key for a call that names no cause (it cannot be retried idempotently). */
function oneOff(): string {
  return `once:${randomUUID()}`;
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
