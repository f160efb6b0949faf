import type { Translator } from '../../core/i18n.js';
import type { Outbox } from '../../outbox/outbox.js';
import type { SessionStore } from '../../sessions/session-store.js';
import { promotedMessage } from './cards.js';
import type { Promotion } from './training-service.js';

/**
 * "You got a seat", to whoever a cancellation (or an erasure) promoted from the waiting list.
 * Written to the outbox keyed by the promotion itself, so it survives LINE being down and a
 * retried cancellation never tells the person twice.
 */
export function promotionNotifier(deps: { outbox: Outbox; sessions: SessionStore; translator: Translator }) {
  return async (p: Promotion): Promise<void> => {
    const session = await deps.sessions.read(p.userId);
    if (!session.reachable) return;
    const t = (k: string, params?: Record<string, unknown>) => deps.translator.t(session.lang, k, params);
    const key = `${p.trainingId}:${p.signupId}:${p.promotedAt.getTime()}`;
    await deps.outbox.enqueue([
      {
        _id: `promo:${key}`,
        kind: 'push',
        to: [p.userId],
        messages: [promotedMessage(p, { lang: session.lang, t })],
        cause: { type: 'promotion', id: key },
      },
    ]);
  };
}
