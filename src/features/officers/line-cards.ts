import type { messagingApi } from '@line/bot-sdk';
import type { Lang } from '../../core/i18n.js';
import { encodeData, type Message } from '../../bot/messages.js';
import type { HelpRequestView } from './help-requests.js';
import type { Journey } from './journeys.js';

type T = (key: string, params?: Record<string, unknown>) => string;

/** The step a request came from, in words ("TikTok Shop · Verify your identity"). */
export function stepLabel(t: T, journeys: readonly Journey[], v: Pick<HelpRequestView, 'flowId' | 'step' | 'reason'>): string {
  const j = journeys.find((x) => x.id === v.flowId);
  if (j) {
    const s = j.steps.find((x) => x.id === v.step);
    return s ? `${t(j.titleKey)} · ${t(s.titleKey)}` : t(j.titleKey);
  }
  return t('officers:help.reasonOfficer');
}

const row = (label: string, value: string): messagingApi.FlexComponent => ({
  type: 'box',
  layout: 'baseline',
  spacing: 'sm',
  contents: [
    { type: 'text', text: label, size: 'sm', color: '#888888', flex: 2 },
    { type: 'text', text: value || '—', size: 'sm', wrap: true, flex: 5 },
  ],
});

/** One help request as a card: who, phone, where, which step; call, reply in LINE, mark handled. */
export function helpRequestBubble(t: T, lang: Lang, journeys: readonly Journey[], v: HelpRequestView): messagingApi.FlexBubble {
  const district = lang === 'en' ? v.districtEn : v.districtTh;
  const buttons: messagingApi.FlexComponent[] = [];
  if (v.phone) buttons.push({ type: 'button', style: 'primary', height: 'sm', action: { type: 'uri', label: t('officers:help.call'), uri: `tel:${v.phone}` } });
  buttons.push({ type: 'button', style: 'secondary', height: 'sm', action: { type: 'postback', label: t('officers:help.reply'), data: encodeData({ cmd: 'ofc', a: 'reply', id: v.id }), displayText: t('officers:help.reply') } });
  buttons.push({ type: 'button', style: 'secondary', height: 'sm', action: { type: 'postback', label: t('officers:help.handled'), data: encodeData({ cmd: 'ofc', a: 'handle', id: v.id }), displayText: t('officers:help.handled') } });
  return {
    type: 'bubble',
    size: 'kilo',
    body: {
      type: 'box',
      layout: 'vertical',
      spacing: 'sm',
      contents: [
        { type: 'text', text: t('officers:help.card'), weight: 'bold', size: 'md' },
        row(t('officers:help.name'), v.name),
        row(t('officers:help.phone'), v.phone),
        row(t('officers:help.area'), district ?? ''),
        row(t('officers:help.step'), stepLabel(t, journeys, v)),
      ],
    },
    footer: { type: 'box', layout: 'vertical', spacing: 'sm', contents: buttons },
  };
}

export function helpRequestCards(t: T, lang: Lang, journeys: readonly Journey[], views: HelpRequestView[], altText: string): Message {
  const bubbles = views.slice(0, 12).map((v) => helpRequestBubble(t, lang, journeys, v));
  const contents: messagingApi.FlexContainer = bubbles.length === 1 ? bubbles[0]! : { type: 'carousel', contents: bubbles };
  return { type: 'flex', altText, contents } as Message;
}
