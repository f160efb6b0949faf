import type { Logger } from '../core/logger.js';
import type { Lang, Translator } from '../core/i18n.js';
import type { LineGateway } from '../line/gateway.js';
import type { OutboxDrainer } from '../outbox/drainer.js';
import type { Outbox } from '../outbox/outbox.js';
import type { LineEvent } from '../inbox/inbox.js';
import type { Session, SessionStore } from '../sessions/session-store.js';
import { text, withQuickReplies, type Choice, type Message } from './messages.js';

/** Shared services every handler may use. */
export interface BotServices {
  gateway: LineGateway;
  /** Every send outside the immediate reply is written here first (see src/outbox). */
  outbox: Outbox;
  drainer: OutboxDrainer;
  translator: Translator;
  sessions: SessionStore;
  logger: Logger;
  now: () => Date;
}

/** One event being handled for one user: the session, the translator and an outbox. */
export class BotContext {
  readonly outbox: Message[] = [];
  /** Set by a handler that acted on the event; unhandled events are recorded as ignored. */
  handled = false;

  constructor(
    readonly event: LineEvent,
    readonly userId: string,
    readonly session: Session,
    readonly services: BotServices,
    readonly receivedAt: Date,
    /** The event's id in the inbox (LINE's webhookEventId): what the event causes is keyed by it. */
    readonly eventId: string = eventIdOf(event),
  ) {}

  get lang(): Lang {
    return this.session.lang;
  }

  t(key: string, params?: Record<string, unknown>): string {
    return this.services.translator.t(this.session.lang, key, params);
  }

  /** Queues messages; they are sent once the session is saved. */
  reply(...messages: Message[]): void {
    this.handled = true;
    this.outbox.push(...messages);
  }

  /** Queues a text with quick replies. */
  say(body: string, choices: readonly Choice[] = []): void {
    this.reply(text(body, choices));
  }

  /** Puts quick replies on the last queued message (only the last one's are shown by LINE). */
  offer(choices: readonly Choice[]): void {
    const out = withQuickReplies(this.outbox.splice(0), choices);
    this.outbox.push(...out);
  }

  /** Text the user typed, or undefined for other events. */
  get text(): string | undefined {
    const e = this.event;
    return e.type === 'message' && e.message.type === 'text' ? e.message.text : undefined;
  }

  /** Postback data, or undefined. */
  get postback(): { data: string; params?: Record<string, string> } | undefined {
    const e = this.event;
    if (e.type !== 'postback') return undefined;
    return { data: e.postback.data, params: e.postback.params as Record<string, string> | undefined };
  }
}

/** LINE's webhookEventId (the inbox's id of the event); a handler built without the inbox gets the same. */
function eventIdOf(event: LineEvent): string {
  const id = (event as { webhookEventId?: unknown }).webhookEventId;
  return typeof id === 'string' && id ? id : `ts:${String((event as { timestamp?: unknown }).timestamp)}`;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: BotContext, next: Next) => Promise<void>;

/** Composes middleware in one direction: each may act, then call next() to pass the event on. */
export function compose(middleware: readonly Middleware[]): Middleware {
  return (ctx, last) => {
    const run = (i: number): Promise<void> => {
      const mw = middleware[i];
      return mw ? mw(ctx, () => run(i + 1)) : last();
    };
    return run(0);
  };
}
