import type { Models } from '../../core/db/models.js';
import type { Logger } from '../../core/logger.js';
import type { RichMenuApi } from '../../line/rich-menu-api.js';
import { officerMenuId } from '../richmenu/sync.js';
import type { Lang, Translator } from '../../core/i18n.js';
import { compactForMatch } from '../../core/text/normalize.js';
import type { BotContext, Middleware } from '../../bot/context.js';
import { decodeData, encodeData, text, type Choice, type Message } from '../../bot/messages.js';
import { HelpRequests } from './help-requests.js';
import { helpRequestCards } from './line-cards.js';
import type { Journey } from './journeys.js';
import type { Pusher } from './notify.js';
import { scopeOf, SIGNIN_TTL_MS, type Officer, type OfficerService } from './officer-service.js';
import { isPreset, REMINDER_PRESETS, type OfficerReminders } from './reminders.js';
import { randomSecret } from './secrets.js';
import { ScopeError, type Scope } from './scope.js';
import { areaStats } from './stats.js';

export interface OfficerLineDeps {
  models: Models;
  officers: OfficerService;
  translator: Translator;
  journeys: readonly Journey[];
  pusher: Pusher;
  /** Origin the dashboard is served from (sign-in links). */
  publicBaseUrl: string;
  reminders: OfficerReminders;
  /** To give a newly linked officer the officer rich menu (when the menus have been synced). */
  richMenus?: RichMenuApi;
  logger?: Logger;
}

/** A reminder shown with its count, waiting for "confirm": only this button (nonce) sends it. */
interface PendingReminder {
  nonce: string;
  preset: string;
  district?: string;
  at: string;
}
const REMIND_KEY = 'officerRemind';
const REMIND_WINDOW_MS = 15 * 60_000;

/** Session scratch while an officer types a reply to a producer. */
interface ReplyDraft {
  helpRequestId: string;
  at: string;
}
const REPLY_KEY = 'officerReply';
const REPLY_WINDOW_MS = 30 * 60_000;

export function area(o: Officer, lang: Lang): string {
  return (lang === 'en' ? o.areaEn : o.areaTh) ?? '';
}

/**
 * The officer side of the bot in LINE: linking an account with an invite code, the officer menu
 * (statistics of the area, open help requests with call / reply / handled, dashboard link) and
 * answering a producer in LINE. Every action looks the officer up again (a suspended officer is
 * refused at once) and goes through the scope (src/features/officers/scope.ts).
 * Postbacks are `cmd=ofc&a=<action>`; anything else passes on to the producer side.
 */
export function officerLine(deps: OfficerLineDeps): Middleware {
  const help = new HelpRequests(deps.models, deps.officers);
  const menuWords = (lang: Lang) => deps.translator.t(lang, 'officers:words.menu').split('|').map(compactForMatch);

  return async (ctx, next) => {
    const now = ctx.services.now();
    const typed = ctx.text;
    const pb = ctx.postback ? decodeData(ctx.postback.data) : undefined;

    if (typed !== undefined && deps.officers.looksLikeInvite(typed)) {
      const r = await deps.officers.redeemInvite(typed, ctx.userId, now);
      if (r.kind === 'linked') await linkOfficerMenu(ctx.userId);
      if (r.kind === 'linked') ctx.say(ctx.t('officers:invite.linked', { name: r.officer.name, area: area(r.officer, ctx.lang) }), menuChoices(ctx));
      else if (r.kind === 'already_officer') ctx.say(ctx.t('officers:invite.already', { area: area(r.officer, ctx.lang) }), menuChoices(ctx));
      else ctx.say(ctx.t(r.kind === 'suspended' ? 'officers:invite.suspended' : 'officers:invite.invalid'));
      return;
    }

    const draft = ctx.session.data?.[REPLY_KEY] as ReplyDraft | undefined;
    const isMenuWord = typed !== undefined && [...menuWords('th'), ...menuWords('en')].includes(compactForMatch(typed));
    if (!pb?.['cmd'] && !isMenuWord && !(draft && typed !== undefined)) return next();
    if (pb && pb['cmd'] !== 'ofc') {
      if (draft) clearDraft(ctx);
      return next();
    }

    const officer = await deps.officers.activeByLineUser(ctx.userId);
    if (!officer) {
      if (draft) clearDraft(ctx);
      if (isMenuWord || pb) {
        ctx.say(ctx.t('officers:notOfficer'));
        return;
      }
      return next();
    }
    const scope = scopeOf(officer);
    try {
      if (draft && typed !== undefined && !pb) return await sendReply(ctx, officer, scope, draft, typed, now);
      switch (isMenuWord ? 'menu' : pb?.['a']) {
        case 'tab':
          // A tab of the officer rich menu was switched (LINE sends a postback): nothing to say.
          ctx.handled = true;
          return;
        case 'menu':
          ctx.say(ctx.t('officers:menu.prompt', { area: area(officer, ctx.lang) }), menuChoices(ctx));
          return;
        case 'stats':
          return await showStats(ctx, officer, scope, now);
        case 'help':
          return await showHelp(ctx, scope, now);
        case 'handle': {
          const changed = await help.handle(scope, pb?.['id'] ?? '', 'line', now);
          ctx.say(ctx.t(changed ? 'officers:help.markedHandled' : 'officers:help.alreadyHandled'), menuChoices(ctx));
          return;
        }
        case 'reply': {
          const v = await help.open(scope, pb?.['id'] ?? '', 'line', now);
          ctx.session.data = { ...ctx.session.data, [REPLY_KEY]: { helpRequestId: v.id, at: now.toISOString() } satisfies ReplyDraft };
          ctx.say(ctx.t('officers:help.replyPrompt', { name: v.name }), [{ label: ctx.t('officers:help.cancel'), data: encodeData({ cmd: 'ofc', a: 'cancel' }) }]);
          return;
        }
        case 'cancel':
          clearDraft(ctx);
          ctx.say(ctx.t('officers:help.replyCancelled'), menuChoices(ctx));
          return;
        case 'remind':
          return await remind(ctx, scope, pb ?? {}, now);
        case 'remindgo':
          return await remindGo(ctx, scope, pb ?? {}, now);
        case 'dashboard': {
          const secret = await deps.officers.newSignin(officer._id, now);
          await deps.officers.audit(officer._id, 'request_signin_link', 'line', now);
          const url = `${deps.publicBaseUrl}/officer/signin?t=${encodeURIComponent(secret)}`;
          ctx.reply({
            type: 'template',
            altText: ctx.t('officers:dashboard.link', { minutes: SIGNIN_TTL_MS / 60_000 }),
            template: { type: 'buttons', text: ctx.t('officers:dashboard.link', { minutes: SIGNIN_TTL_MS / 60_000 }), actions: [{ type: 'uri', label: ctx.t('officers:dashboard.open'), uri: url }] },
          } as Message);
          return;
        }
        default:
          ctx.say(ctx.t('officers:menu.prompt', { area: area(officer, ctx.lang) }), menuChoices(ctx));
      }
    } catch (err) {
      if (!(err instanceof ScopeError)) throw err;
      await deps.officers.audit(officer._id, 'refused_out_of_scope', 'line', now, { detail: { action: pb?.['a'] ?? 'reply', id: pb?.['id'] } });
      ctx.say(ctx.t('officers:outOfScope'), menuChoices(ctx));
    }
  };

  async function linkOfficerMenu(userId: string) {
    if (!deps.richMenus) return;
    try {
      const id = await officerMenuId(deps.richMenus);
      if (id) await deps.richMenus.linkUser(userId, id);
    } catch (err) {
      // The officer menu in LINE (typed words) works without it; `richmenu:sync` links it again.
      deps.logger?.warn({ err: (err as Error).message }, 'could not link the officer rich menu');
    }
  }

  async function showStats(ctx: BotContext, officer: Officer, scope: Scope, now: Date) {
    const s = await areaStats(deps.models, scope, deps.journeys, now);
    await deps.officers.audit(officer._id, 'view_stats', 'line', now);
    const lines = [ctx.t('officers:stats.title', { area: area(officer, ctx.lang) }), ctx.t('officers:stats.registered', { n: s.registered })];
    for (const jf of s.journeys) {
      const j = deps.journeys.find((x) => x.id === jf.id)!;
      lines.push(ctx.t('officers:stats.journey', { journey: ctx.t(j.titleKey), started: jf.started, finished: jf.finished }));
      for (const step of j.steps) {
        const n = jf.atStep[step.id] ?? 0;
        if (n > 0) lines.push(ctx.t('officers:stats.atStep', { step: ctx.t(step.titleKey), n }));
      }
    }
    lines.push(ctx.t('officers:stats.trained', { n: s.trained }));
    ctx.say(lines.join('\n'), menuChoices(ctx));
  }

  async function showHelp(ctx: BotContext, scope: Scope, now: Date) {
    const open = await help.listOpen(scope, 'line', now, 10);
    if (open.length === 0) {
      ctx.say(ctx.t('officers:help.none'), menuChoices(ctx));
      return;
    }
    const alt = ctx.t('officers:help.count', { n: open.length });
    ctx.say(alt);
    ctx.reply(helpRequestCards((k, p) => ctx.t(k, p), ctx.lang, deps.journeys, open, alt));
    ctx.offer(menuChoices(ctx));
  }

  async function remind(ctx: BotContext, scope: Scope, pb: Record<string, string>, now: Date) {
    const preset = pb['p'];
    if (!isPreset(preset)) {
      ctx.say(
        ctx.t('officers:remind.pick'),
        [...Object.keys(REMINDER_PRESETS).map((p) => ({ label: ctx.t(`officers:remind.preset.${p}`), data: encodeData({ cmd: 'ofc', a: 'remind', p }) })), ...cancelChoice(ctx)],
      );
      return;
    }
    const place = pb['d'];
    if (place === undefined && scope.role !== 'district') {
      const districts = await deps.reminders.districts(scope, 10);
      if (districts.length > 1) {
        ctx.say(ctx.t('officers:remind.where'), [
          { label: ctx.t('officers:remind.wholeArea'), data: encodeData({ cmd: 'ofc', a: 'remind', p: preset, d: 'all' }) },
          ...districts.map((d) => ({ label: (ctx.lang === 'en' ? d.nameEn : d.nameTh).slice(0, 20), data: encodeData({ cmd: 'ofc', a: 'remind', p: preset, d: d.code }) })),
          ...cancelChoice(ctx),
        ]);
        return;
      }
    }
    const district = place && place !== 'all' ? place : undefined;
    const { count, cost } = await deps.reminders.preview(scope, preset, district);
    await deps.officers.audit(scope.officerId, 'preview_campaign', 'line', now, { detail: { preset, district, count } });
    if (count === 0) {
      ctx.say(ctx.t('officers:remind.none'), menuChoices(ctx));
      return;
    }
    const districtName = district ? (await deps.reminders.districts(scope, 1000)).find((d) => d.code === district) : undefined;
    const placeName = districtName ? (ctx.lang === 'en' ? districtName.nameEn : districtName.nameTh) : ctx.t('officers:remind.wholeArea');
    const nonce = randomSecret(9);
    ctx.session.data = { ...ctx.session.data, [REMIND_KEY]: { nonce, preset, ...(district ? { district } : {}), at: now.toISOString() } satisfies PendingReminder };
    ctx.say(ctx.t('officers:remind.preview', { n: count, cost, place: placeName }), [
      { label: ctx.t('officers:remind.confirm'), data: encodeData({ cmd: 'ofc', a: 'remindgo', k: nonce }) },
      ...cancelChoice(ctx),
    ]);
  }

  async function remindGo(ctx: BotContext, scope: Scope, pb: Record<string, string>, now: Date) {
    const pending = ctx.session.data?.[REMIND_KEY] as PendingReminder | undefined;
    const { [REMIND_KEY]: _used, ...rest } = (ctx.session.data ?? {}) as Record<string, unknown>;
    ctx.session.data = rest;
    if (!pending || pending.nonce !== pb['k'] || now.getTime() - Date.parse(pending.at) > REMIND_WINDOW_MS || !isPreset(pending.preset)) {
      ctx.say(ctx.t('officers:remind.expired'), menuChoices(ctx));
      return;
    }
    const { count } = await deps.reminders.preview(scope, pending.preset, pending.district);
    await deps.reminders.send(scope, pending.preset, pending.district, 'line', now);
    ctx.say(ctx.t('officers:remind.sent', { n: count }), menuChoices(ctx));
  }

  async function sendReply(ctx: BotContext, officer: Officer, scope: Scope, draft: ReplyDraft, body: string, now: Date) {
    clearDraft(ctx);
    if (now.getTime() - Date.parse(draft.at) > REPLY_WINDOW_MS) {
      ctx.say(ctx.t('officers:help.replyCancelled'), menuChoices(ctx));
      return;
    }
    // Checked again at sending time: the scope may have changed since the reply was started.
    const v = await help.open(scope, draft.helpRequestId, 'line', now);
    const lang = await langOf(deps.models, v.userId);
    const msg = text(deps.translator.t(lang, 'officers:help.fromOfficer', { officer: officer.name, text: body.slice(0, 4000) }), [
      { label: deps.translator.t(lang, 'common:nav.officer'), data: encodeData({ cmd: 'officer' }) },
    ]);
    await deps.pusher.push(`help:${v.id}:reply:${ctx.event.webhookEventId}`, v.userId, [msg]);
    await deps.officers.audit(officer._id, 'message_producer', 'line', now, { target: v.userId, detail: { helpRequest: v.id } });
    ctx.say(ctx.t('officers:help.replySent', { name: v.name }), menuChoices(ctx));
  }
}

function clearDraft(ctx: BotContext) {
  if (!ctx.session.data) return;
  const { [REPLY_KEY]: _drop, ...rest } = ctx.session.data as Record<string, unknown>;
  ctx.session.data = rest;
}

export function menuChoices(ctx: BotContext): Choice[] {
  const c = (a: string, key: string): Choice => ({ label: ctx.t(key), data: encodeData({ cmd: 'ofc', a }) });
  return [c('stats', 'officers:menu.stats'), c('help', 'officers:menu.help'), c('remind', 'officers:menu.remind'), c('dashboard', 'officers:menu.dashboard')];
}

function cancelChoice(ctx: BotContext): Choice[] {
  return [{ label: ctx.t('officers:remind.cancel'), data: encodeData({ cmd: 'ofc', a: 'menu' }) }];
}

export async function langOf(models: Models, userId: string): Promise<Lang> {
  const s = await models.Session.findById(userId, { lang: 1 }).lean();
  return s?.lang === 'en' ? 'en' : 'th';
}
