import { userRef } from '../core/logger.js';
import { deliverAnswer } from '../outbox/answer.js';
import type { EventContext, EventHandler, HandleOutcome } from '../inbox/processor.js';
import { BotContext, compose, type BotServices, type Middleware } from './context.js';

/** After this long without an answer, show LINE's loading animation. */
const LOADING_AFTER_MS = 800;

/**
 * The event pipeline: load session → middleware (features, in order) → save session → send.
 * The session is saved before sending so a crash can repeat a message but never lose progress.
 */
export function createEventHandler(services: BotServices, middleware: readonly Middleware[]): EventHandler {
  const run = compose(middleware);
  return async (event, meta: EventContext): Promise<HandleOutcome> => {
    const source = event.source;
    // One-on-one chats only: group and room events are recorded and left alone.
    if (!source || source.type !== 'user' || !source.userId) return 'ignored';
    const userId = source.userId;
    const session = await services.sessions.read(userId, services.now());
    const ctx = new BotContext(event, userId, session, services, meta.receivedAt);

    const loading = setTimeout(() => void services.gateway.showLoading(userId, 10), LOADING_AFTER_MS);
    try {
      await run(ctx, async () => undefined);
    } finally {
      clearTimeout(loading);
    }
    if (!ctx.handled) return 'ignored';

    session.lastEventAt = services.now();
    await services.sessions.write(session, services.now());
    if (ctx.outbox.length > 0) {
      const replyToken = 'replyToken' in event ? (event.replyToken as string | undefined) : undefined;
      try {
        await deliverAnswer(
          services,
          { userId, eventId: meta.eventId, replyToken, tokenReceivedAt: meta.receivedAt.getTime() },
          ctx.outbox,
        );
      } catch (err) {
        // Progress is saved; what reached the outbox is delivered by the drainer. Must not replay the event.
        services.logger.warn({ user: userRef(userId), err: (err as Error).message }, 'answer not recorded for delivery');
      }
    }
    return 'done';
  };
}
