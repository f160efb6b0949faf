import { createHash, randomUUID } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { sleep, TimeoutError, withTimeout } from '../core/async.js';
import { userRef, type Logger } from '../core/logger.js';
import { assertMessagesWithinLimits, LINE_LIMITS } from './limits.js';
import { RateLimiter } from './rate-limit.js';

export type Message = messagingApi.Message;

/** Why a message did not reach LINE. */
export type DeliveryFailureKind = 'quota' | 'blocked' | 'rejected' | 'unavailable';

export class LineDeliveryError extends Error {
  readonly kind: DeliveryFailureKind;
  readonly status?: number;
  constructor(kind: DeliveryFailureKind, message: string, status?: number) {
    super(message);
    this.name = 'LineDeliveryError';
    this.kind = kind;
    this.status = status;
  }
}

export interface DeliveryFailure {
  userKey?: string;
  kind: string;
  status?: number;
  reason: string;
  messageCount: number;
}

export interface GatewayOptions {
  channelAccessToken: string;
  baseURL: string;
  timeoutMs: number;
  logger: Logger;
  /** Attempts for push/multicast (first try included). */
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Called for every message batch that could not be delivered (stored for operators). */
  onFailure?: (f: DeliveryFailure) => Promise<void> | void;
  now?: () => number;
  /** Metrics hook: LINE request done (endpoint, HTTP status; 0 when no answer came). */
  onRequestDone?: (endpoint: LineEndpoint, status: number) => void;
  /** Token buckets shared by everything this process sends (src/line/rate-limit.ts). */
  limiter?: RateLimiter;
}

/** This month's message quota as LINE reports it: `limit` null when the plan has none. */
export interface QuotaStatus {
  limit: number | null;
  used: number;
}

/** LINE endpoints the gateway calls, as named in the "request done" hook (metrics). */
export type LineEndpoint = 'reply' | 'push' | 'multicast' | 'loading' | 'profile' | 'quota';

/**
 * What one request to a message endpoint came to.
 * - `sent`: LINE accepted it (2xx), or answered 409 for its retry key (an earlier attempt was).
 * - `refused`: LINE answered and definitely did not send it, and sending it again will not help.
 * - `retry`: not sent or not known to be sent, and worth trying again later: `definite` is true when
 *   LINE answered (5xx, rate-limit 429: nothing was sent), false when no answer came (timeout,
 *   dropped connection: it may have been sent). `retryAfterMs` from a Retry-After header.
 */
export type Attempt =
  | { outcome: 'sent'; status: number }
  | { outcome: 'refused'; kind: 'quota' | 'blocked' | 'rejected'; status: number; reason: string }
  | { outcome: 'retry'; definite: boolean; status?: number; retryAfterMs?: number; reason: string };

/**
 * How a reply ended. `unknown`: no definite answer came for any attempt (the reply may have landed),
 * so the caller must not push the same messages; it records the outcome instead.
 */
export type ReplyOutcome =
  | { outcome: 'sent'; attempts: number }
  | { outcome: 'refused'; attempts: number; status: number; reason: string }
  | { outcome: 'unknown'; attempts: number; reason: string };

const REPLY_TOKEN_FRESH_MS = 50_000;

/**
 * The only module that talks to LINE. Checks payload limits, sends one request at a time with a
 * real deadline (the request is aborted at its timeout), classifies LINE's answer. Retrying
 * pushes is the outbox's job (src/outbox); replies are retried here, see reply().
 */
export class LineGateway {
  private readonly client: messagingApi.MessagingApiClient;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly onFailure?: GatewayOptions['onFailure'];
  private readonly now: () => number;
  private readonly baseURL: string;
  private readonly token: string;
  /** Metrics hook: called once per LINE request with its endpoint and status (0: no answer). */
  onRequestDone?: (endpoint: LineEndpoint, status: number) => void;
  readonly limiter: RateLimiter;

  constructor(opts: GatewayOptions) {
    this.client = new messagingApi.MessagingApiClient({
      channelAccessToken: opts.channelAccessToken,
      baseURL: opts.baseURL,
    });
    this.log = opts.logger.child({ module: 'line-gateway' });
    this.timeoutMs = opts.timeoutMs;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.baseDelayMs = opts.baseDelayMs ?? 250;
    this.onFailure = opts.onFailure;
    this.now = opts.now ?? Date.now;
    this.baseURL = new URL(opts.baseURL).origin;
    this.token = opts.channelAccessToken;
    this.onRequestDone = opts.onRequestDone;
    this.limiter = opts.limiter ?? new RateLimiter();
  }

  /** This month's quota and consumption (GET /v2/bot/message/quota and …/consumption). */
  async quota(): Promise<QuotaStatus> {
    const [q, c] = await Promise.all([
      this.sdk('quota', () => this.client.getMessageQuota()),
      this.sdk('quota', () => this.client.getMessageQuotaConsumption()),
    ]);
    return { limit: q.type === 'limited' ? (q.value ?? 0) : null, used: c.totalUsage };
  }

  /** True while a reply token received at `receivedAt` (ms) can still be used. */
  isFresh(receivedAt?: number): boolean {
    return receivedAt === undefined || this.now() - receivedAt < REPLY_TOKEN_FRESH_MS;
  }

  /**
   * Replies with at most five messages. A reply takes no retry key, but its token is single-use:
   * after an attempt with no definite answer (timeout, dropped connection, 5xx) the same token is
   * tried again; if the first had landed LINE now refuses the token, which then means "unknown"
   * (never "push instead"). Only a refusal of a token never possibly used is `refused`.
   */
  async reply(replyToken: string, messages: readonly Message[], opts: { attempts?: number; userId?: string } = {}): Promise<ReplyOutcome> {
    assertMessagesWithinLimits(messages);
    const max = opts.attempts ?? 3;
    let uncertain = false;
    let lastReason = '';
    for (let attempt = 1; attempt <= max; attempt++) {
      const a = await this.attempt('reply', { replyToken, messages: [...messages] });
      if (a.outcome === 'sent') return { outcome: 'sent', attempts: attempt };
      if (a.outcome === 'refused') {
        if (uncertain) return { outcome: 'unknown', attempts: attempt, reason: `token refused after an unanswered attempt: ${a.reason}` };
        return { outcome: 'refused', attempts: attempt, status: a.status, reason: a.reason };
      }
      lastReason = a.reason;
      // A 429 rate limit means nothing was sent; anything else might have been.
      if (!(a.definite && a.status === 429)) uncertain = true;
      this.log.warn({ user: opts.userId ? userRef(opts.userId) : undefined, attempt, status: a.status, err: a.reason }, 'reply not confirmed, trying again');
      if (attempt < max) await sleep(Math.min(a.retryAfterMs ?? this.baseDelayMs * attempt, 2_000));
    }
    return uncertain
      ? { outcome: 'unknown', attempts: max, reason: lastReason }
      : { outcome: 'refused', attempts: max, status: 429, reason: lastReason };
  }

  /** One push request (at most five messages) with the given retry key; no retries here. */
  pushOnce(to: string, messages: readonly Message[], retryKey: string): Promise<Attempt> {
    assertMessagesWithinLimits(messages);
    return this.attempt('push', { to, messages: [...messages] }, retryKey);
  }

  /** One multicast request (at most 500 recipients) with the given retry key; no retries here. */
  multicastOnce(to: readonly string[], messages: readonly Message[], retryKey: string): Promise<Attempt> {
    assertMessagesWithinLimits(messages);
    if (to.length > LINE_LIMITS.multicastRecipients) throw new LineDeliveryError('rejected', `multicast to ${to.length} recipients (max ${LINE_LIMITS.multicastRecipients})`);
    return this.attempt('multicast', { to: [...to], messages: [...messages] }, retryKey);
  }

  /**
   * Pushes to one user now (any number of messages, in requests of five), retrying with one retry
   * key per request. For operators' tools and tests; the bot itself pushes through the outbox.
   */
  async push(userId: string, messages: readonly Message[], retryKeyBase?: string): Promise<void> {
    const chunks = chunk(messages, LINE_LIMITS.messagesPerRequest);
    chunks.forEach((c) => assertMessagesWithinLimits(c));
    for (const [i, c] of chunks.entries()) {
      const key = retryKeyBase ? deriveRetryKey(`${retryKeyBase}:${i}`) : randomUUID();
      try {
        await this.withRetry('push', () => this.pushOnce(userId, c, key));
      } catch (err) {
        const e = toDeliveryError(err);
        await this.reportFailure({ userKey: userRef(userId), kind: `push:${e.kind}`, status: e.status, reason: e.message, messageCount: c.length });
        throw e;
      }
    }
  }

  /**
   * Multicasts to many users in batches of 500, retrying now. Returns the recipients whose batch
   * failed; a quota-exhausted 429 stops the remaining batches. (Campaigns use the outbox.)
   */
  async multicast(userIds: readonly string[], messages: readonly Message[]): Promise<{ sent: string[]; failed: string[]; quotaExhausted: boolean }> {
    assertMessagesWithinLimits(messages);
    const sent: string[] = [];
    const failed: string[] = [];
    let quotaExhausted = false;
    for (const batch of chunk(userIds, LINE_LIMITS.multicastRecipients)) {
      if (quotaExhausted) {
        failed.push(...batch);
        continue;
      }
      const key = randomUUID();
      try {
        await this.withRetry('multicast', () => this.multicastOnce(batch, messages, key));
        sent.push(...batch);
      } catch (err) {
        failed.push(...batch);
        const e = toDeliveryError(err);
        if (e.kind === 'quota') quotaExhausted = true;
        await this.reportFailure({ kind: `multicast:${e.kind}`, status: e.status, reason: e.message, messageCount: messages.length * batch.length });
      }
    }
    return { sent, failed, quotaExhausted };
  }

  /** Best effort: the typing dots shown while a slow answer is prepared (one-on-one chats only). */
  async showLoading(userId: string, seconds = 10): Promise<void> {
    const loadingSeconds = Math.min(60, Math.max(5, Math.ceil(seconds / 5) * 5));
    try {
      await this.sdk('loading', () => this.client.showLoadingAnimation({ chatId: userId, loadingSeconds }));
    } catch (err) {
      this.log.debug({ err: describe(err) }, 'loading animation failed');
    }
  }

  /** The language set in the user's LINE app, when LINE tells us. */
  async getProfileLanguage(userId: string): Promise<string | undefined> {
    try {
      const p = await this.sdk('profile', () => this.client.getProfile(userId));
      return p.language;
    } catch (err) {
      this.log.debug({ err: describe(err) }, 'profile lookup failed');
      return undefined;
    }
  }

  /**
   * Every message request goes through here: one POST with a deadline that really aborts it
   * (AbortSignal), its answer classified. (Rate limiting, when added, waits here before sending.)
   */
  private async attempt(endpoint: 'reply' | 'push' | 'multicast', body: unknown, retryKey?: string): Promise<Attempt> {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
    if (retryKey) headers['x-line-retry-key'] = retryKey;
    let res: Response;
    let text = '';
    // Inside LINE's per-endpoint rate limit, shared with everything else this channel sends.
    await this.limiter.take(endpoint);
    try {
      res = await fetch(`${this.baseURL}/v2/bot/message/${endpoint}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      this.requestDone(endpoint, 0);
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return { outcome: 'retry', definite: false, reason: timedOut ? `${endpoint} timed out after ${this.timeoutMs} ms` : `${endpoint}: ${describe(err)}` };
    }
    this.requestDone(endpoint, res.status);
    if (res.ok) return { outcome: 'sent', status: res.status };
    if (res.status === 409 && retryKey) return { outcome: 'sent', status: 409 };
    const reason = `LINE answered ${res.status}: ${text.slice(0, 200)}`;
    if (res.status === 429) {
      if (/monthly limit/i.test(text)) return { outcome: 'refused', kind: 'quota', status: 429, reason: 'monthly message quota exhausted' };
      const wait = retryAfterMs(res.headers.get('retry-after'));
      // Nothing else goes to this endpoint until LINE's Retry-After has passed.
      this.limiter.blockFor(endpoint, wait ?? 1_000);
      return { outcome: 'retry', definite: true, status: 429, retryAfterMs: wait, reason: 'rate limited' };
    }
    if (res.status >= 500) return { outcome: 'retry', definite: true, status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')), reason };
    // 403 on a push: the user blocked the bot or is not a friend (LINE answers 400 for some of these).
    const kind = res.status === 403 || /not.*friend|blocked/i.test(text) ? 'blocked' : 'rejected';
    return { outcome: 'refused', kind, status: res.status, reason };
  }

  /** SDK calls (loading, profile): with the same deadline and the same metrics hook. */
  private async sdk<T>(endpoint: LineEndpoint, call: () => Promise<T>): Promise<T> {
    await this.limiter.take(endpoint);
    try {
      const v = await withTimeout(call(), this.timeoutMs, endpoint);
      this.requestDone(endpoint, 200);
      return v;
    } catch (err) {
      this.requestDone(endpoint, err instanceof HTTPFetchError ? err.status : 0);
      throw err;
    }
  }

  private requestDone(endpoint: LineEndpoint, status: number): void {
    try {
      this.onRequestDone?.(endpoint, status);
    } catch {
      // metrics must never break sending
    }
  }

  /** Retries on 5xx, timeouts and rate-limit 429 with exponential backoff (same request each time). */
  private async withRetry(what: string, call: () => Promise<Attempt>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const a = await call();
      if (a.outcome === 'sent') return;
      if (a.outcome === 'refused') throw new LineDeliveryError(a.kind === 'quota' ? 'quota' : 'rejected', a.reason, a.status);
      if (attempt >= this.maxAttempts) throw new LineDeliveryError('unavailable', a.reason, a.status);
      const delay = a.retryAfterMs ?? this.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      this.log.warn({ what, attempt, status: a.status, delayMs: Math.round(delay) }, 'LINE request failed, retrying');
      await sleep(delay);
    }
  }

  private async reportFailure(f: DeliveryFailure): Promise<void> {
    const level = f.kind.endsWith('quota') ? 'error' : 'warn';
    this.log[level]({ kind: f.kind, status: f.status, reason: f.reason, user: f.userKey }, 'LINE delivery failed');
    try {
      await this.onFailure?.(f);
    } catch (err) {
      this.log.error({ err: describe(err) }, 'could not record delivery failure');
    }
  }
}

/** A retry key (UUID-shaped, as LINE requires) derived from what caused the send: never random. */
export function deriveRetryKey(cause: string): string {
  const h = createHash('sha256').update(`otop-retry-key:${cause}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version nibble 5 (name-based, SHA), as in RFC 9562
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Retry-After in seconds or as an HTTP date, capped at 10 minutes. */
function retryAfterMs(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 600_000) : undefined;
}

/** Classifies an SDK/network error; reads the 429 body to tell rate limit from spent quota. */
export function toDeliveryError(err: unknown): LineDeliveryError {
  if (err instanceof LineDeliveryError) return err;
  if (err instanceof HTTPFetchError) {
    const body = String(err.body ?? '');
    if (err.status === 429) {
      return /monthly limit/i.test(body)
        ? new LineDeliveryError('quota', 'monthly message quota exhausted', 429)
        : new LineDeliveryError('unavailable', 'rate limited', 429);
    }
    if (err.status >= 500) return new LineDeliveryError('unavailable', `LINE answered ${err.status}`, err.status);
    return new LineDeliveryError('rejected', `LINE answered ${err.status}: ${body.slice(0, 200)}`, err.status);
  }
  if (err instanceof TimeoutError) return new LineDeliveryError('unavailable', err.message);
  return new LineDeliveryError('unavailable', describe(err));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
