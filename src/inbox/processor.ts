import { randomUUID } from 'node:crypto';
import { sleep } from '../core/async.js';
import { userRef, type Logger } from '../core/logger.js';
import type { Inbox, LineEvent } from './inbox.js';
import type { UserLocks } from './user-lock.js';

export interface EventContext {
  /** The event's id in the inbox (LINE's webhookEventId): effects are keyed by it. */
  eventId: string;
  receivedAt: Date;
  redelivery: boolean;
}

/** What a handler did with an event: `ignored` for event types the bot does not act on. */
export type HandleOutcome = 'done' | 'ignored';
export type EventHandler = (event: LineEvent, ctx: EventContext) => Promise<HandleOutcome>;

export interface ProcessorOptions {
  inbox: Inbox;
  locks: UserLocks;
  handler: EventHandler;
  logger: Logger;
  /** Users processed at the same time by this process. */
  concurrency: number;
  /** Attempts per event before it is set aside as failed, so it cannot block the user forever. */
  maxAttempts?: number;
}

/** Leases last 30 s (see runtime); renew once 10 s of it have been used. */
const LEASE_RENEW_AFTER_MS = 10_000;

export const newOwnerId = () => `${process.pid}-${randomUUID().slice(0, 8)}`;

/**
 * Processes stored events per user, one at a time and in timestamp order. Work for different
 * users runs concurrently (bounded), so one user's slow or failing conversation never stalls
 * another's.
 */
export class InboxProcessor {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly again = new Set<string>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly log: Logger;
  private readonly maxAttempts: number;

  constructor(private readonly opts: ProcessorOptions) {
    this.log = opts.logger.child({ module: 'inbox' });
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  /** Schedules a user's pending events; cheap and safe to call many times. */
  kick(userKey: string): void {
    if (this.stopped) return;
    if (this.queued.has(userKey)) {
      // Already being drained: make sure it looks again once the current pass ends.
      this.again.add(userKey);
      return;
    }
    this.queued.add(userKey);
    this.queue.push(userKey);
    this.pump();
  }

  /** Resolves when nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking new work; in-flight users finish their current event. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const userKey = this.queue.shift()!;
      this.running++;
      void this.drain(userKey).finally(() => {
        this.running--;
        this.queued.delete(userKey);
        if (this.again.delete(userKey)) this.kick(userKey);
        this.pump();
        if (this.running === 0 && this.queue.length === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  private async drain(userKey: string): Promise<void> {
    const { inbox, locks } = this.opts;
    try {
      for (;;) {
        if (!(await locks.acquire(userKey))) return; // another process holds it and will re-check
        try {
          await this.processPending(userKey);
        } finally {
          await locks.release(userKey).catch(() => undefined);
        }
        // An event stored while we held the lock may have lost its own race for it.
        if (this.stopped || !(await inbox.hasPending(userKey))) return;
      }
    } catch (err) {
      this.log.error({ user: userRef(userKey), err: errText(err) }, 'inbox drain failed; the sweeper will retry');
    }
  }

  private async processPending(userKey: string): Promise<void> {
    const { inbox, locks } = this.opts;
    const BATCH = 20;
    let renewedAt = Date.now();
    for (;;) {
      const batch = await inbox.nextPending(userKey, BATCH);
      for (const doc of batch) {
        if (this.stopped) return;
        await this.processOne(doc);
        // Extend the lease only when a good part of it is used up (one write saved per event).
        if (Date.now() - renewedAt > LEASE_RENEW_AFTER_MS) {
          if (!(await locks.renew(userKey))) return; // lease lost: the new holder continues
          renewedAt = Date.now();
        }
      }
      // A short batch means the queue was empty when read; later arrivals are caught by drain().
      if (batch.length < BATCH) return;
    }
  }

  private async processOne(doc: Awaited<ReturnType<Inbox['nextPending']>>[number]): Promise<void> {
    const { inbox, handler } = this.opts;
    const event = doc.payload as LineEvent;
    if (await inbox.isProcessed(doc._id)) {
      // Arrived again after it was handled (LINE redelivery, a double send): no second effect.
      await inbox.dropPending(doc._id);
      return;
    }
    if (!event || event.mode === 'standby') {
      // Another channel owns the chat (module mode): record, send nothing.
      await inbox.finish(doc, 'ignored');
      return;
    }
    const meta = { eventId: doc._id, receivedAt: doc.receivedAt, redelivery: Boolean(doc.redelivery) };
    for (let attempt = (doc.attempts ?? 0) + 1; ; attempt++) {
      try {
        const outcome = await handler(event, meta);
        await inbox.finish(doc, outcome);
        return;
      } catch (err) {
        const message = errText(err);
        const count = await inbox.recordAttempt(doc._id);
        this.log.error({ event: doc._id, type: event.type, attempt: count, err: message }, 'event handler failed');
        if (count >= this.maxAttempts || attempt >= this.maxAttempts) {
          await inbox.finish(doc, 'failed', message, count);
          return;
        }
        await sleep(100 * attempt);
      }
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
