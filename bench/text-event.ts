import { randomBytes } from 'node:crypto';
import type { FakeLine } from '../dev/fake-line/server.js';

/** The benchmarks' webhook event: a user's greeting, with a reply token the fake LINE will accept once. */
export function benchTextEvent(fake: FakeLine, i: number, userId: string) {
  const replyToken = randomBytes(16).toString('hex');
  fake.registerReplyToken(replyToken, userId);
  return {
    type: 'message',
    mode: 'active',
    timestamp: Date.now(),
    source: { type: 'user', userId },
    webhookEventId: randomBytes(13).toString('hex').toUpperCase(),
    deliveryContext: { isRedelivery: false },
    replyToken,
    message: { type: 'text', id: String(i), quoteToken: 'q', text: 'สวัสดีค่ะ' },
  };
}
