/**
 * LINE's documented limits that its OpenAPI definitions do NOT express (the spec has, e.g., no
 * maxLength on a text message's `text`, on action labels, on `altText` or `displayText`, and marks
 * fields such as a postback action's `data` as optional although LINE rejects them missing).
 * Figures come from /work/shared/reference/line-platform.md and LINE's Messaging API reference
 * (message objects, action objects, template/flex/quick-reply sections).
 *
 * This layer is independent of the OpenAPI files, so it also runs when they are absent.
 * Lengths are counted in UTF-16 code units (JavaScript `.length`), as LINE counts them.
 */
import { joinProperty, type SchemaIssue } from './openapi-validator.js';

export const LINE_LIMITS = {
  textMessageLength: 5000,
  altTextLength: 1500,
  quickReplyItems: 13,
  quickReplyLabel: 20,
  templateActionLabel: 20,
  imageCarouselLabel: 12,
  flexButtonLabel: 40,
  postbackDataLength: 300,
  displayTextLength: 300,
  messageActionTextLength: 300,
  uriLength: 1000,
  flexCarouselBubbles: 12,
  flexBubbleBytes: 30 * 1024,
  flexCarouselBytes: 50 * 1024,
  buttonsTemplateActions: 4,
  buttonsTemplateTitle: 40,
  buttonsTemplateText: 160,
  buttonsTemplateTextWithImageOrTitle: 60,
  confirmTemplateText: 240,
  carouselColumns: 10,
  carouselColumnActions: 3,
  carouselColumnText: 120,
  carouselColumnTextWithImageOrTitle: 60,
  carouselColumnTitle: 40,
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where an action sits decides its label limit. */
type ActionContext = 'quickReply' | 'template' | 'imageCarousel' | 'flexButton' | 'other';

class Collector {
  readonly issues: SchemaIssue[] = [];
  add(property: string, message: string): void {
    this.issues.push({ property, message });
  }
  maxLength(value: unknown, max: number, property: string): void {
    if (typeof value === 'string' && value.length > max) this.add(property, `Length must be between 0 and ${max}`);
  }
  notEmpty(value: unknown, property: string): void {
    if (value === undefined || value === null) this.add(property, 'must be specified');
    else if (typeof value === 'string' && value.length === 0) this.add(property, 'May not be empty');
  }
}

function checkAction(c: Collector, action: unknown, at: string, where: ActionContext): void {
  if (!isObj(action)) return; // shape errors are the schema's business
  const labelMax =
    where === 'quickReply'
      ? LINE_LIMITS.quickReplyLabel
      : where === 'template'
        ? LINE_LIMITS.templateActionLabel
        : where === 'imageCarousel'
          ? LINE_LIMITS.imageCarouselLabel
          : where === 'flexButton'
            ? LINE_LIMITS.flexButtonLabel
            : undefined;
  if (labelMax !== undefined) c.maxLength(action['label'], labelMax, joinProperty(at, 'label'));
  switch (action['type']) {
    case 'postback':
      c.notEmpty(action['data'], joinProperty(at, 'data'));
      c.maxLength(action['data'], LINE_LIMITS.postbackDataLength, joinProperty(at, 'data'));
      c.maxLength(action['displayText'], LINE_LIMITS.displayTextLength, joinProperty(at, 'displayText'));
      break;
    case 'datetimepicker':
      c.notEmpty(action['data'], joinProperty(at, 'data'));
      c.maxLength(action['data'], LINE_LIMITS.postbackDataLength, joinProperty(at, 'data'));
      if (action['mode'] === undefined) c.add(joinProperty(at, 'mode'), 'must be specified');
      break;
    case 'message':
      c.notEmpty(action['text'], joinProperty(at, 'text'));
      c.maxLength(action['text'], LINE_LIMITS.messageActionTextLength, joinProperty(at, 'text'));
      break;
    case 'uri':
      c.notEmpty(action['uri'], joinProperty(at, 'uri'));
      c.maxLength(action['uri'], LINE_LIMITS.uriLength, joinProperty(at, 'uri'));
      break;
    default:
      break;
  }
}

function checkFlexComponent(c: Collector, comp: unknown, at: string, depth = 0): void {
  if (!isObj(comp) || depth > 50) return;
  if (comp['action'] !== undefined) {
    checkAction(c, comp['action'], joinProperty(at, 'action'), comp['type'] === 'button' ? 'flexButton' : 'other');
  }
  if (comp['type'] === 'box' && Array.isArray(comp['contents'])) {
    comp['contents'].forEach((child, i) => checkFlexComponent(c, child, `${joinProperty(at, 'contents')}[${i}]`, depth + 1));
  }
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
}

function checkFlexBubble(c: Collector, bubble: unknown, at: string, checkSize: boolean): void {
  if (!isObj(bubble)) return;
  if (checkSize && jsonBytes(bubble) > LINE_LIMITS.flexBubbleBytes) {
    c.add(at, `The bubble must be at most ${LINE_LIMITS.flexBubbleBytes} bytes of JSON`);
  }
  for (const block of ['header', 'hero', 'body', 'footer']) {
    if (bubble[block] !== undefined) checkFlexComponent(c, bubble[block], joinProperty(at, block));
  }
  if (bubble['action'] !== undefined) checkAction(c, bubble['action'], joinProperty(at, 'action'), 'other');
}

function checkTemplate(c: Collector, t: unknown, at: string): void {
  if (!isObj(t)) return;
  const actionsAt = joinProperty(at, 'actions');
  const eachAction = (list: unknown, base: string, where: ActionContext) => {
    if (Array.isArray(list)) list.forEach((a, i) => checkAction(c, a, `${base}[${i}]`, where));
  };
  switch (t['type']) {
    case 'buttons': {
      const hasImageOrTitle = t['thumbnailImageUrl'] !== undefined || t['title'] !== undefined;
      c.maxLength(t['title'], LINE_LIMITS.buttonsTemplateTitle, joinProperty(at, 'title'));
      c.maxLength(
        t['text'],
        hasImageOrTitle ? LINE_LIMITS.buttonsTemplateTextWithImageOrTitle : LINE_LIMITS.buttonsTemplateText,
        joinProperty(at, 'text'),
      );
      if (Array.isArray(t['actions']) && (t['actions'].length < 1 || t['actions'].length > LINE_LIMITS.buttonsTemplateActions)) {
        c.add(actionsAt, `Size must be between 1 and ${LINE_LIMITS.buttonsTemplateActions}`);
      }
      eachAction(t['actions'], actionsAt, 'template');
      if (t['defaultAction'] !== undefined) checkAction(c, t['defaultAction'], joinProperty(at, 'defaultAction'), 'other');
      break;
    }
    case 'confirm':
      c.maxLength(t['text'], LINE_LIMITS.confirmTemplateText, joinProperty(at, 'text'));
      if (Array.isArray(t['actions']) && t['actions'].length !== 2) c.add(actionsAt, 'Size must be between 2 and 2');
      eachAction(t['actions'], actionsAt, 'template');
      break;
    case 'carousel': {
      const columnsAt = joinProperty(at, 'columns');
      if (!Array.isArray(t['columns'])) break;
      if (t['columns'].length < 1 || t['columns'].length > LINE_LIMITS.carouselColumns) {
        c.add(columnsAt, `Size must be between 1 and ${LINE_LIMITS.carouselColumns}`);
      }
      t['columns'].forEach((col, i) => {
        if (!isObj(col)) return;
        const colAt = `${columnsAt}[${i}]`;
        const hasImageOrTitle = col['thumbnailImageUrl'] !== undefined || col['title'] !== undefined;
        c.maxLength(col['title'], LINE_LIMITS.carouselColumnTitle, joinProperty(colAt, 'title'));
        c.maxLength(
          col['text'],
          hasImageOrTitle ? LINE_LIMITS.carouselColumnTextWithImageOrTitle : LINE_LIMITS.carouselColumnText,
          joinProperty(colAt, 'text'),
        );
        if (Array.isArray(col['actions']) && (col['actions'].length < 1 || col['actions'].length > LINE_LIMITS.carouselColumnActions)) {
          c.add(joinProperty(colAt, 'actions'), `Size must be between 1 and ${LINE_LIMITS.carouselColumnActions}`);
        }
        eachAction(col['actions'], joinProperty(colAt, 'actions'), 'template');
        if (col['defaultAction'] !== undefined) checkAction(c, col['defaultAction'], joinProperty(colAt, 'defaultAction'), 'other');
      });
      break;
    }
    case 'image_carousel': {
      const columnsAt = joinProperty(at, 'columns');
      if (!Array.isArray(t['columns'])) break;
      if (t['columns'].length < 1 || t['columns'].length > LINE_LIMITS.carouselColumns) {
        c.add(columnsAt, `Size must be between 1 and ${LINE_LIMITS.carouselColumns}`);
      }
      t['columns'].forEach((col, i) => {
        if (isObj(col)) checkAction(c, col['action'], joinProperty(`${columnsAt}[${i}]`, 'action'), 'imageCarousel');
      });
      break;
    }
    default:
      break;
  }
}

/** Check one message object (as found at `at`, e.g. 'messages[0]'). */
export function checkMessageLimits(message: unknown, at: string): SchemaIssue[] {
  const c = new Collector();
  if (!isObj(message)) return c.issues;
  switch (message['type']) {
    case 'text':
    case 'textV2':
      c.notEmpty(message['text'], joinProperty(at, 'text'));
      c.maxLength(message['text'], LINE_LIMITS.textMessageLength, joinProperty(at, 'text'));
      break;
    case 'flex': {
      c.notEmpty(message['altText'], joinProperty(at, 'altText'));
      c.maxLength(message['altText'], LINE_LIMITS.altTextLength, joinProperty(at, 'altText'));
      const contents = message['contents'];
      const contentsAt = joinProperty(at, 'contents');
      if (isObj(contents) && contents['type'] === 'bubble') checkFlexBubble(c, contents, contentsAt, true);
      if (isObj(contents) && contents['type'] === 'carousel' && Array.isArray(contents['contents'])) {
        const bubbles = contents['contents'];
        if (bubbles.length < 1 || bubbles.length > LINE_LIMITS.flexCarouselBubbles) {
          c.add(joinProperty(contentsAt, 'contents'), `Size must be between 1 and ${LINE_LIMITS.flexCarouselBubbles}`);
        }
        if (jsonBytes(contents) > LINE_LIMITS.flexCarouselBytes) {
          c.add(contentsAt, `The carousel must be at most ${LINE_LIMITS.flexCarouselBytes} bytes of JSON`);
        }
        bubbles.forEach((b, i) => checkFlexBubble(c, b, `${joinProperty(contentsAt, 'contents')}[${i}]`, true));
      }
      break;
    }
    case 'template':
      c.notEmpty(message['altText'], joinProperty(at, 'altText'));
      c.maxLength(message['altText'], LINE_LIMITS.altTextLength, joinProperty(at, 'altText'));
      checkTemplate(c, message['template'], joinProperty(at, 'template'));
      break;
    case 'imagemap':
      c.maxLength(message['altText'], LINE_LIMITS.altTextLength, joinProperty(at, 'altText'));
      break;
    default:
      break;
  }
  const qr = message['quickReply'];
  if (isObj(qr)) {
    const itemsAt = joinProperty(joinProperty(at, 'quickReply'), 'items');
    const items = qr['items'];
    if (!Array.isArray(items)) {
      c.add(itemsAt, 'must be specified');
    } else {
      if (items.length < 1 || items.length > LINE_LIMITS.quickReplyItems) {
        c.add(itemsAt, `Size must be between 1 and ${LINE_LIMITS.quickReplyItems}`);
      }
      items.forEach((item, i) => {
        const itemAt = `${itemsAt}[${i}]`;
        if (!isObj(item)) return;
        if (item['type'] !== undefined && item['type'] !== 'action') c.add(joinProperty(itemAt, 'type'), 'must be "action"');
        if (item['action'] === undefined) c.add(joinProperty(itemAt, 'action'), 'must be specified');
        else checkAction(c, item['action'], joinProperty(itemAt, 'action'), 'quickReply');
      });
    }
  }
  return c.issues;
}

const MESSAGE_PATHS = /^\/v2\/bot\/message\/(?:validate\/)?(?:reply|push|multicast|broadcast|narrowcast)$/;

/** Extra checks for a request body on `urlPath`; `[]` when nothing is wrong or nothing applies. */
export function checkLineLimits(urlPath: string, body: unknown): SchemaIssue[] {
  if (!isObj(body)) return [];
  const issues: SchemaIssue[] = [];
  if (MESSAGE_PATHS.test(urlPath) && Array.isArray(body['messages'])) {
    body['messages'].forEach((m, i) => issues.push(...checkMessageLimits(m, `messages[${i}]`)));
  }
  if (urlPath === '/v2/bot/chat/loading/start') {
    const s = body['loadingSeconds'];
    // LINE's definitions add the 5–60 range on top; the multiple of 5 is stated only in prose. Both
    // are checked here too so the tests that rely on them pass without the definitions.
    if (s !== undefined && (typeof s !== 'number' || !Number.isInteger(s))) issues.push({ property: 'loadingSeconds', message: 'must be an integer' });
    else if (typeof s === 'number' && (s < 5 || s > 60)) issues.push({ property: 'loadingSeconds', message: 'must be between 5 and 60' });
    else if (typeof s === 'number' && s % 5 !== 0) issues.push({ property: 'loadingSeconds', message: 'must be a multiple of 5' });
  }
  return issues;
}
