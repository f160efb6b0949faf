import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { signedBody, ev } from '../support/events.js';

const TOKEN = 'metrics-token-for-tests-0001';
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('metrics', { METRICS_TOKEN: TOKEN });
});
afterAll(async () => bot?.close());

async function scrape(): Promise<string> {
  const res = await request(bot.web.app).get('/metrics').set('authorization', `Bearer ${TOKEN}`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

/** The value of one sample, e.g. value(text, 'otop_webhook_requests_total{status="401"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('/metrics', () => {
  it('when scraped without or with a wrong token, then 401 and no figures', async () => {
    expect((await request(bot.web.app).get('/metrics')).status).toBe(401);
    const wrong = await request(bot.web.app).get('/metrics').set('authorization', 'Bearer not-the-token-at-all-xx');
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain('otop_');
  });

  it('when webhooks arrive (good and forged) and events are handled, then requests by status and events by outcome are counted', async () => {
    const u = bot.user();
    await u.follow();
    await u.says('สวัสดี');
    const { body } = signedBody([ev.text(u.id, 'x')], 'wrong-secret');
    await request(bot.web.app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', 'forged').send(body);
    const text = await scrape();
    expect(value(text, 'otop_webhook_requests_total{status="200"}')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'otop_webhook_requests_total{status="401"}')).toBe(1);
    expect(value(text, 'otop_events_handled_total{outcome="done"}')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'otop_events_waiting')).toBe(0);
    expect(value(text, 'otop_events_oldest_waiting_age_seconds')).toBe(0);
    expect(value(text, 'otop_events_set_aside{status="failed"}')).toBe(0);
    expect(value(text, 'otop_line_requests_total{endpoint="reply",status="200"}')).toBeGreaterThanOrEqual(2);
  });

  it('when events wait in the inbox and messages in the outbox, then their depth and the oldest one\'s age are reported (0 while the outbox is empty or absent)', async () => {
    const before = await scrape();
    expect(value(before, 'otop_outbox_pending')).toBe(0);
    expect(value(before, 'otop_outbox_oldest_pending_age_seconds')).toBe(0);

    const db = bot.rt.db.conn;
    const minuteAgo = new Date(Date.now() - 60_000);
    await db.collection('inbox_pending').insertOne({ _id: 'metrics-waiting-1' as never, userKey: 'Umetrics', timestamp: 1, receivedAt: minuteAgo, payload: null });
    await db.collection('outbox').insertMany([
      { _id: 'metrics:1' as never, status: 'pending', createdAt: new Date(Date.now() - 120_000) },
      { _id: 'metrics:2' as never, status: 'pending', createdAt: new Date() },
      { _id: 'metrics:3' as never, status: 'sent', createdAt: new Date(Date.now() - 900_000) },
    ]);
    try {
      const text = await scrape();
      expect(value(text, 'otop_events_waiting')).toBe(1);
      expect(value(text, 'otop_events_oldest_waiting_age_seconds')).toBeGreaterThanOrEqual(59);
      expect(value(text, 'otop_outbox_pending')).toBe(2);
      const age = value(text, 'otop_outbox_oldest_pending_age_seconds')!;
      expect(age).toBeGreaterThanOrEqual(119);
      expect(age).toBeLessThan(900);
    } finally {
      await db.collection('inbox_pending').deleteOne({ _id: 'metrics-waiting-1' as never });
      await db.collection('outbox').deleteMany({ _id: { $in: ['metrics:1', 'metrics:2', 'metrics:3'] as never[] } });
    }
  });

  it('when LINE answers 429 and 500, then LINE requests are counted by endpoint and status with 429s apart', async () => {
    bot.fake.fail({ path: '/v2/bot/message/push', status: 429, times: 1 });
    bot.fake.fail({ path: '/v2/bot/message/push', status: 500, times: 1 });
    await bot.rt.gateway.push('U' + 'c'.repeat(32), [{ type: 'text', text: 'hello' }]);
    const text = await scrape();
    expect(value(text, 'otop_line_requests_total{endpoint="push",status="429"}')).toBe(1);
    expect(value(text, 'otop_line_requests_total{endpoint="push",status="500"}')).toBe(1);
    expect(value(text, 'otop_line_requests_total{endpoint="push",status="200"}')).toBe(1);
    expect(value(text, 'otop_line_throttled_total{endpoint="push"}')).toBe(1);
  });

  it('when the channel has a monthly limit, then quota used, left and limit are reported', async () => {
    const fresh = await startTestBot('metrics-quota', { METRICS_TOKEN: TOKEN });
    try {
      fresh.fake.setQuota(1000);
      await fresh.rt.gateway.push('U' + 'd'.repeat(32), [{ type: 'text', text: 'one' }]);
      const res = await request(fresh.web.app).get('/metrics').set('authorization', `Bearer ${TOKEN}`);
      expect(value(res.text, 'otop_line_message_quota{kind="limit"}')).toBe(1000);
      expect(value(res.text, 'otop_line_message_quota{kind="used"}')).toBe(1);
      expect(value(res.text, 'otop_line_message_quota{kind="left"}')).toBe(999);
    } finally {
      await fresh.close();
    }
  });
});
