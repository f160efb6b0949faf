import { randomBytes } from 'node:crypto';
import type { webhook } from '@line/bot-sdk';
import { sign } from '../../src/webhook/signature.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTs = 0;

/** A ULID-shaped id like LINE's webhookEventId. */
export function eventId(): string {
  const bytes = randomBytes(26);
  return Array.from(bytes, (b) => CROCKFORD[b % 32]).join('');
}

/** Strictly increasing millisecond timestamps, so events sent in order have distinct times. */
export function nextTimestamp(): number {
  lastTs = Math.max(Date.now(), lastTs + 1);
  return lastTs;
}

export const replyToken = () => randomBytes(16).toString('hex');

type Base = Pick<webhook.Event, 'mode' | 'timestamp' | 'webhookEventId' | 'deliveryContext'>;
const base = (over: Partial<Base> = {}): Base => ({
  mode: 'active',
  timestamp: nextTimestamp(),
  webhookEventId: eventId(),
  deliveryContext: { isRedelivery: false },
  ...over,
});
const user = (userId: string) => ({ type: 'user' as const, userId });

export const ev = {
  text: (userId: string, text: string, over: Partial<Base> = {}): webhook.MessageEvent => ({
    ...base(over),
    type: 'message',
    source: user(userId),
    replyToken: replyToken(),
    message: { type: 'text', id: eventId(), quoteToken: eventId(), text } as webhook.TextMessageContent,
  }),
  postback: (userId: string, data: string, params?: Record<string, string>, over: Partial<Base> = {}): webhook.PostbackEvent => ({
    ...base(over),
    type: 'postback',
    source: user(userId),
    replyToken: replyToken(),
    postback: { data, ...(params ? { params } : {}) } as webhook.PostbackContent,
  }),
  location: (userId: string, latitude: number, longitude: number, address = '', over: Partial<Base> = {}): webhook.MessageEvent => ({
    ...base(over),
    type: 'message',
    source: user(userId),
    replyToken: replyToken(),
    message: { type: 'location', id: eventId(), latitude, longitude, address } as webhook.LocationMessageContent,
  }),
  sticker: (userId: string, over: Partial<Base> = {}): webhook.MessageEvent => ({
    ...base(over),
    type: 'message',
    source: user(userId),
    replyToken: replyToken(),
    message: { type: 'sticker', id: eventId(), quoteToken: eventId(), packageId: '446', stickerId: '1988', stickerResourceType: 'STATIC' } as webhook.StickerMessageContent,
  }),
  follow: (userId: string, over: Partial<Base> = {}): webhook.FollowEvent => ({
    ...base(over),
    type: 'follow',
    source: user(userId),
    replyToken: replyToken(),
    follow: { isUnblocked: false },
  }),
  unfollow: (userId: string, over: Partial<Base> = {}): webhook.UnfollowEvent => ({
    ...base(over),
    type: 'unfollow',
    source: user(userId),
  }),
};

/** A webhook body and its signature, exactly as LINE sends them. */
export function signedBody(events: readonly unknown[], secret: string): { body: string; signature: string } {
  const body = JSON.stringify({ destination: 'U' + 'f'.repeat(32), events });
  return { body, signature: sign(body, secret) };
}
