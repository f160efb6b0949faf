/**
 * Per-user admission at the webhook: a token bucket of `perMinute` events, refilled evenly. A
 * user flooding the bot is acknowledged (LINE must not redeliver) but the excess is not stored,
 * so it neither delays other users' events nor spends the push quota on answers.
 * In memory, per web process: a limit on cost, not a security boundary.
 */
export class UserRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  /** True when this user's event may be stored now. */
  take(userKey: string): boolean {
    const now = this.now();
    const b = this.buckets.get(userKey);
    if (!b) {
      if (this.buckets.size > 50_000) this.prune(now);
      this.buckets.set(userKey, { tokens: this.perMinute - 1, at: now });
      return true;
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.ratePerMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets users whose bucket has refilled (they would start full anyway). */
  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.ratePerMs >= this.perMinute) this.buckets.delete(k);
  }
}
