import { resolveLang } from '../core/i18n.js';
import type { BotContext, Middleware } from './context.js';
import type { Choice } from './messages.js';

/** The journeys offered from the main menu (built from the loaded flows). */
export type MenuProvider = (ctx: BotContext) => Choice[];

/**
 * follow: greet in the user's LINE language (Thai unless we have theirs) with the journeys.
 * unfollow: mark unreachable so nothing is pushed to them (no reply is possible).
 */
export function lifecycle(menu: MenuProvider): Middleware {
  return async (ctx, next) => {
    const { event, session } = ctx;
    if (event.type === 'follow') {
      session.reachable = true;
      session.followedAt = ctx.services.now();
      if (!session.langChosen) {
        session.lang = resolveLang(await ctx.services.gateway.getProfileLanguage(ctx.userId));
      }
      ctx.say(ctx.t('common:welcome'));
      ctx.say(ctx.t('common:menu.prompt'), menu(ctx));
      return;
    }
    if (event.type === 'unfollow') {
      session.reachable = false;
      session.unfollowedAt = ctx.services.now();
      ctx.handled = true;
      return;
    }
    await next();
  };
}

/** Last in the chain: a message or tap nothing else understood gets short help and the menu. */
export function fallbackHelp(menu: MenuProvider): Middleware {
  return async (ctx, next) => {
    const { event } = ctx;
    if (event.type === 'message' || event.type === 'postback') {
      // A postback nobody claimed comes from a button this bot no longer offers.
      ctx.say(ctx.t(event.type === 'postback' ? 'common:stalePostback' : 'common:help.text'), menu(ctx));
      return;
    }
    await next();
  };
}

/** What a short message is when it is not a request: a greeting, a thank-you, or neither. */
export type SmallTalk = (text: string) => 'greeting' | 'thanks' | undefined;

/**
 * "สวัสดีค่ะ", "ขอบคุณค่ะ" outside a journey: answered kindly with the menu, not with
 * "I don't understand" (inside a journey the flow engine answers and repeats its question).
 */
export function smallTalk(menu: MenuProvider, kind: SmallTalk): Middleware {
  return async (ctx, next) => {
    const typed = ctx.text;
    const k = typed === undefined ? undefined : kind(typed);
    if (!k) return next();
    ctx.say(ctx.t(k === 'greeting' ? 'common:talk.greeting' : 'common:talk.thanks'), menu(ctx));
  };
}
