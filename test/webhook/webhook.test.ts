import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, signedBody } from '../support/events.js';
import { startTestBot, TEST_SECRET, type TestBot, waitingEvents } from '../support/bot.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('webhook');
});
afterAll(async () => bot?.close());

const post = (body: string, signature?: string) => {
  const r = request(bot.web.app).post('/webhook').set('content-type', 'application/json');
  if (signature !== undefined) r.set('x-line-signature', signature);
  return r.send(body);
};

describe('POST /webhook', () => {
  it('when the signature is missing, then 401 and nothing is stored or sent', async () => {
    const { body } = signedBody([ev.text('Uforged1', 'hello')], TEST_SECRET);
    const res = await post(body);
    expect(res.status).toBe(401);
    await bot.settle();
    expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: 'Uforged1' })).toBe(0);
    expect(await waitingEvents(bot.rt, 'Uforged1')).toBe(0);
    expect(bot.fake.sent('Uforged1')).toHaveLength(0);
  });

  it('when the signature is forged with another secret, then 401 and nothing is processed', async () => {
    const { body, signature } = signedBody([ev.text('Uforged2', 'hello')], 'not-the-secret');
    const res = await post(body, signature);
    expect(res.status).toBe(401);
    await bot.settle();
    expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: 'Uforged2' })).toBe(0);
    expect(await waitingEvents(bot.rt, 'Uforged2')).toBe(0);
    expect(bot.fake.sent('Uforged2')).toHaveLength(0);
  });

  it('when the body is changed after signing, then 401', async () => {
    const { body, signature } = signedBody([ev.text('Uforged3', 'hello')], TEST_SECRET);
    const res = await post(body.replace('hello', 'hellp'), signature);
    expect(res.status).toBe(401);
  });

  it('when the text holds emoji and Thai, then the signature over the raw bytes still verifies', async () => {
    const u = bot.user();
    const a = await u.says('สวัสดีค่ะ 😀🙏 \u2028 "quoted" \\ slash');
    expect(a.messages.length).toBeGreaterThan(0);
  });

  it('when the JSON is malformed but signed, then 400', async () => {
    const body = '{"events": [';
    const { signature } = { signature: (await import('../../src/webhook/signature.js')).sign(body, TEST_SECRET) };
    expect((await post(body, signature)).status).toBe(400);
  });

  it('when events is empty (the console Verify button), then 200 and nothing is sent', async () => {
    const before = bot.fake.requests.length;
    const { body, signature } = signedBody([], TEST_SECRET);
    expect((await post(body, signature)).status).toBe(200);
    await bot.settle();
    expect(bot.fake.requests.length).toBe(before);
  });

  it('when the same event arrives twice and then as a redelivery, then it is stored and answered once', async () => {
    const u = bot.user();
    const e = ev.text(u.id, 'hello');
    expect((await bot.deliver([e])).status).toBe(200);
    expect((await bot.deliver([e])).status).toBe(200);
    await bot.settle();
    // Redelivered after it was processed: found by the session's applied-event guard, dropped.
    const redelivered = { ...e, deliveryContext: { isRedelivery: true } };
    expect((await bot.deliver([redelivered])).status).toBe(200);
    await bot.settle();
    expect(await appliedOf(u.id)).toEqual([e.webhookEventId]);
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
    expect(bot.fake.sent(u.id)).toHaveLength(1);
  });

  it('when an event is in standby mode, then it is recorded and nothing is sent', async () => {
    const u = bot.user();
    const e = ev.text(u.id, 'hello', { mode: 'standby' });
    await bot.deliver([e]);
    await bot.settle();
    expect(await appliedOf(u.id)).toEqual([e.webhookEventId]);
    expect(bot.fake.sent(u.id)).toHaveLength(0);
  });

  it('when an event type is unknown, then it is recorded as ignored and the webhook still answers 200', async () => {
    const u = bot.user();
    const odd = { type: 'somethingNew', mode: 'active', timestamp: Date.now(), source: { type: 'user', userId: u.id }, webhookEventId: '01JUNKNOWNEVENT000000000000', deliveryContext: { isRedelivery: false } };
    const res = await bot.deliver([odd as never]);
    expect(res.status).toBe(200);
    await bot.settle();
    expect(await appliedOf(u.id)).toEqual([odd.webhookEventId]);
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
    expect(bot.fake.sent(u.id)).toHaveLength(0);
  });

  it('when an event is processed, then its payload (message text) leaves the database', async () => {
    const u = bot.user();
    await u.says('my secret text');
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
    expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: u.id })).toBe(0);
    expect(JSON.stringify(await bot.rt.models.Session.findById(u.id).lean())).not.toContain('my secret text');
  });
});

async function appliedOf(userId: string): Promise<string[]> {
  return ((await bot.rt.models.Session.findById(userId).lean())?.applied as string[] | undefined) ?? [];
}

describe('GET /healthz', () => {
  it('when the database answers, then 200', async () => {
    const res = await request(bot.web.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });
});
