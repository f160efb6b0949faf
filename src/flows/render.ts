import type { messagingApi } from '@line/bot-sdk';
import { toAction, type Choice, type Message } from '../bot/messages.js';
import type { CardDef } from './schema.js';
import { truncateGraphemes } from '../core/text/truncate.js';

type T = (key: string, params?: Record<string, unknown>) => string;
type FlexComponent = messagingApi.FlexComponent;

const GREEN = '#06C755';
const GREY = '#8C8C8C';

const txt = (text: string, extra: Record<string, unknown> = {}): FlexComponent =>
  ({ type: 'text', text: text || ' ', wrap: true, ...extra }) as FlexComponent;

function button(c: Choice, style: 'primary' | 'secondary' | 'link' = 'secondary'): FlexComponent {
  return { type: 'button', style, height: 'sm', action: toAction(c), ...(style === 'primary' ? { color: GREEN } : {}) } as FlexComponent;
}

function uriButton(label: string, uri: string): FlexComponent {
  return { type: 'button', style: 'link', height: 'sm', action: { type: 'uri', label, uri } } as FlexComponent;
}

/** A checklist or information card: title, what to do, what to prepare, a warning, an official link. */
export function cardMessage(def: CardDef, t: T, buttons: Choice[] = [], altPrefix = ''): Message {
  const title = t(def.title);
  const body: FlexComponent[] = def.body.map((k) => txt(t(k), { size: 'sm' }));
  if (def.warning) body.push(txt(`⚠️ ${t(def.warning)}`, { size: 'sm', color: '#D93025', weight: 'bold' }));
  if (def.list.length) {
    if (def.listTitle) body.push(txt(t(def.listTitle), { size: 'sm', weight: 'bold', margin: 'md' }));
    for (const k of def.list) body.push(txt(`• ${t(k)}`, { size: 'sm' }));
  }
  const footer: FlexComponent[] = [];
  if (def.link) footer.push(uriButton(t(def.link.label), def.link.url));
  buttons.forEach((b, i) => footer.push(button(b, i === 0 ? 'primary' : 'secondary')));
  const bubble = {
    type: 'bubble',
    header: {
      type: 'box',
      layout: 'vertical',
      contents: [txt(title, { weight: 'bold', size: 'md' }), ...(altPrefix ? [txt(altPrefix, { size: 'xs', color: GREY })] : [])],
    },
    body: { type: 'box', layout: 'vertical', spacing: 'sm', contents: body.length ? body : [txt(' ')] },
    ...(footer.length ? { footer: { type: 'box', layout: 'vertical', spacing: 'sm', contents: footer } } : {}),
  };
  const alt = [altPrefix, title, ...def.body.map((k) => t(k))].filter(Boolean).join('\n');
  return { type: 'flex', altText: truncateGraphemes(alt, 400), contents: bubble } as unknown as Message;
}

/** Cards side by side: a Flex carousel of the cards' bubbles. */
export function carouselMessage(defs: CardDef[], t: T, altText: string): Message {
  const bubbles = defs.map((d) => (cardMessage(d, t) as unknown as { contents: unknown }).contents);
  return { type: 'flex', altText: truncateGraphemes(altText, 400), contents: { type: 'carousel', contents: bubbles } } as unknown as Message;
}

export interface SummaryRow {
  label: string;
  value: string;
  edit?: Choice;
}

/** The "please check" summary: one row per answer with its own edit button, confirm at the foot. */
export function summaryMessage(title: string, rows: SummaryRow[], confirm: Choice, editLabel: string): Message {
  const contents: FlexComponent[] = rows.map(
    (r) =>
      ({
        type: 'box',
        layout: 'horizontal',
        spacing: 'sm',
        contents: [
          {
            type: 'box',
            layout: 'vertical',
            flex: 5,
            contents: [txt(r.label, { size: 'xs', color: GREY }), txt(r.value, { size: 'sm' })],
          },
          ...(r.edit ? [{ ...button({ ...r.edit, label: editLabel }, 'link'), flex: 2, gravity: 'center' }] : []),
        ],
      }) as FlexComponent,
  );
  const bubble = {
    type: 'bubble',
    size: 'giga',
    header: { type: 'box', layout: 'vertical', contents: [txt(title, { weight: 'bold', size: 'md' })] },
    body: { type: 'box', layout: 'vertical', spacing: 'md', contents },
    footer: { type: 'box', layout: 'vertical', contents: [button(confirm, 'primary')] },
  };
  const alt = [title, ...rows.map((r) => `${r.label}: ${r.value}`)].join('\n');
  return { type: 'flex', altText: truncateGraphemes(alt, 1500), contents: bubble } as unknown as Message;
}
