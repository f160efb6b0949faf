import { userRef } from '../core/logger.js';
import type { EventContext, EventHandler, Handled } from '../inbox/processor.js';
import { answerRecord, deliverAnswer } from '../outbox/answer.js';
import { BotContext, compose, type BotServices, type Middleware } from './context.js';

/** After this long without an answer, show LINE's loading animation. */
const LOADING_AFTER_MS = 800;

/**
 * The event pipeline: session (claimed by the processor) → middleware (features, in order) →
 * the processor saves the session with the event recorded as applied → the answer is sent.
 * Saving before sending means a crash can lose an answer's send but never apply an event twice.
 */
export function createEventHandler(services: BotServices, middleware: readonly Middleware[]): EventHandler {
  const run = compose(middleware);
  return async (event, meta: EventContext): Promise<Handled> => {
    const source = event.source;
    // One-on-one chats only: group and room events are recorded and left alone.
    if (!source || source.type !== 'user' || typeof source.userId !== 'string' || !source.userId) return { outcome: 'ignored' };
    const userId = source.userId;
    const session = meta.session;
    const ctx = new BotContext(event, userId, session, services, meta.receivedAt, meta.eventId);

    const loading = setTimeout(() => void services.gateway.showLoading(userId, 10), LOADING_AFTER_MS);
    try {
      await run(ctx, async () => undefined);
    } finally {
      clearTimeout(loading);
    }
    if (!ctx.handled) return { outcome: 'ignored' };

    session.lastEventAt = services.now();
    if (ctx.outbox.length === 0) return { outcome: 'done' };
    const replyToken = 'replyToken' in event && typeof event.replyToken === 'string' ? event.replyToken : undefined;
    const target = { userId, eventId: meta.eventId, replyToken, tokenReceivedAt: meta.receivedAt.getTime() };
    // Saved with the session before it is sent: a process that takes the user over after a crash
    // finds it and delivers it once (src/outbox/answer.ts).
    const answer = answerRecord(services.gateway, target, ctx.outbox);
    return {
      outcome: 'done',
      answer,
      afterCommit: async (ctl) => {
        try {
          await deliverAnswer(services, target, ctx.outbox, { mode: answer.mode, holding: () => ctl.holding() });
        } catch (err) {
          // Progress is saved; what reached the outbox is delivered by the drainer. Must not replay the event.
          services.logger.warn({ user: userRef(userId), err: (err as Error).message }, 'answer not recorded for delivery');
        }
      },
    };
  };
}
