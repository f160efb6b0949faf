import type { Connection } from 'mongoose';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What LINE says about this month's messages (GET /v2/bot/message/quota and …/consumption). */
export interface MessageQuota {
  /** undefined: no limit set for the channel. */
  limit?: number;
  used: number;
}

export interface MetricsSources {
  /** The database the inbox and outbox live in (queried at scrape time). */
  conn: Connection;
  /** Reads LINE's quota; called at most once a minute. */
  quota?: () => Promise<MessageQuota | undefined>;
  now?: () => number;
}

/** Result of one LINE request: an HTTP status, or why there was none. */
export type LineRequestStatus = number | 'network';

const QUOTA_CACHE_MS = 60_000;

/**
 * The process's Prometheus metrics. Counters are counted as things happen in this process;
 * queue gauges (events waiting, outbox) are read from the database when scraped, so every
 * instance reports the same shared queues.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly webhookRequests: Counter<'status'>;
  private readonly eventsHandled: Counter<'outcome'>;
  private readonly lineRequests: Counter<'endpoint' | 'status'>;
  private readonly lineThrottled: Counter<'endpoint'>;
  private readonly unsealFailures: Counter<'field'>;
  private quotaCache?: { at: number; value: MessageQuota | undefined };

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    const now = sources.now ?? Date.now;
    collectDefaultMetrics({ register: r });
    this.webhookRequests = new Counter({ name: 'otop_webhook_requests_total', help: 'Webhook requests answered, by HTTP status.', labelNames: ['status'], registers: [r] });
    this.eventsHandled = new Counter({
      name: 'otop_events_handled_total',
      help: 'Event handler runs in this process, by outcome (done, ignored, error = an attempt that threw).',
      labelNames: ['outcome'],
      registers: [r],
    });
    this.lineRequests = new Counter({ name: 'otop_line_requests_total', help: 'Requests to the LINE API, by endpoint and HTTP status (or timeout/network).', labelNames: ['endpoint', 'status'], registers: [r] });
    this.lineThrottled = new Counter({ name: 'otop_line_throttled_total', help: 'LINE requests answered 429 (rate limit or spent quota), by endpoint.', labelNames: ['endpoint'], registers: [r] });
    this.unsealFailures = new Counter({ name: 'otop_unseal_failures_total', help: 'Sealed values no configured key opened (shown as hidden).', labelNames: ['field'], registers: [r] });

    const collection = (name: string) => sources.conn.collection(name);
    const ageSeconds = (d: unknown) => (d instanceof Date ? Math.max(0, (now() - d.getTime()) / 1000) : 0);
    const oldest = async (name: string, filter: Record<string, unknown>, field: string) => {
      const [doc] = await collection(name).find(filter, { projection: { [field]: 1 } }).sort({ [field]: 1 }).limit(1).toArray();
      return ageSeconds(doc?.[field]);
    };

    new Gauge({
      name: 'otop_events_waiting',
      help: 'Webhook events stored and not yet processed (all instances).',
      registers: [r],
      async collect() {
        // One-on-one chats' events wait in the user's session document (inboxCount), the others' in inbox_pending.
        const [users] = await collection('sessions')
          .aggregate([{ $match: { inboxCount: { $gt: 0 } } }, { $group: { _id: null, n: { $sum: '$inboxCount' } } }])
          .toArray();
        this.set((await collection('inbox_pending').countDocuments({})) + Number(users?.n ?? 0));
      },
    });
    new Gauge({
      name: 'otop_events_oldest_waiting_age_seconds',
      help: 'Age of the oldest event waiting to be processed; 0 when none.',
      registers: [r],
      async collect() {
        // For users, the newest arrival of the user waiting longest (what the sweeper goes by).
        this.set(Math.max(await oldest('inbox_pending', {}, 'receivedAt'), await oldest('sessions', { inboxCount: { $gt: 0 } }, 'pendingSince')));
      },
    });
    new Gauge({
      name: 'otop_events_set_aside',
      help: 'Events set aside after their last attempt (payload kept sealed for replay), by status (failed, replayed).',
      labelNames: ['status'],
      registers: [r],
      async collect() {
        this.reset();
        for (const status of ['failed', 'replayed']) this.set({ status }, await collection('inbox_events').countDocuments({ status }));
      },
    });
    // The outbox may not exist yet (nothing enqueued, or an older schema): empty reads as 0.
    new Gauge({
      name: 'otop_outbox_pending',
      help: 'Outgoing messages recorded and not yet sent.',
      registers: [r],
      async collect() {
        this.set(await collection('outbox').countDocuments({ status: 'pending' }));
      },
    });
    new Gauge({
      name: 'otop_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outgoing message not yet sent; 0 when none.',
      registers: [r],
      async collect() {
        this.set(await oldest('outbox', { status: 'pending' }, 'createdAt'));
      },
    });
    const quota = () => this.quota();
    new Gauge({
      name: 'otop_line_message_quota',
      help: "This month's LINE message quota: used, left and limit (left/limit absent when the channel has no limit).",
      labelNames: ['kind'],
      registers: [r],
      async collect() {
        this.reset();
        const q = await quota();
        if (!q) return;
        this.set({ kind: 'used' }, q.used);
        if (q.limit !== undefined) {
          this.set({ kind: 'limit' }, q.limit);
          this.set({ kind: 'left' }, Math.max(0, q.limit - q.used));
        }
      },
    });
  }

  webhookAnswered(status: number): void {
    this.webhookRequests.inc({ status: String(status) });
  }

  eventHandled(outcome: 'done' | 'ignored' | 'error'): void {
    this.eventsHandled.inc({ outcome });
  }

  lineRequest(endpoint: string, status: LineRequestStatus): void {
    this.lineRequests.inc({ endpoint, status: String(status) });
    if (status === 429) this.lineThrottled.inc({ endpoint });
  }

  unsealFailed(field: string): void {
    this.unsealFailures.inc({ field });
  }

  /** The text exposition (Prometheus format). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async quota(): Promise<MessageQuota | undefined> {
    const now = (this.sources.now ?? Date.now)();
    if (this.quotaCache && now - this.quotaCache.at < QUOTA_CACHE_MS) return this.quotaCache.value;
    let value: MessageQuota | undefined;
    try {
      value = await this.sources.quota?.();
    } catch {
      value = this.quotaCache?.value; // keep the last known figures when LINE does not answer
    }
    this.quotaCache = { at: now, value };
    return value;
  }
}
