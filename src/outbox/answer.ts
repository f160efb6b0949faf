import type { Logger } from '../core/logger.js';
import { userRef } from '../core/logger.js';
import type { LineGateway, Message } from '../line/gateway.js';
import { assertMessagesWithinLimits, LINE_LIMITS } from '../line/limits.js';
import type { OutboxDrainer } from './drainer.js';
import { pushItems, type Outbox } from './outbox.js';

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
export async function deliverAnswer(deps: AnswerDeps, target: AnswerTarget, messages: readonly Message[]): Promise<AnswerResult> {
  if (messages.length === 0) return { reply: 'none', pushed: 0 };
  const size = LINE_LIMITS.messagesPerRequest;
  for (let i = 0; i < messages.length; i += size) assertMessagesWithinLimits(messages.slice(i, i + size));
  const cause = { type: 'event', id: target.eventId };
  const key = `evt:${target.eventId}`;
  let reply: AnswerResult['reply'] = 'none';
  let from = 0;
  if (target.replyToken && deps.gateway.isFresh(target.tokenReceivedAt)) {
    const first = messages.slice(0, size);
    const r = await deps.gateway.reply(target.replyToken, first, { userId: target.userId });
    reply = r.outcome;
    if (r.outcome !== 'refused') from = 1;
    if (r.outcome === 'unknown') {
      deps.logger.warn({ user: userRef(target.userId), event: target.eventId, reason: r.reason }, 'reply outcome unknown; recorded, not repeated');
      await deps.outbox.recordUnknown({ _id: `${key}:reply`, kind: 'push', to: [target.userId], messages: [...first], cause }, r.reason);
    }
  }
  const items = pushItems(key, target.userId, messages.slice(from * size), cause, from);
  if (items.length === 0) return { reply, pushed: 0 };
  const docs = await deps.outbox.enqueueClaimed(items, deps.drainer.claimDurationMs);
  await deps.drainer.sendNow(docs);
  return { reply, pushed: items.reduce((n, it) => n + it.messages.length, 0) };
}
