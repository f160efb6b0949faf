import { encodeData, quickReply, text, type Choice, type Message } from '../../bot/messages.js';
import type { Lang } from '../../core/i18n.js';
import type { TrainingTopic } from '../../core/db/schemas/training.js';
import { LINE_LIMITS } from '../../line/limits.js';
import { bangkokParts, formatDate, formatDateTime } from '../../domain/validation/date.js';
import type { CancelResult, MySignup, Promotion, SignUpResult, TrainingView } from './training-service.js';

/**
 * LINE messages for trainings, built from service results. Pure: every word comes from
 * locales/<lang>/training.json through `t`, every date is shown in Asia/Bangkok
 * (Thai: B.E. years, `5 มี.ค. 2570 เวลา 09:00–16:00 น.`; English: C.E., `5 Mar 2027, 09:00–16:00`).
 *
 * Postback data (all `cmd=training&op=<op>[&id=<trainingId>]`, built by {@link trainingData}):
 * - `list`        show the upcoming trainings carousel
 * - `mine`        show "My trainings"
 * - `pick`        a card's button: ask for confirmation ({@link confirmPickMessage} picks sign-up or waiting list)
 * - `join`        confirmed "sign up": call `signUp(…)` (answers `full` if the last seat just went)
 * - `wait`        confirmed "join the waiting list": call `signUp(…, { waitIfFull: true })`
 * - `cancel`      a "My trainings" card's button: ask for confirmation ({@link confirmCancelMessage})
 * - `cancel_yes`  confirmed cancellation: call `cancel(…)`; the service tells `promoted.userId` ({@link promotedMessage}, outbox)
 */

export type Translate = (key: string, params?: Record<string, unknown>) => string;

export interface CardContext {
  lang: Lang;
  t: Translate;
}

export const TRAINING_CMD = 'training';
export const TRAINING_OPS = ['list', 'mine', 'pick', 'join', 'wait', 'cancel', 'cancel_yes'] as const;
export type TrainingOp = (typeof TRAINING_OPS)[number];

/** `cmd=training&op=pick&id=…` */
export function trainingData(op: TrainingOp, id?: string): string {
  return encodeData({ cmd: TRAINING_CMD, op, id });
}

/** Reads a training postback; undefined when the data is not one. */
export function parseTrainingData(data: string): { op: TrainingOp; id?: string } | undefined {
  const p = new URLSearchParams(data);
  const op = p.get('op');
  if (p.get('cmd') !== TRAINING_CMD || !op || !(TRAINING_OPS as readonly string[]).includes(op)) return undefined;
  const id = p.get('id');
  return id ? { op: op as TrainingOp, id } : { op: op as TrainingOp };
}

// ---------------------------------------------------------------------------------------------
// Wording shared by cards and texts

const hhmm = (d: Date): string => {
  const p = bangkokParts(d);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

/** `5 มี.ค. 2570 เวลา 09:00–16:00 น.` / `5 Mar 2027, 09:00–16:00`; two dates when it spans days. */
export function formatTrainingWhen(tr: Pick<TrainingView, 'startsAt' | 'endsAt'>, ctx: CardContext): string {
  const startDate = formatDate(tr.startsAt, ctx.lang, { month: 'short' });
  const endDate = formatDate(tr.endsAt, ctx.lang, { month: 'short' });
  if (startDate === endDate) {
    return ctx.t('training:when.sameDay', { date: startDate, start: hhmm(tr.startsAt), end: hhmm(tr.endsAt) });
  }
  return ctx.t('training:when.multiDay', { startDate, start: hhmm(tr.startsAt), endDate, end: hhmm(tr.endsAt) });
}

/** Venue and province, or "Online". */
export function formatTrainingPlace(tr: TrainingView, ctx: CardContext): string {
  if (tr.mode === 'online') return ctx.t('training:place.online');
  const venue = tr.venue?.[ctx.lang] ?? '';
  const province = tr.provinceName?.[ctx.lang] ?? '';
  if (!venue || !province) return venue || province || '-';
  return ctx.t('training:place.onsite', { venue, province });
}

export function formatDeadline(tr: Pick<TrainingView, 'signupDeadline'>, ctx: CardContext): string {
  return formatDateTime(tr.signupDeadline, ctx.lang);
}

function formatSeats(tr: TrainingView, ctx: CardContext): { text: string; full: boolean } {
  if (tr.seatsLeft > 0 && tr.waitingCount === 0) {
    return { text: ctx.t('training:seats.left', { count: tr.seatsLeft, capacity: tr.capacity }), full: false };
  }
  return {
    text: tr.waitingCount > 0 ? ctx.t('training:seats.fullWaiting', { count: tr.waitingCount }) : ctx.t('training:seats.full'),
    full: true,
  };
}

const title = (tr: TrainingView, ctx: CardContext): string => tr.title[ctx.lang] || tr.title.th;

// ---------------------------------------------------------------------------------------------
// Flex building blocks (plain objects; the tests validate them against LINE's OpenAPI schema)

type Flex = Record<string, unknown>;

const TOPIC_COLORS: Record<TrainingTopic, string> = {
  tiktok_shop: '#E3134F',
  lazada: '#1A237E',
  online_marketing: '#D35400',
  packaging: '#7D3C98',
  photography: '#117A65',
  other: '#555555',
};
const GREEN = '#06C755';
const GREY = '#888888';

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function row(label: string, value: string, valueColor?: string): Flex {
  return {
    type: 'box',
    layout: 'baseline',
    spacing: 'sm',
    contents: [
      { type: 'text', text: label, size: 'sm', color: GREY, flex: 2, wrap: true },
      { type: 'text', text: value || '-', size: 'sm', flex: 5, wrap: true, ...(valueColor ? { color: valueColor, weight: 'bold' } : {}) },
    ],
  };
}

function postbackButton(label: string, data: string, displayText: string, style: 'primary' | 'secondary' | 'link'): Flex {
  return {
    type: 'button',
    style,
    height: 'sm',
    ...(style === 'primary' ? { color: GREEN } : {}),
    action: {
      type: 'postback',
      label: cut(label, LINE_LIMITS.flexButtonLabel),
      data,
      displayText: cut(displayText, LINE_LIMITS.displayText),
    },
  };
}

function uriButton(label: string, uri: string): Flex {
  return { type: 'button', style: 'link', height: 'sm', action: { type: 'uri', label: cut(label, LINE_LIMITS.flexButtonLabel), uri } };
}

function headerLines(tr: TrainingView, ctx: CardContext, badge?: { text: string; color: string }): Flex[] {
  const lines: Flex[] = [];
  if (badge) lines.push({ type: 'text', text: badge.text, size: 'sm', weight: 'bold', color: badge.color, wrap: true });
  lines.push({ type: 'text', text: ctx.t(`training:topic.${tr.topic}`), size: 'xs', weight: 'bold', color: TOPIC_COLORS[tr.topic] ?? GREY, wrap: true });
  lines.push({ type: 'text', text: cut(title(tr, ctx), 200), size: 'lg', weight: 'bold', wrap: true });
  return lines;
}

function bubble(body: Flex[], footer: Flex[]): Flex {
  return {
    type: 'bubble',
    size: 'mega',
    body: { type: 'box', layout: 'vertical', spacing: 'md', contents: body },
    ...(footer.length ? { footer: { type: 'box', layout: 'vertical', spacing: 'sm', contents: footer } } : {}),
  };
}

function carousel(altText: string, bubbles: Flex[]): Message {
  return {
    type: 'flex',
    altText: cut(altText, LINE_LIMITS.flexAltText),
    contents: { type: 'carousel', contents: bubbles },
  } as unknown as Message;
}

function altList(key: string, titles: string[], ctx: CardContext): string {
  return ctx.t(key, { count: titles.length, titles: titles.join(', ') });
}

// ---------------------------------------------------------------------------------------------
// Carousels

export interface TrainingCarouselOptions extends CardContext {
  /** The viewer's own sign-ups (training id → status): their cards show a badge instead of "Sign up". */
  myStatus?: Readonly<Record<string, 'confirmed' | 'waiting'>>;
  /** Quick replies under the carousel. */
  choices?: readonly Choice[];
}

/**
 * Upcoming trainings as a Flex carousel (at most 12 bubbles, in the order given: pass
 * `listUpcoming()` results). No trainings: a short text instead.
 */
export function trainingCarousel(trainings: readonly TrainingView[], opts: TrainingCarouselOptions): Message {
  const ctx: CardContext = { lang: opts.lang, t: opts.t };
  const choices = opts.choices ?? [];
  if (trainings.length === 0) return text(ctx.t('training:list.empty'), choices);
  const shown = trainings.slice(0, LINE_LIMITS.carouselBubbles);
  const bubbles = shown.map((tr) => {
    const seats = formatSeats(tr, ctx);
    const mine = opts.myStatus?.[tr.id];
    const body = [
      ...headerLines(
        tr,
        ctx,
        mine === 'confirmed'
          ? { text: ctx.t('training:badge.confirmed'), color: GREEN }
          : mine === 'waiting'
            ? { text: ctx.t('training:badge.waitingNoPosition'), color: '#B9770E' }
            : undefined,
      ),
      { type: 'separator' },
      row(ctx.t('training:card.when'), formatTrainingWhen(tr, ctx)),
      row(ctx.t('training:card.place'), formatTrainingPlace(tr, ctx)),
      row(ctx.t('training:card.seats'), seats.text, seats.full ? '#C0392B' : GREEN),
      row(ctx.t('training:card.deadline'), formatDeadline(tr, ctx)),
      row(ctx.t('training:card.office'), tr.office[ctx.lang] || tr.office.th),
    ];
    const footer: Flex[] = [];
    if (mine) {
      footer.push(postbackButton(ctx.t('training:button.mine'), trainingData('mine'), ctx.t('training:button.mine'), 'secondary'));
    } else if (seats.full) {
      footer.push(
        postbackButton(ctx.t('training:button.joinWaitingList'), trainingData('pick', tr.id), ctx.t('training:say.wait', { title: title(tr, ctx) }), 'secondary'),
      );
    } else {
      footer.push(
        postbackButton(ctx.t('training:button.signUp'), trainingData('pick', tr.id), ctx.t('training:say.pick', { title: title(tr, ctx) }), 'primary'),
      );
    }
    return bubble(body, footer);
  });
  const message = carousel(altList('training:list.altText', shown.map((tr) => title(tr, ctx)), ctx), bubbles);
  return withChoices(message, choices);
}

export interface MySignupsOptions extends CardContext {
  choices?: readonly Choice[];
}

/** "My trainings": one bubble per sign-up, with a "Cancel" button while it can still be cancelled. */
export function mySignupsCarousel(signups: readonly MySignup[], opts: MySignupsOptions): Message {
  const ctx: CardContext = { lang: opts.lang, t: opts.t };
  const choices = opts.choices ?? [];
  if (signups.length === 0) {
    return text(ctx.t('training:mine.empty'), [
      { label: ctx.t('training:button.list'), data: trainingData('list') },
      ...choices,
    ]);
  }
  const shown = signups.slice(0, LINE_LIMITS.carouselBubbles);
  const bubbles = shown.map((s) => {
    const tr = s.training;
    const badge =
      tr.status === 'cancelled'
        ? { text: ctx.t('training:badge.trainingCancelled'), color: '#C0392B' }
        : s.isPast
          ? { text: ctx.t('training:badge.past'), color: GREY }
          : s.status === 'confirmed'
            ? { text: ctx.t('training:badge.confirmed'), color: GREEN }
            : s.position
              ? { text: ctx.t('training:badge.waiting', { position: s.position }), color: '#B9770E' }
              : { text: ctx.t('training:badge.waitingNoPosition'), color: '#B9770E' };
    const body: Flex[] = [
      ...headerLines(tr, ctx, badge),
      { type: 'separator' },
      row(ctx.t('training:card.when'), formatTrainingWhen(tr, ctx)),
      row(ctx.t('training:card.place'), formatTrainingPlace(tr, ctx)),
      row(ctx.t('training:card.office'), tr.office[ctx.lang] || tr.office.th),
    ];
    if (tr.contactPhone) body.push(row(ctx.t('training:card.phone'), tr.contactPhone));
    const footer: Flex[] = [];
    const live = !s.isPast && tr.status === 'open';
    if (live && s.status === 'confirmed' && tr.mode === 'online' && tr.onlineUrl && /^https:\/\//.test(tr.onlineUrl)) {
      footer.push(uriButton(ctx.t('training:button.openLink'), tr.onlineUrl));
    }
    if (live && tr.contactPhone) {
      const tel = tr.contactPhone.replace(/[^\d+]/g, '');
      if (tel) footer.push(uriButton(ctx.t('training:button.call'), `tel:${tel}`));
    }
    if (s.canCancel && tr.status === 'open') {
      footer.push(
        postbackButton(ctx.t('training:button.cancel'), trainingData('cancel', tr.id), ctx.t('training:say.cancel', { title: title(tr, ctx) }), 'secondary'),
      );
    }
    return bubble(body, footer);
  });
  const message = carousel(altList('training:mine.altText', shown.map((s) => title(s.training, ctx)), ctx), bubbles);
  return withChoices(message, choices);
}

function withChoices(message: Message, choices: readonly Choice[]): Message {
  const qr = quickReply(choices);
  return qr ? ({ ...message, quickReply: qr } as Message) : message;
}

// ---------------------------------------------------------------------------------------------
// Confirmations and results (text with quick replies)

const menuChoices = (ctx: CardContext): Choice[] => [
  { label: ctx.t('training:button.list'), data: trainingData('list') },
  { label: ctx.t('training:button.mine'), data: trainingData('mine') },
];

function details(tr: TrainingView, ctx: CardContext): Record<string, string> {
  return { title: title(tr, ctx), when: formatTrainingWhen(tr, ctx), place: formatTrainingPlace(tr, ctx) };
}

/**
 * After a card's button (`op=pick`): "Sign up for …?" when a seat is free, else "It is full, join
 * the waiting list?". Yes → `op=join` / `op=wait`; No → back to the list.
 */
export function confirmPickMessage(tr: TrainingView, ctx: CardContext): Message {
  const full = tr.seatsLeft <= 0 || tr.waitingCount > 0;
  return full ? confirmWaitMessage(tr, ctx) : confirmSignUpMessage(tr, ctx);
}

export function confirmSignUpMessage(tr: TrainingView, ctx: CardContext): Message {
  return text(ctx.t('training:confirm.signUp', details(tr, ctx)), [
    { label: ctx.t('training:confirm.yesSignUp'), data: trainingData('join', tr.id) },
    { label: ctx.t('training:confirm.no'), data: trainingData('list') },
  ]);
}

export function confirmWaitMessage(tr: TrainingView, ctx: CardContext): Message {
  return text(ctx.t('training:confirm.wait', details(tr, ctx)), [
    { label: ctx.t('training:confirm.yesWait'), data: trainingData('wait', tr.id) },
    { label: ctx.t('training:confirm.no'), data: trainingData('list') },
  ]);
}

/** After "Cancel" on a "My trainings" card (`op=cancel`). Yes → `op=cancel_yes`; No → "My trainings". */
export function confirmCancelMessage(tr: TrainingView, ctx: CardContext): Message {
  return text(ctx.t('training:confirm.cancel', details(tr, ctx)), [
    { label: ctx.t('training:confirm.yesCancel'), data: trainingData('cancel_yes', tr.id) },
    { label: ctx.t('training:confirm.keep'), data: trainingData('mine') },
  ]);
}

/** The answer to `signUp()`. For `full` it offers the waiting list (the caller may also use {@link confirmWaitMessage}). */
export function signUpResultMessage(result: SignUpResult, ctx: CardContext): Message {
  switch (result.kind) {
    case 'confirmed':
      return text(ctx.t('training:result.confirmed', details(result.training, ctx)), menuChoices(ctx));
    case 'waiting':
      return text(ctx.t('training:result.waiting', { ...details(result.training, ctx), position: result.position }), menuChoices(ctx));
    case 'full':
      return text(ctx.t('training:result.full', details(result.training, ctx)), [
        { label: ctx.t('training:confirm.yesWait'), data: trainingData('wait', result.training.id) },
        { label: ctx.t('training:button.list'), data: trainingData('list') },
      ]);
    case 'already':
      if (result.status === 'confirmed') return text(ctx.t('training:result.alreadyConfirmed', details(result.training, ctx)), menuChoices(ctx));
      return text(
        result.position
          ? ctx.t('training:result.alreadyWaiting', { ...details(result.training, ctx), position: result.position })
          : ctx.t('training:result.alreadyWaitingNoPosition', details(result.training, ctx)),
        menuChoices(ctx),
      );
    case 'deadline_passed':
      return text(ctx.t('training:result.deadlinePassed', { deadline: formatDeadline(result.training, ctx) }), menuChoices(ctx));
    case 'past':
      return text(ctx.t('training:result.past'), menuChoices(ctx));
    case 'cancelled':
      return text(ctx.t('training:result.trainingCancelled'), menuChoices(ctx));
    case 'not_registered':
      return text(ctx.t('training:result.notRegistered'), [
        { label: ctx.t('training:button.register'), data: 'cmd=start&flow=registration&m=1' },
        { label: ctx.t('training:button.list'), data: trainingData('list') },
      ]);
    case 'limit_reached':
      return text(ctx.t('training:result.limitReached', { count: result.limit }), [
        { label: ctx.t('training:button.mine'), data: trainingData('mine') },
        { label: ctx.t('training:button.list'), data: trainingData('list') },
      ]);
    case 'not_found':
      return text(ctx.t('training:result.notFound'), menuChoices(ctx));
  }
}

/** The answer to `cancel()` (to the person who cancelled; see {@link promotedMessage} for the one promoted). */
export function cancelResultMessage(result: CancelResult, ctx: CardContext): Message {
  switch (result.kind) {
    case 'cancelled':
      return text(
        ctx.t(result.previousStatus === 'waiting' ? 'training:result.cancelledWaiting' : 'training:result.cancelled', details(result.training, ctx)),
        menuChoices(ctx),
      );
    case 'not_signed_up':
      return text(ctx.t('training:result.notSignedUp'), menuChoices(ctx));
    case 'past':
      return text(ctx.t('training:result.cancelPast'), menuChoices(ctx));
    case 'not_found':
      return text(ctx.t('training:result.notFound'), menuChoices(ctx));
  }
}

/** Pushed to someone moved from the waiting list to a seat (in their own language). */
export function promotedMessage(p: Pick<Promotion, 'training'>, ctx: CardContext): Message {
  return text(ctx.t('training:promoted', details(p.training, ctx)), [
    { label: ctx.t('training:button.mine'), data: trainingData('mine') },
  ]);
}
