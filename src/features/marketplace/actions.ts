import type { BotContext } from '../../bot/context.js';
import type { ShopRef } from '../../domain/validation/basic.js';
import type { JourneyProgress, ProgressStore } from '../../flows/progress.js';
import type { FlowAction } from '../../flows/registry.js';
import type { FlowDef } from '../../flows/schema.js';
import type { ProducerStore } from '../producers/producer-store.js';

export interface MarketplaceDeps {
  producers: ProducerStore;
  progress: ProgressStore;
}

/** The marketplaces these checklists onboard to; the key under `producer.marketplace`. */
export type Platform = 'tiktok' | 'lazada';
const PLATFORMS: readonly Platform[] = ['tiktok', 'lazada'];

/**
 * The locale namespace of a journey: the namespace of its title (`tiktok:title` → `tiktok`).
 * The actions read their texts there: `overview.title`, `overview.waitingHelp`, `overview.next`
 * ({done, total, step}), `overview.allDone` ({total}), `finish.saved` ({shop}),
 * `finish.wrongPlatform`.
 */
const ns = (flow: FlowDef): string => flow.title.split(':')[0]!;

/** The checklist of a journey: its task steps in file order, with the card title key. */
export function checklist(flow: FlowDef): { id: string; title: string }[] {
  return Object.entries(flow.steps).flatMap(([id, step]) => (step.type === 'task' ? [{ id, title: step.card.title }] : []));
}

/** The first checklist step not done yet (undefined when every step is done). */
export function firstNotDone(flow: FlowDef, progress: JourneyProgress): string | undefined {
  return checklist(flow).find((s) => progress.steps[s.id]?.status !== 'done')?.id;
}

/**
 * "Where am I": every step with ✅ (done), 👉 (the next one) or ⬜, a note on steps waiting for an
 * officer, and how many are done.
 */
export function overviewText(ctx: BotContext, flow: FlowDef, progress: JourneyProgress): string {
  const n = ns(flow);
  const tasks = checklist(flow);
  const next = firstNotDone(flow, progress);
  const done = tasks.filter((s) => progress.steps[s.id]?.status === 'done').length;
  const lines = tasks.map((s) => {
    const status = progress.steps[s.id]?.status;
    const icon = status === 'done' ? '✅' : s.id === next ? '👉' : '⬜';
    const note = status === 'help' ? ` ${ctx.t(`${n}:overview.waitingHelp`)}` : '';
    return `${icon} ${ctx.t(s.title)}${note}`;
  });
  const nextTitle = tasks.find((s) => s.id === next)?.title;
  const footer = nextTitle
    ? ctx.t(`${n}:overview.next`, { done, total: tasks.length, step: ctx.t(nextTitle) })
    : ctx.t(`${n}:overview.allDone`, { total: tasks.length });
  return [ctx.t(`${n}:overview.title`), '', ...lines, '', footer].join('\n');
}

/** How a shop reads back to the producer: its name or its link. */
export function shopLabel(shop: ShopRef): string {
  return shop.kind === 'name' ? shop.name : shop.url;
}

/** A Lazada link in the TikTok journey (or the other way round): says so and forgets the answer. */
function wrongShop(ctx: BotContext, flow: FlowDef, answers: Record<string, unknown>, platform: Platform): boolean {
  const shop = answers.shop as ShopRef | undefined;
  if (!shop || shop.kind === 'name' || shop.kind === platform) return false;
  delete answers.shop;
  ctx.say(ctx.t(`${ns(flow)}:finish.wrongPlatform`));
  return true;
}

function platformOf(params: Record<string, unknown>): Platform {
  const p = params.platform;
  if (!PLATFORMS.includes(p as Platform)) throw new Error(`marketplace action: params.platform must be one of ${PLATFORMS.join(', ')}`);
  return p as Platform;
}

/**
 * Actions of the marketplace checklists (flows/tiktok-shop.yaml, flows/lazada.yaml):
 * - `marketplace.start` (first step; params.platform): loads the producer's type and category into
 *   the answers (for cards that differ by producer type) and reads the saved progress. Outcomes:
 *   `fresh` (nothing recorded yet), `continue` (some steps answered: the overview is shown and the
 *   engine continues at the first step not done), `completed` (finished before; `shopOnFile` holds
 *   the shop on the profile, when known).
 * - `marketplace.resume` (the flow's onResume): the overview, when some steps are done.
 * - `marketplace.checkShop` (params.platform): a link to the other marketplace is refused
 *   (outcome `retry`: the flow asks again); otherwise the flow goes on.
 * - `marketplace.complete` (params.platform): records the journey as complete with the shop (and
 *   the Lazada answers: trademark, Alibaba interest); registered producers also get it on their
 *   profile. Outcomes: `retry` (a link to the other marketplace), `registered`, `unregistered`.
 */
export function marketplaceActions(deps: MarketplaceDeps): Record<string, FlowAction> {
  const { producers, progress } = deps;
  return {
    'marketplace.start': async ({ ctx, flow, state, params }) => {
      const platform = platformOf(params);
      const producer = await producers.get(ctx.userId);
      state.answers.registered = Boolean(producer);
      if (producer) {
        state.answers.producerType = producer.producerType;
        state.answers.category = producer.category;
      }
      const saved = await progress.get(ctx.userId, flow.id);
      if (saved.completedAt) {
        const onFile = (producer?.marketplace?.[platform] as { shop?: ShopRef } | undefined)?.shop;
        if (onFile) state.answers.shopOnFile = shopLabel(onFile);
        return { outcome: 'completed' };
      }
      if (Object.keys(saved.steps).length === 0) return { outcome: 'fresh' };
      ctx.say(overviewText(ctx, flow, saved));
      return { outcome: 'continue' };
    },

    'marketplace.resume': async ({ ctx, flow }) => {
      const saved = await progress.get(ctx.userId, flow.id);
      const anyDone = Object.values(saved.steps).some((s) => s.status === 'done');
      if (!saved.completedAt && anyDone) ctx.say(overviewText(ctx, flow, saved));
    },

    'marketplace.checkShop': ({ ctx, flow, answers, params }) => (wrongShop(ctx, flow, answers, platformOf(params)) ? { outcome: 'retry' } : undefined),

    'marketplace.complete': async ({ ctx, flow, answers, params }) => {
      const platform = platformOf(params);
      const shop = answers.shop as ShopRef | undefined;
      if (!shop || wrongShop(ctx, flow, answers, platform)) return { outcome: 'retry' };
      const now = ctx.services.now();
      const producer = await producers.get(ctx.userId);
      const result: Record<string, unknown> = { platform, shop };
      if (typeof answers.trademark === 'string') result.trademark = answers.trademark;
      if (typeof answers.alibabaInterest === 'boolean') {
        const interest = { interested: answers.alibabaInterest, at: now };
        // Kept with the journey in any case; on the profile too when the producer is registered.
        result.alibabaInterest = interest;
        if (producer) await producers.setMarketplace(ctx.userId, 'alibabaInterest', interest, now);
      }
      await progress.complete(ctx.userId, flow.id, now, result);
      if (producer) await producers.setMarketplace(ctx.userId, platform, { shop, status: 'submitted', submittedAt: now }, now);
      ctx.say(ctx.t(`${ns(flow)}:finish.saved`, { shop: shopLabel(shop) }));
      return { outcome: producer ? 'registered' : 'unregistered' };
    },
  };
}
