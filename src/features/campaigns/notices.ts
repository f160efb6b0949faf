import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Middleware } from '../../bot/context.js';
import { decodeData, encodeData, type Message } from '../../bot/messages.js';
import type { Models } from '../../core/db/models.js';
import type { Lang, Translator } from '../../core/i18n.js';
import { compactForMatch } from '../../core/text/normalize.js';
import type { CampaignMessage } from './model.js';

const wordsSchema = z.object({
  stop: z.array(z.string().min(1)).min(1),
  stopOutsideJourney: z.array(z.string().min(1)).default([]),
  start: z.array(z.string().min(1)).min(1),
});

export interface NoticeWords {
  stop: Set<string>;
  stopOutsideJourney: Set<string>;
  start: Set<string>;
}

/** flows/_notices.yaml, checked at start-up: a mistake stops start-up naming the file. */
export function loadNoticeWords(flowsDir: string): NoticeWords {
  const file = join(flowsDir, '_notices.yaml');
  const r = wordsSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!r.success) throw new Error(`flows/_notices.yaml: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const set = (words: string[]) => new Set(words.map(compactForMatch));
  return { stop: set(r.data.stop), stopOutsideJourney: set(r.data.stopOutsideJourney), start: set(r.data.start) };
}

/** Postback data of the buttons on every notice. */
export const NOTICES_OFF = encodeData({ notices: 'off' });
export const NOTICES_ON = encodeData({ notices: 'on' });

/** Consent purpose "notices": one place that changes it and writes the consent log. */
export class NoticeConsent {
  constructor(
    private readonly models: Models,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Sets notices on or off. For a producer it is their notices consent; for someone not
   * registered (yet) it is a flag on their session, so reminders respect it too. Either way the
   * request is written to the consent log, even a repeat: the log is what the person said and when.
   */
  async set(userId: string, granted: boolean, channel = 'line'): Promise<void> {
    const p = await this.models.Producer.findOne({ userId }, { consents: 1 }).lean();
    const at = this.now();
    if (p) {
      if (p.consents?.notices !== granted) await this.models.Producer.updateOne({ userId }, { $set: { 'consents.notices': granted, updatedAt: at } });
    } else {
      await this.models.Session.updateOne({ _id: userId }, { $set: { 'data.noticesOff': !granted } });
    }
    await this.models.ConsentEvent.create({ userId, purpose: 'notices', granted, noticeVersion: p?.consents?.noticeVersion ?? 'notices', at, channel });
  }
}

/**
 * Producers stop and restart notices with a word or the button on every notice; a deep-link
 * button's open is recorded for the campaign's stats before the journey it opens takes over.
 */
export function noticesMiddleware(deps: { models: Models; words: NoticeWords; consent: NoticeConsent }): Middleware {
  return async (ctx, next) => {
    const pb = ctx.postback ? decodeData(ctx.postback.data) : undefined;
    if (pb?.cp) {
      // A deep link from a campaign: note the first open, then let the journey start.
      await deps.models.CampaignDelivery.updateMany(
        { campaignId: pb.cp, userId: ctx.userId, openedAt: { $exists: false } },
        { $set: { openedAt: ctx.services.now() } },
      );
    }
    let wanted: boolean | undefined;
    if (pb?.notices === 'off' || pb?.notices === 'on') wanted = pb.notices === 'on';
    const text = ctx.text === undefined ? undefined : compactForMatch(ctx.text);
    if (text !== undefined) {
      if (deps.words.stop.has(text) || (!ctx.session.flow && deps.words.stopOutsideJourney.has(text))) wanted = false;
      else if (deps.words.start.has(text)) wanted = true;
    }
    if (wanted === undefined) return next();
    await deps.consent.set(ctx.userId, wanted);
    // The session is saved after this handler: keep its copy of the flag in step.
    ctx.session.data.noticesOff = !wanted;
    if (wanted) ctx.say(ctx.t('notices:started'));
    else ctx.say(ctx.t('notices:stopped'), [{ label: ctx.t('notices:start_button'), data: NOTICES_ON }]);
  };
}

/**
 * The messages a producer receives for a notice: the campaign's messages in their language
 * (Thai when there are none in it), with the deep-link button and the stop button as quick
 * replies on the last one.
 */
export function noticeMessages(
  t: Translator,
  lang: Lang,
  messages: { th: CampaignMessage[]; en?: CampaignMessage[] },
  extras: { campaignId: string; deepLink?: { flow: string; label: { th: string; en: string } } },
): Message[] {
  const list = (lang === 'en' && messages.en ? messages.en : messages.th).map((m) => ({ ...m })) as Message[];
  const items: { type: 'action'; action: { type: 'postback'; label: string; data: string; displayText?: string } }[] = [];
  if (extras.deepLink) {
    const label = extras.deepLink.label[lang];
    items.push({ type: 'action', action: { type: 'postback', label, displayText: label, data: encodeData({ cmd: 'start', flow: extras.deepLink.flow, cp: extras.campaignId }) } });
  }
  items.push({ type: 'action', action: { type: 'postback', label: t.t(lang, 'notices:stop_button'), data: NOTICES_OFF } });
  const last = list[list.length - 1] as Message & { quickReply?: unknown };
  last.quickReply = { items };
  return list;
}
