import type { Middleware, BotContext } from '../../bot/context.js';
import type { FlowAction } from '../../flows/registry.js';
import type { SessionStore } from '../../sessions/session-store.js';
import type { ProducerStore } from '../producers/producer-store.js';
import {
  cancelResultMessage,
  confirmCancelMessage,
  confirmPickMessage,
  mySignupsCarousel,
  parseTrainingData,
  signUpResultMessage,
  trainingCarousel,
  trainingData,
  type CardContext,
} from './cards.js';
import type { Promotion, TrainingService } from './training-service.js';

export interface TrainingDeps {
  trainings: TrainingService;
  producers: ProducerStore;
  sessions: SessionStore;
  /**
   * Tells a person promoted from the waiting list (through the outbox, see promotion-notice.ts).
   * The service tells them itself (its `notify` option); kept for callers that want to know.
   */
  notifyPromoted?: (p: Promotion) => Promise<void>;
}

const cardContext = (ctx: BotContext): CardContext => ({ lang: ctx.lang, t: (k, p) => ctx.t(k, p) });

async function showList(ctx: BotContext, deps: TrainingDeps): Promise<number> {
  const now = ctx.services.now();
  const producer = await deps.producers.get(ctx.userId);
  const list = await deps.trainings.listUpcoming({ provinceCode: producer?.address.province.code, now, limit: 10 });
  const mine = await deps.trainings.mySignups(ctx.userId, now);
  const myStatus = Object.fromEntries(
    mine.filter((s) => !s.isPast).map((s) => [s.training.id, s.status]),
  );
  ctx.reply(trainingCarousel(list, { ...cardContext(ctx), myStatus, choices: [{ label: ctx.t('training:button.mine'), data: trainingData('mine') }] }));
  return list.length;
}

async function showMine(ctx: BotContext, deps: TrainingDeps): Promise<void> {
  const mine = await deps.trainings.mySignups(ctx.userId, ctx.services.now());
  ctx.reply(mySignupsCarousel(mine, { ...cardContext(ctx), choices: [{ label: ctx.t('training:button.list'), data: trainingData('list') }] }));
}

/**
 * Buttons on training cards (cmd=training&op=…). Each carries the training id, so a card tapped
 * days later, or twice, is answered from the training's state now (already signed up, full,
 * deadline passed) rather than from the conversation's position.
 */
export function trainingButtons(deps: TrainingDeps): Middleware {
  return async (ctx, next) => {
    const parsed = ctx.postback ? parseTrainingData(ctx.postback.data) : undefined;
    if (!parsed) return next();
    const now = ctx.services.now();
    const cc = cardContext(ctx);
    const id = parsed.id ?? '';
    switch (parsed.op) {
      case 'list':
        await showList(ctx, deps);
        return;
      case 'mine':
        await showMine(ctx, deps);
        return;
      case 'pick': {
        const tr = await deps.trainings.get(id);
        ctx.reply(tr ? confirmPickMessage(tr, cc) : signUpResultMessage({ kind: 'not_found' }, cc));
        return;
      }
      case 'join':
      case 'wait': {
        const producer = await deps.producers.get(ctx.userId);
        // Keyed by the event: a retried event (a crash after the seat was taken) takes no second seat.
        const result = await deps.trainings.signUp(
          { trainingId: id, userId: ctx.userId, producerId: producer ? ctx.userId : undefined, now, key: `evt:${ctx.eventId}` },
          { waitIfFull: parsed.op === 'wait' },
        );
        ctx.reply(signUpResultMessage(result, cc));
        return;
      }
      case 'cancel': {
        const tr = await deps.trainings.get(id);
        ctx.reply(tr ? confirmCancelMessage(tr, cc) : signUpResultMessage({ kind: 'not_found' }, cc));
        return;
      }
      case 'cancel_yes': {
        // The promoted person is told by the service (outbox, keyed by the promotion).
        const result = await deps.trainings.cancel({ trainingId: id, userId: ctx.userId, now, key: `evt:${ctx.eventId}` });
        ctx.reply(cancelResultMessage(result, cc));
        return;
      }
    }
  };
}

/** Flow actions: the training journeys' entry points (flows/training.yaml, flows/my-trainings.yaml). */
export function trainingActions(deps: TrainingDeps): Record<string, FlowAction> {
  return {
    'training.list': async ({ ctx }) => ({ outcome: (await showList(ctx, deps)) > 0 ? 'shown' : 'none' }),
    'training.mine': async ({ ctx }) => {
      await showMine(ctx, deps);
      return { outcome: 'shown' };
    },
  };
}

/**
 * "Delete my data": withdraw from trainings (freeing seats for the next in line, who are told by
 * the service through the outbox) and forget sign-ups, all keyed by the erasure's cause.
 */
export function trainingEraser(deps: TrainingDeps) {
  return async (userId: string, now: Date, cause: string): Promise<string | undefined> => {
    const removed = await deps.trainings.withdrawAll(userId, cause, now);
    return removed > 0 ? 'training_signups' : undefined;
  };
}
