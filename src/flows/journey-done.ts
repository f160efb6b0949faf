import type { BotContext } from '../bot/context.js';

/**
 * Journeys a user has completed, kept in the session for the menu's wording ("edit my
 * registration" once registered). Set by the feature that knows (registration save, erasure).
 */
export function markJourneyDone(ctx: BotContext, flowId: string, done: boolean): void {
  const map = { ...((ctx.session.data.journeysDone as Record<string, boolean> | undefined) ?? {}) };
  if (done) map[flowId] = true;
  else delete map[flowId];
  ctx.session.data.journeysDone = map;
}

export function isJourneyDone(ctx: BotContext, flowId: string): boolean {
  return Boolean((ctx.session.data.journeysDone as Record<string, boolean> | undefined)?.[flowId]);
}
