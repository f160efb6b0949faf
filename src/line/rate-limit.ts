import { sleep } from '../core/async.js';

/** LINE's per-channel request limits (requests per second), by endpoint group. */
export const LINE_RATE_LIMITS = {
  multicast: 200,
  push: 2_000,
  reply: 2_000,
  broadcast: 60,
  narrowcast: 60,
  other: 2_000,
} as const;

export type RateLimitGroup = keyof typeof LINE_RATE_LIMITS;

/** The bucket a gateway endpoint draws from (loading animation, profile, quota: "other"). */
export const rateLimitGroup = (endpoint: string): RateLimitGroup =>
  endpoint in LINE_RATE_LIMITS ? (endpoint as RateLimitGroup) : 'other';

interface Bucket {
  tokens: number;
  capacity: number;
  perMs: number;
  updatedAt: number;
  /** Until when LINE told us to wait (Retry-After on a 429). */
  blockedUntil: number;
}

/**
 * A token bucket per LINE endpoint, shared by everything the channel sends (conversation answers,
 * outbox, campaigns) in this process, so one process stays inside LINE's rate limits. Several
 * processes share the channel's limit; each gets `share` of it (LINE_RATE_LIMIT_SHARE).
 */
export class RateLimiter {
  private readonly buckets = new Map<RateLimitGroup, Bucket>();
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(opts: { share?: number; limits?: Partial<Record<RateLimitGroup, number>>; now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.now = opts.now ?? Date.now;
    this.wait = opts.sleep ?? sleep;
    const share = opts.share ?? 1;
    for (const [name, perSecond] of Object.entries({ ...LINE_RATE_LIMITS, ...opts.limits }) as [RateLimitGroup, number][]) {
      const rate = Math.max(1, perSecond * share);
      // A burst of a tenth of a second's worth, refilled at 90 %: no one-second window ever holds
      // more than the limit (burst + refill = rate).
      const capacity = Math.max(1, Math.floor(rate / 10));
      this.buckets.set(name, { tokens: capacity, capacity, perMs: (rate - capacity) / 1000 || rate / 1000, updatedAt: this.now(), blockedUntil: 0 });
    }
  }

  /** Waits until a request to `endpoint` may go out, and takes its token. */
  async take(endpoint: string): Promise<void> {
    const b = this.buckets.get(rateLimitGroup(endpoint))!;
    for (;;) {
      const now = this.now();
      if (b.blockedUntil > now) {
        await this.wait(b.blockedUntil - now);
        continue;
      }
      b.tokens = Math.min(b.capacity, b.tokens + (now - b.updatedAt) * b.perMs);
      b.updatedAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
      await this.wait(Math.max(1, Math.ceil((1 - b.tokens) / b.perMs)));
    }
  }

  /** LINE answered 429 with Retry-After: nothing goes to that endpoint until then. */
  blockFor(endpoint: string, ms: number): void {
    const b = this.buckets.get(rateLimitGroup(endpoint))!;
    b.blockedUntil = Math.max(b.blockedUntil, this.now() + ms);
    b.tokens = 0;
  }
}

/** Seconds or an HTTP date, as in `Retry-After`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
