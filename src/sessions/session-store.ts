import type { Models } from '../core/db/models.js';
import { DEFAULT_LANG, type Lang } from '../core/i18n.js';
import { inboxKey, pendingOf, type PendingDoc } from '../inbox/inbox.js';

/** Where a user is inside a journey. Owned by the flow engine; stored as-is. */
export interface FlowState {
  id: string;
  version: number;
  step: string;
  answers: Record<string, unknown>;
  /** Steps visited, for "back". */
  history: string[];
  /** Failed attempts at the current step. */
  retries: number;
  /** Incremented at every prompt; postbacks carry it so a button from an old prompt is recognised. */
  turn: number;
  /** How answers are shown back (masked ID, formatted phone), by field. */
  display: Record<string, string>;
  /** While editing from a summary: the summary step to return to. */
  returnTo?: string;
  /**
   * The postback data of the buttons issued at `issuedTurn` (the current question): any other
   * postback is answered as stale and changes nothing.
   */
  issued?: string[];
  issuedTurn?: number;
  /** Paging position in a long option list. */
  page?: number;
  startedAt: string;
  updatedAt: string;
}

export interface Session {
  id: string;
  lang: Lang;
  /** True once the user picked a language themselves (then LINE's setting no longer applies). */
  langChosen: boolean;
  reachable: boolean;
  flow: FlowState | null;
  /** Journeys the user left for another one, by flow id: offered again when they come back. */
  paused: Record<string, FlowState>;
  data: Record<string, unknown>;
  followedAt?: Date;
  unfollowedAt?: Date;
  lastEventAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
  isNew: boolean;
  /** Ids of the newest events applied to this session (the applied-event guard). */
  applied: string[];
  /** LINE timestamp of the newest event applied: an older one arriving now is "late". */
  lastAppliedTs?: number;
  /** The user's pending events as the claim returned them, oldest first (none for a plain read). */
  pending: PendingDoc[];
  /** `inboxCount` as last seen: commits move it by what they removed, relative to this. */
  inboxCount: number;
  /** Pending events to drop without applying (applied before): they leave with the next write. */
  skipped: string[];
  /**
   * The answer recorded by the last commit and not yet confirmed sent (its sender had not finished
   * when this session was claimed: it died, or is this process). See src/outbox/answer.ts.
   */
  answer?: RecordedAnswer;
  /** Set once `answer` was dealt with by this holder: the next write removes it. */
  answerSettled?: boolean;
}

/**
 * An answer saved with the session it belongs to (in the same conditional write), before it is
 * sent: a process that takes the user over finds it and delivers it once (see src/outbox/answer.ts).
 */
export interface RecordedAnswer {
  /** The webhook event answered (effects are keyed by it). */
  event: string;
  /** `reply`: with `token`, still fresh when the answer was saved; `push`: through the outbox. */
  mode: 'reply' | 'push';
  token?: string;
  /** When the webhook carrying the token arrived (ms). */
  tokenReceivedAt?: number;
  /** The messages as JSON text: one opaque value, however many fields the messages have. */
  messages: string;
}

/** How many applied event ids a session remembers: LINE redelivers within minutes, not days. */
export const APPLIED_KEPT = 64;

export class LeaseLostError extends Error {
  constructor() {
    super('the user lease was lost (taken over after it expired)');
    this.name = 'LeaseLostError';
  }
}

export class SessionConflictError extends Error {
  constructor() {
    super('session was changed by someone else');
    this.name = 'SessionConflictError';
  }
}

/**
 * One session document per LINE user (read/write/delete, like grammY's storage adapters).
 * Conversation state expires after `idleDays` without TTL indexes (FerretDB has none): reads
 * ignore expired state and the worker clears it.
 */
export class SessionStore {
  constructor(
    private readonly models: Models,
    private readonly idleDays: number,
  ) {}

  async read(userId: string, now = new Date()): Promise<Session> {
    const doc = await this.models.Session.findById(userId).lean();
    return this.toSession(userId, doc, now);
  }

  /**
   * Takes the user's lease and returns the session in one atomic command (round trip 2 of an
   * event; the webhook's insert is 1, commit() is 3). Null when another live process holds it.
   * A new user's document is created here, holding only the lease.
   */
  async claim(userId: string, owner: string, leaseMs: number, clock = new Date(), timeoutMs = 5_000): Promise<Session | null> {
    // Leases run on the machine's time; `clock` (the bot's clock) decides what has expired.
    const now = new Date();
    const until = new Date(now.getTime() + leaseMs);
    try {
      const doc = await this.models.Session.collection.findOneAndUpdate(
        { _id: userId as never, $or: [{ leaseOwner: null }, { leaseOwner: owner }, { leaseUntil: { $lt: now } }] },
        { $set: { leaseOwner: owner, leaseUntil: until }, $setOnInsert: { rev: 0, createdAt: now, updatedAt: now } },
        { upsert: true, returnDocument: 'after', maxTimeMS: timeoutMs },
      );
      if (!doc) return null;
      const session = this.toSession(userId, doc as never, clock);
      session.isNew = false;
      return session;
    } catch (err) {
      // The filter did not match an existing document (lease held), so the upsert collided with it.
      if ((err as { code?: number }).code === 11000) return null;
      throw err;
    }
  }

  /**
   * Saves the session, records the events applied and (with `release`) frees the lease, in one
   * conditional write: it applies only if nobody saved since the claim (rev) and this process
   * still holds the lease. Otherwise LeaseLostError: the caller stops without sending anything.
   */
  async commit(s: Session, owner: string, appliedIds: readonly string[], opts: { release: boolean; leaseMs: number; lastTs?: number; now?: Date; timeoutMs?: number; answer?: RecordedAnswer }): Promise<void> {
    const drop = this.dropped(s, appliedIds);
    const now = opts.now ?? new Date();
    const applied = [...s.applied.filter((id) => !appliedIds.includes(id)), ...appliedIds].slice(-APPLIED_KEPT);
    const lastTs = Math.max(s.lastAppliedTs ?? 0, opts.lastTs ?? 0) || undefined;
    const set: Record<string, unknown> = {
      ...this.fields(s, now),
      applied,
      ...(lastTs ? { lastAppliedTs: lastTs } : {}),
      rev: s.rev + 1,
      leaseOwner: opts.release ? null : owner,
      leaseUntil: opts.release ? null : new Date(Date.now() + opts.leaseMs),
    };
    // The answer this event produced is saved with it (sent after, confirmed by finish()); an
    // earlier one is gone by now (delivered before this event was handled).
    const update: Record<string, Record<string, unknown>> = { $set: set, ...drop.update };
    if (opts.answer) Object.assign(set, { answer: opts.answer, answerDue: new Date() }); // machine time, like leases
    else if (s.answer) update.$unset = { ...update.$unset, answer: '', answerDue: '' };
    const r = await this.models.Session.collection.updateOne({ _id: s.id as never, rev: s.rev, leaseOwner: owner }, update, { maxTimeMS: opts.timeoutMs ?? 5_000 });
    if (r.matchedCount !== 1) throw new LeaseLostError();
    drop.done();
    s.answer = opts.answer;
    s.answerSettled = false;
    s.rev += 1;
    s.applied = applied;
    s.lastAppliedTs = lastTs;
  }

  /** Heartbeat: extends the lease while a slow handler runs; false when it was lost. */
  async renewLease(userId: string, owner: string, leaseMs: number): Promise<boolean> {
    const r = await this.models.Session.collection.updateOne({ _id: userId as never, leaseOwner: owner }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } });
    return r.matchedCount === 1;
  }

  /** Frees the lease without saving (nothing changed, or shutting down); drops `s.skipped` with it. */
  async releaseLease(userId: string, owner: string, s?: Session): Promise<void> {
    const drop = s ? this.dropped(s, []) : undefined;
    const update: Record<string, Record<string, unknown>> = { $set: { leaseOwner: null, leaseUntil: null }, ...drop?.update };
    if (s?.answer && s.answerSettled) update.$unset = { ...update.$unset, answer: '', answerDue: '' };
    const r = await this.models.Session.collection.updateOne({ _id: userId as never, leaseOwner: owner }, update);
    if (r.matchedCount === 1) drop?.done();
  }

  /**
   * After an answer was sent: frees the lease and forgets the answer, for many users in one
   * command (bulk write), so confirming costs a fraction of a command per event. Only where
   * this owner still holds the lease and the answer is still that event's.
   */
  async finish(items: readonly { userId: string; owner: string; event: string }[], timeoutMs = 5_000): Promise<void> {
    if (items.length === 0) return;
    await this.models.Session.collection.bulkWrite(
      items.map((it) => ({
        updateOne: {
          filter: { _id: it.userId as never, leaseOwner: it.owner, 'answer.event': it.event },
          update: { $set: { leaseOwner: null, leaseUntil: null }, $unset: { answer: '', answerDue: '' } },
        },
      })),
      { ordered: false, maxTimeMS: timeoutMs } as never,
    );
  }

  /** Users whose answer was saved before `olderThan` and never confirmed sent (their sender died). */
  async unconfirmedAnswers(olderThan: Date, limit = 200): Promise<string[]> {
    const docs = await this.models.Session.collection.find({ answerDue: { $lt: olderThan } }, { projection: { _id: 1 }, limit }).toArray();
    return docs.map((d) => String(d._id));
  }

  /**
   * The part of a write that removes pending events from the user's document: `$unset` of their
   * entries and a relative `$inc` that brings `inboxCount` to what remains as seen at the claim
   * (events the webhook added meanwhile keep their increments, so the count stays exact).
   */
  private dropped(s: Session, appliedIds: readonly string[]): { update: Record<string, Record<string, unknown>>; done(): void } {
    const gone = new Set([...appliedIds, ...s.skipped]);
    const remaining = s.pending.filter((p) => !gone.has(p._id));
    const unset = Object.fromEntries([...gone].map((id) => [`inbox.${inboxKey(id)}`, '']));
    const delta = remaining.length - s.inboxCount;
    const update: Record<string, Record<string, unknown>> = {};
    if (gone.size > 0) update.$unset = unset;
    if (delta !== 0) update.$inc = { inboxCount: delta };
    return {
      update,
      done: () => {
        s.pending = remaining;
        s.inboxCount = remaining.length;
        s.skipped = [];
      },
    };
  }

  private toSession(userId: string, doc: Record<string, any> | null, now: Date): Session {
    if (!doc) {
      return {
        id: userId,
        lang: DEFAULT_LANG,
        langChosen: false,
        reachable: true,
        flow: null,
        paused: {},
        data: {},
        createdAt: now,
        updatedAt: now,
        rev: 0,
        isNew: true,
        applied: [],
        pending: [],
        inboxCount: 0,
        skipped: [],
      };
    }
    const expired = doc.expiresAt instanceof Date ? doc.expiresAt.getTime() < now.getTime() : false;
    return {
      id: doc._id,
      lang: (doc.lang as Lang) ?? DEFAULT_LANG,
      langChosen: Boolean(doc.langChosen),
      reachable: doc.reachable !== false,
      flow: expired ? null : ((doc.flow as FlowState | null) ?? null),
      paused: expired ? {} : ((doc.paused as Record<string, FlowState> | null) ?? {}),
      data: (doc.data as Record<string, unknown>) ?? {},
      followedAt: doc.followedAt ?? undefined,
      unfollowedAt: doc.unfollowedAt ?? undefined,
      lastEventAt: doc.lastEventAt ?? undefined,
      createdAt: doc.createdAt ?? now,
      updatedAt: doc.updatedAt ?? now,
      rev: doc.rev ?? 0,
      isNew: false,
      applied: Array.isArray(doc.applied) ? (doc.applied as string[]) : [],
      ...(typeof doc.lastAppliedTs === 'number' ? { lastAppliedTs: doc.lastAppliedTs } : {}),
      ...(doc.answer && typeof doc.answer === 'object' && typeof (doc.answer as RecordedAnswer).event === 'string' ? { answer: doc.answer as RecordedAnswer } : {}),
      pending: pendingOf(userId, doc.inbox),
      inboxCount: typeof doc.inboxCount === 'number' ? doc.inboxCount : 0,
      skipped: [],
    };
  }

  private fields(s: Session, now: Date) {
    return {
      ...conversationState(s),
      lastEventAt: s.lastEventAt ?? now,
      expiresAt: new Date(now.getTime() + this.idleDays * 86_400_000),
      updatedAt: now,
    };
  }

  /** Saves if nobody else saved since it was read; otherwise SessionConflictError. */
  async write(s: Session, now = new Date()): Promise<void> {
    const fields = this.fields(s, now);
    if (s.isNew) {
      try {
        await this.models.Session.create({ _id: s.id, ...fields, createdAt: s.createdAt, rev: 1 });
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw new SessionConflictError();
        throw err;
      }
    } else {
      const r = await this.models.Session.updateOne({ _id: s.id, rev: s.rev }, { $set: { ...fields, rev: s.rev + 1 } });
      if (r.matchedCount !== 1) throw new SessionConflictError();
    }
    s.rev += 1;
    s.isNew = false;
  }

  async delete(userId: string): Promise<void> {
    await this.models.Session.deleteOne({ _id: userId });
  }

  /** Clears conversation state idle past its expiry (language and reachability are kept). */
  async clearExpired(now = new Date()): Promise<number> {
    const r = await this.models.Session.updateMany(
      { expiresAt: { $lt: now } },
      { $set: { flow: null, paused: {}, expiresAt: null } },
    );
    return r.modifiedCount ?? 0;
  }
}

/** The part of a session a handler changes (what the processor restores after a failed attempt, and saves). */
export type ConversationState = Pick<Session, 'lang' | 'langChosen' | 'reachable' | 'flow' | 'paused' | 'data' | 'followedAt' | 'unfollowedAt' | 'lastEventAt'>;
export const conversationState = (s: Session): ConversationState => ({
  lang: s.lang,
  langChosen: s.langChosen,
  reachable: s.reachable,
  flow: s.flow,
  paused: s.paused,
  data: s.data,
  followedAt: s.followedAt,
  unfollowedAt: s.unfollowedAt,
  lastEventAt: s.lastEventAt,
});
