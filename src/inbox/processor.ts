import { randomUUID } from 'node:crypto';
import { sleep } from '../core/async.js';
import { userRef, withEventId, type Logger } from '../core/logger.js';
import { conversationState, LeaseLostError, type ConversationState, type RecordedAnswer, type Session, type SessionStore } from '../sessions/session-store.js';
import { eventOf, isUserKey, type Inbox, type LineEvent, type PendingDoc } from './inbox.js';

export interface EventContext {
  /** The event's id in the inbox (LINE's webhookEventId): effects are keyed by it. */
  eventId: string;
  receivedAt: Date;
  redelivery: boolean;
  /** Older (by LINE's timestamp) than an event already applied: it arrived late, still handled. */
  late: boolean;
  /** The user's session, claimed with the lease; the handler changes it, the processor saves it. */
  session: Session;
}

/** What a handler did with an event: `ignored` for event types the bot does not act on. */
export type HandleOutcome = 'done' | 'ignored';
export interface Handled {
  outcome: HandleOutcome;
  /** The answer, saved in the same conditional write as the session (before it is sent). */
  answer?: RecordedAnswer;
  /**
   * Runs once the session is saved (sends the answer): never before, never for a lost lease.
   * `holding()` tells whether this process still holds the user's lease (checked in the database).
   */
  afterCommit?: (ctl: SendControl) => Promise<void>;
}
export interface SendControl {
  holding(): Promise<boolean>;
}
export type EventHandler = (event: LineEvent, ctx: EventContext) => Promise<Handled>;

export interface GaveUp {
  eventId: string;
  userKey: string;
  event: LineEvent;
  doc: PendingDoc;
  error: string;
  attempts: number;
}

export interface ProcessorOptions {
  inbox: Inbox;
  sessions: SessionStore;
  /** This process's lease owner id. */
  owner: string;
  handler: EventHandler;
  logger: Logger;
  /** Users processed at the same time by this process. */
  concurrency: number;
  /** Attempts per event before it is set aside as failed, so it cannot block the user forever. */
  maxAttempts?: number;
  /** Waits between attempts: together longer than a database fail-over (~10 s). */
  retryDelaysMs?: readonly number[];
  /** User lease: short, renewed by a heartbeat while a handler runs. */
  leaseMs?: number;
  /**
   * Cross-process order: a user's events are looked at this long after the newest arrived, so an
   * earlier event that reached another web process a few ms later is handled first.
   */
  settleMs?: number;
  /** Deadline for each database call of the processor. */
  dbTimeoutMs?: number;
  /** The bot's clock (session expiry); leases use the machine's time. */
  now?: () => Date;
  /** After the last attempt: tell the user, keep the payload for a replay (see runtime). */
  onGaveUp?: (g: GaveUp) => Promise<void>;
  /**
   * Delivers an answer found saved but not confirmed sent when a user is claimed (its sender died
   * or lost the lease between saving and confirming): once, never repeating a reply that landed.
   */
  redeliver?: (userKey: string, answer: RecordedAnswer, ctl: SendControl) => Promise<void>;
}

export const newOwnerId = () => `${process.pid}-${randomUUID().slice(0, 8)}`;

const BATCH = 20;

/**
 * Processes stored events per user, one at a time and in LINE timestamp order. Per event, on
 * the hot path: one atomic claim (lease + session + the user's pending events, all in the user's
 * document), one conditional write (session + applied event ids + the event's removal + lease
 * release); with the webhook's upsert, three commands. Work for different users runs
 * concurrently (bounded), so one user's slow or failing conversation never stalls another's.
 */
export class InboxProcessor {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly again = new Set<string>();
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  /** Per user: not to be claimed before `at` (settle window after the newest arrival). */
  private readonly due = new Map<string, { at: number; first: number }>();
  /** Per user: webhook stores of their events in progress on this process. */
  private readonly storing = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private readonly delays: readonly number[];
  private readonly leaseMs: number;
  private readonly settleMs: number;
  private readonly dbTimeoutMs: number;
  private toDrop: string[] = [];
  /** Answers this process finished sending (recent ones): found again at a claim, not resent. */
  private readonly delivered = new Set<string>();
  /** Lease releases after a sent answer, written for many users at once (see finishLater). */
  private finishQueue: { userId: string; owner: string; event: string; done: () => void }[] = [];
  private finishing: Promise<void> | undefined;
  private readonly finishes = new Map<string, Promise<void>>();
  private dropTimer: NodeJS.Timeout | undefined;
  private dropping: Promise<void> | undefined;

  constructor(private readonly opts: ProcessorOptions) {
    this.log = opts.logger.child({ module: 'inbox' });
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.delays = opts.retryDelaysMs ?? [250, 1_000, 3_000, 8_000];
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.settleMs = opts.settleMs ?? 0;
    this.dbTimeoutMs = opts.dbTimeoutMs ?? 5_000;
  }

  /**
   * Schedules a user's pending events; cheap and safe to call many times. With a delay (the
   * settle window, for an arrival) the user is looked at that long after the NEWEST kick, not the
   * first: every arrival pushes the pass back (at most to four windows after the first), so an
   * earlier event stored a little later, here or on another web process, is claimed with the rest.
   */
  kick(userKey: string, delayMs = this.settleMs): void {
    if (this.stopped) return;
    if (delayMs > 0) this.notBefore(userKey, Date.now() + delayMs, delayMs);
    if (this.queued.has(userKey)) {
      // Already being drained: make sure it looks again once the current pass ends.
      this.again.add(userKey);
      return;
    }
    this.schedule(userKey);
  }

  /**
   * Stores of this user's events are under way on this process: the user is not claimed until
   * they are done (the webhook kicks again when they are), so an event that reached this process
   * first but is stored last is never overtaken by one that arrived a moment later. Returns the
   * "done" callback.
   */
  arriving(userKeys: readonly string[]): () => void {
    for (const k of userKeys) this.storing.set(k, (this.storing.get(k) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of userKeys) {
        const n = (this.storing.get(k) ?? 1) - 1;
        if (n > 0) this.storing.set(k, n);
        else this.storing.delete(k);
      }
    };
  }

  private notBefore(userKey: string, at: number, windowMs: number): void {
    const d = this.due.get(userKey);
    if (!d) this.due.set(userKey, { at, first: Date.now() });
    else d.at = Math.max(d.at, Math.min(at, d.first + 4 * windowMs));
  }

  /** Enqueues the user now, or arms one timer for when its settle window ends. */
  private schedule(userKey: string): void {
    if (this.stopped || this.queued.has(userKey) || this.waiting.has(userKey)) return;
    const wait = Math.max(this.due.get(userKey)?.at ?? 0, this.storing.has(userKey) ? Date.now() + Math.max(this.settleMs, 10) : 0) - Date.now();
    if (wait <= 0) {
      this.due.delete(userKey);
      this.enqueue(userKey);
      return;
    }
    const t = setTimeout(() => {
      this.waiting.delete(userKey);
      this.schedule(userKey); // the window may have moved meanwhile
    }, wait);
    this.waiting.set(userKey, t);
  }

  /** Resolves when nothing is queued, waiting or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    const settle = async () => {
      await this.flushDrops();
      await Promise.all([...this.finishes.values()]);
    };
    if (this.isIdle()) return settle();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve)).then(settle);
  }

  /** Stops taking new work; in-flight users finish their current event and release their lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    for (const t of this.waiting.values()) clearTimeout(t);
    this.waiting.clear();
    this.due.clear();
    this.notifyIdle();
    await this.idle();
  }

  private clock(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  private isIdle(): boolean {
    return this.running === 0 && this.queue.length === 0 && this.waiting.size === 0;
  }

  private notifyIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private enqueue(userKey: string): void {
    if (this.stopped || this.queued.has(userKey)) return;
    this.queued.add(userKey);
    this.queue.push(userKey);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const userKey = this.queue.shift()!;
      this.running++;
      void this.drain(userKey).finally(() => {
        this.running--;
        this.queued.delete(userKey);
        if (this.again.delete(userKey)) this.schedule(userKey);
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async drain(userKey: string, heldRetries = 0): Promise<void> {
    try {
      if (!isUserKey(userKey)) return await this.drainOthers(userKey);
      for (;;) {
        await this.finishes.get(userKey); // this user's last release is still being written
        const session = await this.opts.sessions.claim(userKey, this.opts.owner, this.leaseMs, this.clock(), this.dbTimeoutMs);
        if (!session) {
          // Another live process holds the lease: it may not see what we stored, so look again
          // shortly, until its lease must have ended (the sweeper is the last resort).
          // (Backoff 50 ms, 100 ms, …: stops once the waits add up to a lease.)
          if (25 * 2 ** (heldRetries + 1) < this.leaseMs && !this.stopped) this.retryLater(userKey, heldRetries + 1);
          return;
        }
        const more = await this.processClaimed(userKey, session);
        if (!more || this.stopped) return;
      }
    } catch (err) {
      this.log.error({ user: userRef(userKey), err: errText(err) }, 'inbox drain failed; the sweeper will retry');
      await this.opts.sessions.releaseLease(userKey, this.opts.owner).catch(() => undefined);
    }
  }

  private retryLater(userKey: string, n: number): void {
    const t = setTimeout(() => {
      this.waiting.delete(userKey);
      if (this.stopped || this.queued.has(userKey)) return;
      this.queued.add(userKey);
      this.running++;
      void this.drain(userKey, n).finally(() => {
        this.running--;
        this.queued.delete(userKey);
        if (this.again.delete(userKey)) this.schedule(userKey);
        this.pump();
        this.notifyIdle();
      });
    }, Math.min(this.leaseMs, 25 * 2 ** n));
    this.waiting.set(userKey, t);
  }

  /** Group, room and unknown chats: the bot does not converse there; their events just leave. */
  private async drainOthers(userKey: string): Promise<void> {
    const batch = await this.opts.inbox.nextPending(userKey, BATCH, this.dbTimeoutMs);
    for (const doc of batch) {
      const event = eventOf(doc);
      if (event) await this.opts.handler(event, { eventId: doc._id, receivedAt: doc.receivedAt, redelivery: Boolean(doc.redelivery), late: false, session: undefined as never }).catch(() => undefined);
      this.dropLater(doc._id);
    }
  }

  /**
   * Handles the claimed user's pending events (the claim returned them with the session); true
   * when the user's document may hold more than this pass took.
   */
  private async processClaimed(userKey: string, session: Session): Promise<boolean> {
    const { sessions, owner } = this.opts;
    let released = false;
    try {
      if (session.answer) await this.settleAnswer(userKey, session, session.answer);
      // Events still inside their settle window (by when they reached a web process, any of
      // them) wait, with everything after them in timestamp order: an earlier one may still be
      // on its way to the other process. Up to the last settled one, all are handled.
      const cutoff = Date.now() - this.settleMs;
      let ready = 0;
      session.pending.forEach((p, i) => {
        if (new Date(p.receivedAt).getTime() <= cutoff) ready = i + 1;
      });
      if (ready < session.pending.length) {
        const newest = Math.max(...session.pending.slice(ready).map((p) => new Date(p.receivedAt).getTime()));
        // (Never longer than one window: a clock ahead of ours does not hold the user up.)
        this.kick(userKey, Math.min(this.settleMs, Math.max(1, newest + this.settleMs - Date.now())));
      }
      const batch = session.pending.slice(0, Math.min(BATCH, ready));
      const full = ready > BATCH;
      for (const [i, doc] of batch.entries()) {
        if (this.stopped) break;
        if (session.applied.includes(doc._id)) {
          // Applied before (LINE redelivery of a handled event): no second effect; it leaves the
          // user's document with the next write.
          session.skipped.push(doc._id);
          continue;
        }
        const last = (i === batch.length - 1 && !full) || this.stopped;
        const r = await this.processOne(doc, session, last);
        if (r === 'lost') {
          released = true; // not ours any more
          return false;
        }
        if (r === 'released') released = true;
      }
      return full;
    } finally {
      if (!released || session.skipped.length > 0) await sessions.releaseLease(userKey, owner, session).catch(() => undefined);
    }
  }

  /** An answer saved by the last commit and not confirmed: ours (sent), or a dead holder's (deliver it now). */
  private async settleAnswer(userKey: string, session: Session, answer: RecordedAnswer): Promise<void> {
    if (!this.delivered.has(answer.event) && this.opts.redeliver) {
      this.log.warn({ event: answer.event, user: userRef(userKey) }, 'answer saved but not confirmed sent; delivering it once');
      const beat = this.heartbeat(userKey);
      try {
        await withEventId(answer.event, () => this.opts.redeliver!(userKey, answer, this.control(userKey, beat)));
      } catch (err) {
        this.log.warn({ event: answer.event, err: errText(err) }, 'saved answer not delivered');
      } finally {
        beat.stop();
      }
      this.remember(answer.event);
    }
    session.answerSettled = true; // the next write removes it
  }

  private control(userKey: string, beat: { lost(): boolean }): SendControl {
    return {
      holding: async () => !beat.lost() && (await this.opts.sessions.renewLease(userKey, this.opts.owner, this.leaseMs).catch(() => false)),
    };
  }

  private remember(event: string): void {
    this.delivered.add(event);
    if (this.delivered.size > 10_000) this.delivered.delete(this.delivered.values().next().value!);
  }

  /**
   * After the last answer of a pass was sent: the lease is released and the answer forgotten in
   * one bulk write with every other user's finishing meanwhile (one in flight at a time), so it
   * costs a fraction of a command per event. A crash before it lands leaves the answer saved: the
   * next holder finds it and delivers it once (a reply token is single-use).
   */
  private finishLater(userId: string, event: string): void {
    const p = new Promise<void>((done) => this.finishQueue.push({ userId, owner: this.opts.owner, event, done }));
    this.finishes.set(userId, p);
    void p.then(() => {
      if (this.finishes.get(userId) === p) this.finishes.delete(userId);
    });
    if (!this.finishing) this.finishing = this.flushFinishes();
  }

  private async flushFinishes(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r)); // gather what finishes in the same turn
    while (this.finishQueue.length > 0) {
      const batch = this.finishQueue.splice(0);
      try {
        await this.opts.sessions.finish(batch, this.dbTimeoutMs);
      } catch (err) {
        // The leases expire and the answers stay saved: the next holder checks them (no resend of a used token).
        this.log.warn({ err: errText(err), count: batch.length }, 'could not release leases after sending');
      }
      for (const it of batch) it.done();
    }
    this.finishing = undefined;
  }

  /** Every log line written while an event is handled carries its event id. */
  private processOne(doc: PendingDoc, session: Session, last: boolean): Promise<'kept' | 'released' | 'lost'> {
    return withEventId(String(doc._id), () => this.processOneInScope(doc, session, last));
  }

  private async processOneInScope(doc: PendingDoc, session: Session, last: boolean): Promise<'kept' | 'released' | 'lost'> {
    const event = eventOf(doc);
    const late = session.lastAppliedTs !== undefined && doc.timestamp < session.lastAppliedTs;
    if (late) this.log.warn({ event: doc._id, user: userRef(doc.userKey) }, 'event arrived after a later one was applied; handling it late');
    const snapshot = structuredClone(conversationState(session));
    let handled: Handled = { outcome: 'ignored' };
    if (event && typeof event.type === 'string' && event.mode !== 'standby') {
      const ctx: EventContext = { eventId: doc._id, receivedAt: doc.receivedAt, redelivery: Boolean(doc.redelivery), late, session };
      const result = await this.runWithRetries(doc, event, ctx, session, snapshot);
      if (result === 'lost') return 'lost';
      handled = result;
    }
    // Only bookkeeping is retried from here: the handler's effects are never repeated.
    for (let attempt = 1; ; attempt++) {
      try {
        // With an answer to send the lease is kept until it is sent (finishLater releases it).
        await this.opts.sessions.commit(session, this.opts.owner, [doc._id], { release: last && !handled.answer, leaseMs: this.leaseMs, lastTs: doc.timestamp, now: this.clock(), timeoutMs: this.dbTimeoutMs, ...(handled.answer ? { answer: handled.answer } : {}) });
        break;
      } catch (err) {
        if (err instanceof LeaseLostError || attempt >= 4) {
          this.log.error({ event: doc._id, err: errText(err) }, 'session not saved; the event is left for the lease holder');
          return 'lost';
        }
        await sleep(100 * 2 ** attempt);
      }
    }
    if (handled.afterCommit) {
      const beat = this.heartbeat(doc.userKey); // a slow send must not lose the lease
      try {
        await handled.afterCommit(this.control(doc.userKey, beat));
      } catch (err) {
        this.log.warn({ event: doc._id, err: errText(err) }, 'after-commit step failed');
      } finally {
        beat.stop();
      }
    }
    if (handled.answer) {
      this.remember(doc._id);
      session.answerSettled = true;
      if (last) {
        this.finishLater(doc.userKey, doc._id);
        return 'released';
      }
    }
    return last ? 'released' : 'kept';
  }

  private async runWithRetries(doc: PendingDoc, event: LineEvent, ctx: EventContext, session: Session, snapshot: ConversationState): Promise<Handled | 'lost'> {
    for (let attempt = (doc.attempts ?? 0) + 1; ; attempt++) {
      const beat = this.heartbeat(doc.userKey);
      try {
        const r = await this.opts.handler(event, ctx);
        if (beat.lost()) return 'lost';
        return r;
      } catch (err) {
        if (beat.lost()) return 'lost';
        const message = errText(err);
        const count = await this.opts.inbox.recordAttempt(doc).catch(() => attempt);
        this.log.error({ event: doc._id, type: event.type, attempt: count, err: message }, 'event handler failed');
        if (count >= this.maxAttempts || attempt >= this.maxAttempts) {
          await this.giveUp(doc, event, message, count);
          return { outcome: 'ignored' };
        }
        beat.stop();
        await sleep(this.delays[Math.min(attempt - 1, this.delays.length - 1)] ?? 1_000);
        // A failed attempt leaves no trace: the next one starts from the stored session (re-read,
        // keeping the lease), which may have been repaired meanwhile.
        const fresh = await this.opts.sessions.claim(doc.userKey, this.opts.owner, this.leaseMs, this.clock(), this.dbTimeoutMs).catch(() => undefined);
        if (fresh === null) return 'lost';
        Object.assign(session, fresh ?? structuredClone(snapshot));
      } finally {
        beat.stop();
      }
    }
  }

  private async giveUp(doc: PendingDoc, event: LineEvent, error: string, attempts: number): Promise<void> {
    try {
      await this.opts.onGaveUp?.({ eventId: doc._id, userKey: doc.userKey, event, doc, error, attempts });
    } catch (err) {
      this.log.error({ event: doc._id, err: errText(err) }, 'could not set the failed event aside');
    }
  }

  /** Renews the lease every third of its length while a handler runs; reports when it was lost. */
  private heartbeat(userKey: string): { stop(): void; lost(): boolean } {
    let lost = false;
    const t = setInterval(() => {
      void this.opts.sessions.renewLease(userKey, this.opts.owner, this.leaseMs).then(
        (ok) => {
          if (!ok) lost = true;
        },
        () => undefined, // a missed beat is not a loss; the commit checks the owner anyway
      );
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    t.unref();
    return { stop: () => clearInterval(t), lost: () => lost };
  }

  /** Handled events leave the pending queue in batches, off the hot path. */
  private dropLater(id: string): void {
    this.toDrop.push(id);
    if (this.toDrop.length >= 100) void this.flushDrops();
    else if (!this.dropTimer) {
      this.dropTimer = setTimeout(() => void this.flushDrops(), 50);
      this.dropTimer.unref();
    }
  }

  private async flushDrops(): Promise<void> {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    await this.dropping;
    const ids = this.toDrop.splice(0);
    if (ids.length === 0) return;
    this.dropping = this.opts.inbox.dropPending(ids).catch((err: unknown) => {
      // Left in the queue, they are skipped by the applied-event guard next time.
      this.log.warn({ err: errText(err), count: ids.length }, 'could not drop handled events');
    });
    await this.dropping;
    this.dropping = undefined;
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
