import type { Models } from '../../core/db/models.js';
import type { BotContext } from '../../bot/context.js';
import { encodeData, type Choice } from '../../bot/messages.js';
import type { FlowState } from '../../sessions/session-store.js';
import type { FlowDef } from '../../flows/schema.js';
import type { ProducerStore } from '../producers/producer-store.js';

const REPEAT_WINDOW_MS = 24 * 3_600_000;

/** Who a new help request went to (src/features/officers/routing.ts), for telling the producer. */
export type HelpRouter = (helpRequestId: string, userId: string, now: Date) => Promise<{ officer: string; area: string } | null>;

/**
 * "Talk to an officer" (anywhere) and "need help" (a checklist step): record a help request for
 * the officers of the producer's province and tell the user what happens next. One open request
 * per user a day is enough; asking again says it is already on its way.
 */
export function officerHandler(models: Models, producers: ProducerStore, route?: HelpRouter) {
  return async (ctx: BotContext, state: FlowState | null, flow: FlowDef | undefined): Promise<void> => {
    const now = ctx.services.now();
    const producer = await producers.get(ctx.userId);
    const reason = flow?.progress && state && flow.steps[state.step]?.type === 'task' ? 'task_help' : 'officer';
    const recent = await models.HelpRequest.findOne({
      userId: ctx.userId,
      status: 'open',
      createdAt: { $gt: new Date(now.getTime() - REPEAT_WINDOW_MS) },
      ...(state ? { flowId: state.id, step: state.step } : {}),
    }).lean();

    const next: Choice[] = [];
    if (state) next.push({ label: ctx.t('common:nav.continue'), data: encodeData({ cmd: 'continue' }) });
    next.push({ label: ctx.t('common:nav.menu'), data: encodeData({ cmd: 'menu' }) });

    if (!producer) {
      // No phone number on file: an officer cannot call back, so point to the office and registration.
      ctx.say(ctx.t('common:officer.unregistered'), [
        { label: ctx.t('common:officer.register'), data: encodeData({ cmd: 'start', flow: 'registration' }) },
        ...next,
      ]);
      return;
    }
    if (recent) {
      ctx.say(ctx.t('common:officer.alreadyRequested'), next);
      return;
    }
    const created = await models.HelpRequest.create({
      userId: ctx.userId,
      provinceCode: producer.address.province.code,
      districtCode: producer.address.district.code,
      flowId: state?.id,
      step: state?.step,
      reason,
      status: 'open',
      createdAt: now,
    });
    const routed = route ? await route(String(created._id), ctx.userId, now) : null;
    if (routed) {
      ctx.say(ctx.t('officers:routed', routed), next);
      return;
    }
    const province = ctx.lang === 'en' ? producer.address.province.nameEn : producer.address.province.nameTh;
    ctx.say(ctx.t(reason === 'task_help' ? 'common:officer.taskHelp' : 'common:officer.requested', { province }), next);
  };
}
