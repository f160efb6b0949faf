import type { Models } from '../core/db/models.js';
import { withTimeout } from '../core/async.js';
import type { Logger } from '../core/logger.js';
import type { Attempt, LineGateway } from '../line/gateway.js';
import type { OutboxDoc, OutboxFailure } from './outbox.js';

export interface DrainerOptions {
  models: Models;
  gateway: LineGateway;
  logger: Logger;
  /** Settled items (sent, failed, unknown) are reported here, e.g. to update campaign deliveries. */
  onSettled?: (doc: OutboxDoc) => Promise<void>;
  /** How often due items are looked for when nothing kicks the drainer. */
  pollMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** A claimed item is hidden from other drainers this long (a crashed sender's item comes back). */
  claimMs?: number;
  /** First retry delay; doubles per attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** LINE keeps a retry key for 24 hours: past this age an item is given up, not re-sent blind. */
  maxAgeMs?: number;
  /** Deadline for each database call. */
  dbTimeoutMs?: number;
  now?: () => Date;
}

/**
 * Delivers outbox items: claims due ones, sends each through the gateway with the item's retry
 * key, and records how it ended. 2xx and 409 (the key was already accepted) are `sent`; quota,
 * blocked and other permanent 4xx are `failed` with the reason; 5xx, rate limits and timeouts
 * come back later (Retry-After honoured, else exponential backoff). Several drainers (web and
 * worker processes) may run: a claim hides an item for a while, and if two ever send the same
 * item LINE answers the second with 409 for its retry key.
 */
export class OutboxDrainer {
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly claimMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAgeMs: number;
  private readonly dbTimeoutMs: number;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private soonestMs = Infinity;
  private started = false;
  private stopped = false;
  private passing: Promise<void> | undefined;
  private again = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: DrainerOptions) {
    this.log = opts.logger.child({ module: 'outbox' });
    this.pollMs = opts.pollMs ?? 1_000;
    this.concurrency = opts.concurrency ?? 8;
    this.claimMs = opts.claimMs ?? 60_000;
    this.baseDelayMs = opts.baseDelayMs ?? 1_000;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.maxAgeMs = opts.maxAgeMs ?? 23 * 3_600_000;
    this.dbTimeoutMs = opts.dbTimeoutMs ?? 5_000;
    this.now = opts.now ?? (() => new Date());
  }

  /** Claim time a caller uses when it records items and sends them itself (Outbox.enqueueClaimed). */
  get claimDurationMs(): number {
    return this.claimMs;
  }

  /** Starts polling (web and worker processes); safe to call twice. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops polling and waits for requests in flight (their items stay claimed, then come back). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.passing?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  /** New items are due: look now rather than at the next poll. */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.passing) this.again = true;
    else this.schedule(0);
  }

  /** One pass: sends every item due now (tests, operators); returns how many were tried. */
  async drainOnce(): Promise<number> {
    let tried = 0;
    for (;;) {
      const due = await this.db(
        this.opts.models.Outbox.find({ status: 'pending', nextAttemptAt: { $lte: this.now() } }, { _id: 1 })
          .sort({ nextAttemptAt: 1 })
          .limit(this.concurrency * 4)
          .lean<{ _id: string }[]>(),
      );
      if (due.length === 0) return tried;
      let claimed = 0;
      await mapLimit(due, this.concurrency, async ({ _id }) => {
        const doc = await this.claim(_id);
        if (!doc) return;
        claimed++;
        await this.sendClaimed(doc);
      });
      tried += claimed;
      if (claimed === 0 || due.length < this.concurrency * 4 || this.stopped) return tried;
    }
  }

  /**
   * Sends items the caller recorded and claimed itself (Outbox.enqueueClaimed), in order, now;
   * whatever does not go through stays pending for the drainer.
   */
  async sendNow(docs: readonly OutboxDoc[]): Promise<void> {
    for (const doc of docs) {
      const p = this.sendClaimed(doc);
      this.inFlight.add(p);
      try {
        await p;
      } finally {
        this.inFlight.delete(p);
      }
      const after = await this.opts.models.Outbox.findById(doc._id, { status: 1 }).lean<{ status: string }>().catch(() => null);
      // Keep the answer's order: a later part must not overtake an earlier one that is still pending.
      if (after?.status === 'pending') {
        await this.opts.models.Outbox.updateMany(
          { _id: { $in: docs.slice(docs.indexOf(doc) + 1).map((d) => d._id) }, status: 'pending' },
          { $set: { nextAttemptAt: new Date(this.now().getTime() + this.baseDelayMs) } },
        ).catch(() => undefined);
        this.kick();
        return;
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => void this.pass(), ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    this.timer = undefined;
    if (this.passing || this.stopped) return;
    this.again = false;
    this.passing = this.drainOnce().then(
      () => undefined,
      (err: unknown) => this.log.warn({ err: (err as Error).message }, 'outbox pass failed'),
    );
    await this.passing;
    this.passing = undefined;
    const next = this.again ? 0 : Math.min(this.pollMs, this.soonestMs);
    this.soonestMs = Infinity;
    this.schedule(next);
  }

  private async claim(id: string): Promise<OutboxDoc | null> {
    const now = this.now();
    return this.db(
      this.opts.models.Outbox.findOneAndUpdate(
        { _id: id, status: 'pending', nextAttemptAt: { $lte: now } },
        { $set: { nextAttemptAt: new Date(now.getTime() + this.claimMs) }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      ).lean<OutboxDoc>(),
    );
  }

  private async sendClaimed(doc: OutboxDoc): Promise<void> {
    let a: Attempt;
    try {
      a = doc.kind === 'push'
        ? await this.opts.gateway.pushOnce(doc.to[0]!, doc.messages, doc.retryKey)
        : await this.opts.gateway.multicastOnce(doc.to, doc.messages, doc.retryKey);
    } catch (err) {
      // A payload the gateway refuses to send (over LINE's limits) will never go out.
      a = { outcome: 'refused', kind: 'rejected', status: 0, reason: (err as Error).message };
    }
    try {
      await this.record(doc, a);
    } catch (err) {
      // The claim runs out and the item is tried again; its retry key makes that safe.
      this.log.warn({ item: doc._id, err: (err as Error).message }, 'outbox outcome not recorded');
    }
  }

  private async record(doc: OutboxDoc, a: Attempt): Promise<void> {
    const Outbox = this.opts.models.Outbox;
    const now = this.now();
    let settled: Partial<OutboxDoc> | undefined;
    if (a.outcome === 'sent') {
      settled = { status: 'sent', sentAt: now };
    } else if (a.outcome === 'refused') {
      settled = { status: 'failed', failure: { kind: a.kind, status: a.status, reason: a.reason } };
      this.log[a.kind === 'quota' ? 'error' : 'warn']({ item: doc._id, kind: a.kind, status: a.status }, 'outbox item refused by LINE');
    } else if (now.getTime() - new Date(doc.createdAt).getTime() > this.maxAgeMs) {
      // Past the retry key's life a re-send could duplicate: give up, saying whether it may have landed.
      const failure: OutboxFailure = { kind: 'unavailable', reason: a.reason, ...(a.status ? { status: a.status } : {}) };
      settled = a.definite ? { status: 'failed', failure } : { status: 'unknown', failure };
      this.log.error({ item: doc._id, attempts: doc.attempts }, 'outbox item given up');
    }
    if (settled) {
      await this.db(Outbox.updateOne({ _id: doc._id, status: 'pending' }, { $set: settled }));
      if (this.opts.onSettled) {
        try {
          await this.opts.onSettled({ ...doc, ...settled } as OutboxDoc);
        } catch (err) {
          this.log.error({ item: doc._id, err: (err as Error).message }, 'outbox onSettled failed');
        }
      }
      return;
    }
    const a2 = a as Extract<Attempt, { outcome: 'retry' }>;
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, doc.attempts - 1)) * (0.75 + Math.random() / 2);
    const delay = Math.max(a2.retryAfterMs ?? 0, backoff);
    await this.db(
      Outbox.updateOne(
        { _id: doc._id, status: 'pending' },
        { $set: { nextAttemptAt: new Date(now.getTime() + delay), lastError: a2.reason } },
      ),
    );
    this.log.warn({ item: doc._id, attempt: doc.attempts, status: a2.status, delayMs: Math.round(delay) }, 'outbox item not sent yet, will retry');
    this.wakeIn(delay);
  }

  /** Makes the next look happen no later than `ms` from now (a retry due before the next poll). */
  private wakeIn(ms: number): void {
    if (!this.started || this.stopped) return;
    if (this.passing) {
      this.soonestMs = Math.min(this.soonestMs, ms);
      return;
    }
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    this.schedule(ms);
  }

  private db<T>(p: PromiseLike<T>): Promise<T> {
    return withTimeout(Promise.resolve(p), this.dbTimeoutMs, 'outbox database call');
  }
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}
