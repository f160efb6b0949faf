import { randomUUID } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { sleep, TimeoutError, withTimeout } from '../core/async.js';
import { userRef, type Logger } from '../core/logger.js';
import { assertMessagesWithinLimits, LINE_LIMITS } from './limits.js';

export type Message = messagingApi.Message;

/** Why a message did not reach LINE. */
export type DeliveryFailureKind = 'quota' | 'rejected' | 'unavailable';

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
  /** Called once per LINE request when it ends (metrics): endpoint name and HTTP status or why none. */
  onRequest?: (endpoint: string, status: number | '2xx' | 'timeout' | 'network') => void;
  now?: () => number;
}

/** Where a conversation answer goes: the reply token while it is fresh, else a push. */
export interface ReplyTarget {
  userId: string;
  replyToken?: string;
  /** When the webhook carrying the token arrived (ms). Tokens are good for about a minute. */
  tokenReceivedAt?: number;
}

export interface SendResult {
  replied: number;
  pushed: number;
}

const REPLY_TOKEN_FRESH_MS = 50_000;

/**
 * The only module that talks to LINE. Checks payload limits, chooses reply or push, splits into
 * requests of at most five messages, retries push/multicast safely with a retry key.
 */
export class LineGateway {
  private readonly client: messagingApi.MessagingApiClient;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly onFailure?: GatewayOptions['onFailure'];
  private readonly onRequest?: GatewayOptions['onRequest'];
  private readonly now: () => number;

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
    this.onRequest = opts.onRequest;
    this.now = opts.now ?? Date.now;
  }

  /** Sends a conversation answer: first five by reply when the token is fresh, the rest by push. */
  async send(target: ReplyTarget, messages: readonly Message[]): Promise<SendResult> {
    if (messages.length === 0) return { replied: 0, pushed: 0 };
    const chunks = chunk(messages, LINE_LIMITS.messagesPerRequest);
    chunks.forEach((c) => assertMessagesWithinLimits(c));
    const result: SendResult = { replied: 0, pushed: 0 };
    let rest = chunks;
    if (target.replyToken && this.isFresh(target.tokenReceivedAt)) {
      const [first, ...others] = chunks;
      if (await this.tryReply(target, first!)) {
        result.replied = first!.length;
        rest = others;
      }
    }
    for (const c of rest) {
      await this.pushChecked(target.userId, c);
      result.pushed += c.length;
    }
    return result;
  }

  /** Pushes to one user (any number of messages, in requests of five). */
  async push(userId: string, messages: readonly Message[]): Promise<void> {
    const chunks = chunk(messages, LINE_LIMITS.messagesPerRequest);
    chunks.forEach((c) => assertMessagesWithinLimits(c));
    for (const c of chunks) await this.pushChecked(userId, c);
  }

  /**
   * Multicasts to many users in batches of 500. Returns the recipients whose batch failed so the
   * caller can record them; a quota-exhausted 429 stops the remaining batches.
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
      try {
        await this.withRetry('multicast', (key) =>
          this.client.multicast({ to: [...batch], messages: [...messages] }, key),
        );
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
      await this.timed('loading', () => this.client.showLoadingAnimation({ chatId: userId, loadingSeconds }), 'loading animation');
    } catch (err) {
      this.log.debug({ err: describe(err) }, 'loading animation failed');
    }
  }

  /** The language set in the user's LINE app, when LINE tells us. */
  async getProfileLanguage(userId: string): Promise<string | undefined> {
    try {
      const p = await this.timed('profile', () => this.client.getProfile(userId), 'get profile');
      return p.language;
    } catch (err) {
      this.log.debug({ err: describe(err) }, 'profile lookup failed');
      return undefined;
    }
  }

  private isFresh(receivedAt?: number): boolean {
    return receivedAt === undefined || this.now() - receivedAt < REPLY_TOKEN_FRESH_MS;
  }

  /** Reply once; on any failure the caller falls back to push (replies take no retry key). */
  private async tryReply(target: ReplyTarget, messages: Message[]): Promise<boolean> {
    try {
      await this.timed('reply', () => this.client.replyMessage({ replyToken: target.replyToken!, messages }), 'reply');
      return true;
    } catch (err) {
      const e = toDeliveryError(err);
      this.log.warn({ user: userRef(target.userId), status: e.status, err: e.message }, 'reply failed, pushing instead');
      return false;
    }
  }

  private async pushChecked(userId: string, messages: Message[]): Promise<void> {
    try {
      await this.withRetry('push', (key) => this.client.pushMessage({ to: userId, messages }, key));
    } catch (err) {
      const e = toDeliveryError(err);
      await this.reportFailure({ userKey: userRef(userId), kind: `push:${e.kind}`, status: e.status, reason: e.message, messageCount: messages.length });
      throw e;
    }
  }

  /**
   * Retries on 5xx, timeouts and rate-limit 429 with exponential backoff, re-sending the same body
   * with the same X-Line-Retry-Key; a 409 for that key means an earlier attempt was accepted.
   */
  private async withRetry(what: string, call: (retryKey: string) => Promise<unknown>): Promise<void> {
    const retryKey = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.timed(what, () => call(retryKey), what);
        return;
      } catch (err) {
        if (err instanceof HTTPFetchError && err.status === 409 && attempt > 1) return;
        const e = toDeliveryError(err);
        const retryable = e.kind === 'unavailable';
        if (!retryable || attempt >= this.maxAttempts) throw e;
        const delay = this.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
        this.log.warn({ what, attempt, status: e.status, delayMs: Math.round(delay) }, 'LINE request failed, retrying');
        await sleep(delay);
      }
    }
  }

  /** This month's message quota as LINE reports it (limit undefined: none set). */
  async messageQuota(): Promise<{ limit?: number; used: number }> {
    const [quota, used] = await Promise.all([
      this.timed('quota', () => this.client.getMessageQuota(), 'message quota'),
      this.timed('quota', () => this.client.getMessageQuotaConsumption(), 'message quota consumption'),
    ]);
    return { limit: quota.type === 'limited' ? quota.value : undefined, used: used.totalUsage };
  }

  /** Every LINE request goes through here: deadline, and one report of how it ended. */
  private async timed<T>(endpoint: string, call: () => Promise<T>, what: string): Promise<T> {
    try {
      const result = await withTimeout(call(), this.timeoutMs, what);
      this.onRequest?.(endpoint, '2xx'); // the SDK's plain calls do not expose the exact 2xx
      return result;
    } catch (err) {
      this.onRequest?.(endpoint, err instanceof HTTPFetchError ? err.status : err instanceof TimeoutError ? 'timeout' : 'network');
      throw err;
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
