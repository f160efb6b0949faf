import type { Logger } from '../core/logger.js';
import { userRef } from '../core/logger.js';
import { sleep } from '../core/async.js';
import { deriveRetryKey, type LineGateway, type Message } from '../line/gateway.js';
import { assertMessagesWithinLimits, LINE_LIMITS } from '../line/limits.js';
import type { OutboxDrainer } from './drainer.js';
import { pushItems, type Outbox } from './outbox.js';
import type { RecordedAnswer } from '../sessions/session-store.js';

export interface AnswerDeps {
  gateway: LineGateway;
  outbox: Outbox;
  drainer: OutboxDrainer;
  logger: Logger;
}

export interface AnswerTarget {
  userId: string;
  /** The webhook event answered: every push of the answer is keyed by it. */
  eventId: string;
  replyToken?: string;
  /** When the webhook carrying the token arrived (ms). */
  tokenReceivedAt?: number;
}

export interface AnswerResult {
  reply: 'sent' | 'refused' | 'unknown' | 'none';
  /** Messages handed to the outbox (sent at once when LINE allows, else later by the drainer). */
  pushed: number;
}

/**
 * Sends a conversation answer: the first five messages by reply while the token is fresh, the
 * rest (or all of them, once LINE has definitely refused the token) through the outbox, keyed
 * "evt:<eventId>:push:<i>". A reply whose outcome is unknown is recorded and not pushed again.
 */
export async function deliverAnswer(deps: AnswerDeps, target: AnswerTarget, messages: readonly Message[], opts: DeliverOptions = {}): Promise<AnswerResult> {
  if (messages.length === 0) return { reply: 'none', pushed: 0 };
  const size = LINE_LIMITS.messagesPerRequest;
  for (let i = 0; i < messages.length; i += size) assertMessagesWithinLimits(messages.slice(i, i + size));
  const cause = { type: 'event', id: target.eventId };
  const key = `evt:${target.eventId}`;
  let reply: AnswerResult['reply'] = 'none';
  let from = 0;
  const replying = opts.mode ? opts.mode === 'reply' && Boolean(target.replyToken) : Boolean(target.replyToken && deps.gateway.isFresh(target.tokenReceivedAt));
  if (replying && target.replyToken) {
    const first = messages.slice(0, size);
    const r = await deps.gateway.reply(target.replyToken, first, { userId: target.userId, ...(opts.replyAttempts ? { attempts: opts.replyAttempts } : {}) });
    reply = r.outcome;
    if (r.outcome !== 'refused') from = 1;
    // Pushing instead is safe only while nobody else can have used the token: this process still
    // holds the user (a process that took the user over re-sends with the same token instead).
    if (r.outcome === 'refused' && opts.holding && !(await opts.holding())) {
      deps.logger.warn({ user: userRef(target.userId), event: target.eventId, reason: r.reason }, 'reply refused after the user was taken over; not pushed');
      reply = 'unknown';
      from = 1;
    }
    if (reply === 'unknown') {
      const reason = r.outcome === 'sent' ? '' : r.reason;
      deps.logger.warn({ user: userRef(target.userId), event: target.eventId, reason }, 'reply outcome unknown; recorded, not repeated');
      await deps.outbox.recordUnknown({ _id: `${key}:reply`, kind: 'push', to: [target.userId], messages: [...first], cause }, reason).catch((err: unknown) => {
        deps.logger.warn({ event: target.eventId, err: (err as Error).message }, 'unknown reply outcome not recorded');
      });
    }
  }
  const items = pushItems(key, target.userId, messages.slice(from * size), cause, from);
  if (items.length === 0) return { reply, pushed: 0 };
  let docs;
  try {
    docs = await deps.outbox.enqueueClaimed(items, deps.drainer.claimDurationMs);
  } catch (err) {
    // The session is saved but the outbox cannot be written (the database went away just now):
    // push directly with the retry keys the outbox would use, so that if the items did get
    // recorded, the drainer's later send of them is answered 409 instead of arriving twice.
    deps.logger.warn({ user: userRef(target.userId), event: target.eventId, err: (err as Error).message }, 'outbox not written; pushing directly');
    for (const it of items) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const a = await deps.gateway.pushOnce(target.userId, it.messages, deriveRetryKey(it._id));
        if (a.outcome !== 'retry') break;
        await sleep(a.retryAfterMs ?? 200 * attempt);
      }
    }
    return { reply, pushed: items.reduce((n, it) => n + it.messages.length, 0) };
  }
  await deps.drainer.sendNow(docs);
  return { reply, pushed: items.reduce((n, it) => n + it.messages.length, 0) };
}

export interface DeliverOptions {
  /** As recorded with the answer (reply while the token was fresh when it was saved, else push). */
  mode?: 'reply' | 'push';
  /** True while this process still holds the user's lease (asked before pushing instead of a refused reply). */
  holding?: () => Promise<boolean>;
  /** Reply attempts (LINE answering 5xx or 429 took nothing: trying again cannot double it). */
  replyAttempts?: number;
}

/** The answer to record with the session before it is sent: how it will be sent, and what. */
export function answerRecord(gateway: LineGateway, target: AnswerTarget, messages: readonly Message[]): RecordedAnswer {
  const fresh = Boolean(target.replyToken) && gateway.isFresh(target.tokenReceivedAt);
  return {
    event: target.eventId,
    mode: fresh ? 'reply' : 'push',
    ...(fresh ? { token: target.replyToken, tokenReceivedAt: target.tokenReceivedAt } : {}),
    messages: JSON.stringify(messages),
  };
}

/**
 * Delivers an answer found saved but not confirmed sent, by whoever holds the user now. A push
 * answer goes (again) to the outbox under its derived ids: an item already there stays as it is.
 * A reply answer is replied again with the same token while it is fresh: LINE takes a token once,
 * so if the first sender's reply landed this one is refused (400) and nothing doubles; a refusal
 * is then recorded as unknown, never pushed. Unless the first sender had already fallen back to
 * pushing (its outbox item exists): then the drainer delivers that.
 */
export async function redeliverAnswer(deps: AnswerDeps, userId: string, answer: RecordedAnswer): Promise<AnswerResult> {
  const messages = JSON.parse(answer.messages) as Message[];
  const target: AnswerTarget = { userId, eventId: answer.event, ...(answer.token ? { replyToken: answer.token } : {}), ...(answer.tokenReceivedAt ? { tokenReceivedAt: answer.tokenReceivedAt } : {}) };
  if (answer.mode === 'push' || !answer.token) return deliverAnswer(deps, target, messages, { mode: 'push' });
  if ((await deps.outbox.get([`evt:${answer.event}:push:0`])).length > 0) return { reply: 'refused', pushed: 0 };
  if (!deps.gateway.isFresh(answer.tokenReceivedAt)) {
    // Too late to reply, and the first sender may have: recorded, not repeated.
    await deps.outbox.recordUnknown({ _id: `evt:${answer.event}:reply`, kind: 'push', to: [userId], messages: messages.slice(0, LINE_LIMITS.messagesPerRequest), cause: { type: 'event', id: answer.event } }, 'reply token stale when the answer was found unconfirmed');
    return { reply: 'unknown', pushed: 0 };
  }
  // holding() false: a refused token means the first sender's reply landed; never push instead.
  // More attempts than a first send: it cannot fall back to pushing, and while LINE answers 5xx
  // or 429 nothing is sent, so only a 200 or a refused (used) token ends it.
  return deliverAnswer(deps, target, messages, { mode: 'reply', holding: async () => false, replyAttempts: 8 });
}
