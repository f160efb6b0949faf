import type { messagingApi } from '@line/bot-sdk';

export type Message = messagingApi.Message;

/** A quick-reply button: a postback (data) or a plain message the user "says" (text). */
export interface Choice {
  label: string;
  data?: string;
  text?: string;
  /** What the chat shows for a postback tap; defaults to the label. */
  displayText?: string;
  kind?: 'datetime' | 'location';
  mode?: 'date' | 'time' | 'datetime';
  initial?: string;
  min?: string;
  max?: string;
}

/** Postback payloads are short query strings: cmd=start&flow=registration. */
export function encodeData(fields: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, String(v));
  return p.toString();
}

export function decodeData(data: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(data));
}

export function toAction(c: Choice): messagingApi.Action {
  if (c.kind === 'location') return { type: 'location', label: c.label };
  if (c.kind === 'datetime') {
    return {
      type: 'datetimepicker',
      label: c.label,
      data: c.data ?? '',
      mode: c.mode ?? 'date',
      ...(c.initial ? { initial: c.initial } : {}),
      ...(c.min ? { min: c.min } : {}),
      ...(c.max ? { max: c.max } : {}),
    } as messagingApi.Action;
  }
  if (c.data !== undefined) {
    return { type: 'postback', label: c.label, data: c.data, displayText: c.displayText ?? c.label } as messagingApi.Action;
  }
  return { type: 'message', label: c.label, text: c.text ?? c.label } as messagingApi.Action;
}

export function quickReply(choices: readonly Choice[]): messagingApi.QuickReply | undefined {
  if (choices.length === 0) return undefined;
  return { items: choices.map((c) => ({ type: 'action', action: toAction(c) }) as messagingApi.QuickReplyItem) };
}

export function text(body: string, choices: readonly Choice[] = []): Message {
  const qr = quickReply(choices);
  return { type: 'text', text: body, ...(qr ? { quickReply: qr } : {}) } as Message;
}

/** Attaches quick replies to the last message of a batch (LINE shows only the last one's). */
export function withQuickReplies(messages: Message[], choices: readonly Choice[]): Message[] {
  const qr = quickReply(choices);
  if (!qr || messages.length === 0) return messages;
  const last = { ...messages[messages.length - 1]!, quickReply: qr } as Message;
  return [...messages.slice(0, -1), last];
}
