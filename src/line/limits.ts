import type { messagingApi } from '@line/bot-sdk';

/**
 * LINE's payload limits (developers.line.biz Messaging API reference), enforced before sending
 * so an over-long label fails a test here instead of a 400 from LINE in production.
 */
export const LINE_LIMITS = {
  messagesPerRequest: 5,
  textLength: 5_000,
  quickReplyItems: 13,
  quickReplyLabel: 20,
  postbackData: 300,
  displayText: 300,
  flexAltText: 1_500,
  templateAltText: 400,
  flexButtonLabel: 40,
  templateActionLabel: 20,
  bubbleBytes: 30_000,
  carouselBytes: 50_000,
  carouselBubbles: 12,
  senderName: 20,
  multicastRecipients: 500,
} as const;

export class LinePayloadError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`LINE payload over limits: ${problems.join('; ')}`);
    this.name = 'LinePayloadError';
    this.problems = problems;
  }
}

type Any = Record<string, unknown>;
const isObj = (v: unknown): v is Any => typeof v === 'object' && v !== null && !Array.isArray(v);
const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** Returns every limit a batch of messages breaks (empty when it is fine to send). */
export function checkMessages(messages: readonly messagingApi.Message[]): string[] {
  const problems: string[] = [];
  if (messages.length < 1 || messages.length > LINE_LIMITS.messagesPerRequest) {
    problems.push(`messages: ${messages.length} in one request (1-${LINE_LIMITS.messagesPerRequest})`);
  }
  messages.forEach((m, i) => checkMessage(m as unknown as Any, `messages[${i}]`, problems));
  return problems;
}

export function assertMessagesWithinLimits(messages: readonly messagingApi.Message[]): void {
  const problems = checkMessages(messages);
  if (problems.length) throw new LinePayloadError(problems);
}

function checkMessage(m: Any, at: string, out: string[]): void {
  const max = (path: string, value: unknown, limit: number) => {
    if (len(value) > limit) out.push(`${path}: ${len(value)} characters (max ${limit})`);
  };
  if (m.type === 'text') {
    max(`${at}.text`, m.text, LINE_LIMITS.textLength);
    if (len(m.text) === 0) out.push(`${at}.text: empty`);
  }
  if (m.type === 'flex') {
    max(`${at}.altText`, m.altText, LINE_LIMITS.flexAltText);
    const c = m.contents as Any | undefined;
    if (c?.type === 'bubble' && bytes(c) > LINE_LIMITS.bubbleBytes) out.push(`${at}.contents: bubble over 30 KB`);
    if (c?.type === 'carousel') {
      const bubbles = Array.isArray(c.contents) ? c.contents : [];
      if (bubbles.length > LINE_LIMITS.carouselBubbles) out.push(`${at}.contents: ${bubbles.length} bubbles (max 12)`);
      if (bytes(c) > LINE_LIMITS.carouselBytes) out.push(`${at}.contents: carousel over 50 KB`);
    }
  }
  if (m.type === 'template') max(`${at}.altText`, m.altText, LINE_LIMITS.templateAltText);
  if (isObj(m.sender)) max(`${at}.sender.name`, m.sender.name, LINE_LIMITS.senderName);

  const qr = m.quickReply as Any | undefined;
  if (isObj(qr) && Array.isArray(qr.items)) {
    if (qr.items.length > LINE_LIMITS.quickReplyItems) {
      out.push(`${at}.quickReply.items: ${qr.items.length} (max ${LINE_LIMITS.quickReplyItems})`);
    }
    qr.items.forEach((item: unknown, i: number) => {
      const action = isObj(item) ? item.action : undefined;
      if (isObj(action)) max(`${at}.quickReply.items[${i}].action.label`, action.label, LINE_LIMITS.quickReplyLabel);
    });
  }
  walkActions(m, at, out);
}

/** Finds every action object in a message (flex, template, quick reply) and checks its fields. */
function walkActions(node: unknown, at: string, out: string[], parentType?: string): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walkActions(n, `${at}[${i}]`, out, parentType));
    return;
  }
  if (!isObj(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const path = `${at}.${key}`;
    if ((key === 'action' || key === 'defaultAction') && isObj(value)) {
      checkAction(value, path, out, node.type === 'button' ? 'flexButton' : parentType);
    } else if (key === 'actions' && Array.isArray(value)) {
      value.forEach((a, i) => isObj(a) && checkAction(a, `${path}[${i}]`, out, 'template'));
    }
    if (typeof value === 'object' && value !== null) walkActions(value, path, out, parentType);
  }
}

function checkAction(a: Any, at: string, out: string[], where?: string): void {
  const over = (field: string, limit: number) => {
    if (len(a[field]) > limit) out.push(`${at}.${field}: ${len(a[field])} characters (max ${limit})`);
  };
  if (a.type === 'postback') {
    over('data', LINE_LIMITS.postbackData);
    over('displayText', LINE_LIMITS.displayText);
  }
  if (a.type === 'datetimepicker') over('data', LINE_LIMITS.postbackData);
  if (where === 'flexButton') over('label', LINE_LIMITS.flexButtonLabel);
  if (where === 'template') over('label', LINE_LIMITS.templateActionLabel);
}
