import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { text } from '../../src/bot/messages.js';
import { createLogger } from '../../src/core/logger.js';
import { deriveRetryKey } from '../../src/line/gateway.js';
import { OutboxDrainer } from '../../src/outbox/drainer.js';
import type { OutboxDoc } from '../../src/outbox/outbox.js';
import { trainingData } from '../../src/features/training/cards.js';
import { seedTrainings } from '../../src/features/training/seed.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { registerInThai } from '../support/journeys.js';
import { saveRegistered } from '../support/producers.js';
import { waitFor } from '../support/wait.js';

let bot: TestBot;
const PUSH = '/v2/bot/message/push';
const REPLY = '/v2/bot/message/reply';

beforeAll(async () => {
  // A short LINE timeout so that "slower than the timeout" tests stay quick.
  bot = await startTestBot('outbox', { LINE_REQUEST_TIMEOUT_MS: '400' });
  bot.web.startSweeper(); // starts the drainer, as the web process does
  await seedTrainings(bot.rt.models, {
    now: new Date(),
    samples: [
      {
        code: 'ONE-SEAT',
        title: { th: 'ห้องเล็ก', en: 'Small room' },
        topic: 'tiktok_shop',
        mode: 'onsite',
        provinceCode: '50',
        venue: { th: 'ศาลากลาง', en: 'City hall' },
        startInDays: 10,
        startTime: '09:00',
        endTime: '16:00',
        capacity: 1,
        deadlineDaysBeforeStart: 2,
        office: { th: 'สำนักงานพัฒนาชุมชน', en: 'CD Office' },
      },
    ],
  });
});
afterAll(async () => bot?.close());
beforeEach(() => bot.fake.reset());
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

const outboxOf = (userId: string) => bot.rt.models.Outbox.find({ to: userId }).lean<OutboxDoc[]>();
const pushesTo = (userId: string) => bot.fake.requests.filter((r) => r.path === PUSH && (r.body as { to?: string })?.to === userId);

describe('answers through the outbox', () => {
  it('when the reply token is refused and the push meets 500, 500, 500, 429, a dropped socket, then the answer arrives once, with one retry key', async () => {
    const u = bot.user();
    bot.fake.fail({ path: REPLY, status: 400, body: { message: 'Invalid reply token' } });
    bot.fake.fail({ path: PUSH, status: 500, times: 3 });
    bot.fake.fail({ path: PUSH, status: 429, headers: { 'retry-after': '1' } });
    bot.fake.fail({ path: PUSH, drop: 'before' });
    await u.says('สวัสดี');
    const sent = await bot.fake.waitForSent(u.id, 1, 15_000);
    // The drainer records "sent" after LINE's answer: on a loaded machine that can take a moment.
    await expect.poll(async () => (await outboxOf(u.id))[0]?.status, { timeout: 5_000 }).toBe('sent');
    const pushes = pushesTo(u.id);
    expect(pushes.map((p) => p.status)).toEqual([500, 500, 500, 429, 0, 200]);
    expect(new Set(pushes.map((p) => p.headers['x-line-retry-key'])).size).toBe(1);
    // Retry-After: 1 was honoured.
    expect(pushes[4]!.at - pushes[3]!.at).toBeGreaterThanOrEqual(950);
    expect(bot.fake.sent(u.id)).toHaveLength(sent.length);
    for (let i = 0; i < 50 && (await outboxOf(u.id))[0]?.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 50));
    const docs = await outboxOf(u.id);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ status: 'sent', kind: 'push', cause: { type: 'event' } });
    expect(docs[0]!._id).toMatch(/^evt:.+:push:0$/);
    expect(docs[0]!.retryKey).toBe(deriveRetryKey(docs[0]!._id));
  }, 30_000);

  it('when the reply is slower than the timeout, then it is aborted and the user gets the answer once, by reply', async () => {
    const u = bot.user();
    bot.fake.fail({ path: REPLY, delayMs: 900 });
    const a = await u.says('สวัสดี');
    await new Promise((r) => setTimeout(r, 1_000)); // the held first request is served late
    expect(a.sent.length).toBeGreaterThan(0);
    expect(bot.fake.sent(u.id)).toHaveLength(a.sent.length);
    expect(bot.fake.sent(u.id).every((m) => m.via === 'reply')).toBe(true);
    expect(pushesTo(u.id)).toHaveLength(0);
  });

  it('when LINE accepts the reply but the answer is lost, then nothing is pushed and the unknown outcome is recorded', async () => {
    const u = bot.user();
    bot.fake.fail({ path: REPLY, drop: 'after' });
    await u.says('สวัสดี');
    await new Promise((r) => setTimeout(r, 300));
    const replied = bot.fake.sent(u.id);
    expect(replied.length).toBeGreaterThan(0);
    expect(replied.every((m) => m.via === 'reply')).toBe(true);
    expect(pushesTo(u.id)).toHaveLength(0);
    const docs = await outboxOf(u.id);
    expect(docs).toEqual([expect.objectContaining({ status: 'unknown' })]);
    expect(docs[0]!._id).toMatch(/^evt:.+:reply$/);
  });
});

describe('the drainer', () => {
  const item = (id: string, to: string) => ({ _id: id, kind: 'push' as const, to: [to], messages: [text(`hello ${id}`)], cause: { type: 'test', id } });

  it('when the same cause is recorded twice, then there is one document and one message', async () => {
    const to = bot.user().id;
    await bot.rt.outbox.enqueue([item('test:dup', to)]);
    await bot.rt.outbox.enqueue([item('test:dup', to), item('test:dup2', to)]);
    await bot.rt.drainer.drainOnce();
    // The running drainer (kicked by enqueue) may be the one that sends: wait for both, then look for a third.
    await bot.fake.waitForSent(to, 2, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await bot.rt.models.Outbox.countDocuments({ to })).toBe(2);
    expect(bot.fake.sent(to).map((m) => m.message.text).sort()).toEqual(['hello test:dup', 'hello test:dup2']);
  });

  it('when an earlier sender got through before crashing (LINE answers 409 for the key), then the item counts as sent and nothing is sent twice', async () => {
    const to = bot.user().id;
    const it0 = item('test:409', to);
    await bot.rt.gateway.pushOnce(to, it0.messages, deriveRetryKey(it0._id)); // the "crashed" sender
    await bot.rt.outbox.enqueue([it0]);
    await bot.rt.drainer.drainOnce();
    await waitFor(async () => (await bot.rt.outbox.get(['test:409']))[0]?.status === 'sent');
    expect(bot.fake.requests.filter((r) => (r.body as { to?: string }).to === to).map((r) => r.status)).toEqual([200, 409]);
    expect(bot.fake.sent(to)).toHaveLength(1);
    expect((await bot.rt.outbox.get(['test:409']))[0]?.status).toBe('sent');
  });

  it('when the quota is spent, the user blocked the bot or LINE rejects the message, then each is failed with why, not retried', async () => {
    const to = bot.user().id;
    bot.fake.fail({ path: PUSH, status: 429, body: { message: 'You have reached your monthly limit.' } });
    bot.fake.fail({ path: PUSH, status: 403, body: { message: 'Not a friend' } });
    bot.fake.fail({ path: PUSH, status: 400, body: { message: 'bad' } });
    const settled: OutboxDoc[] = [];
    const drainer = new OutboxDrainer({ models: bot.rt.models, gateway: bot.rt.gateway, logger: createLogger('silent'), concurrency: 1, onSettled: async (d) => void settled.push(d) });
    // The web process's own drainer may claim an item first: it reports through the runtime's hook.
    bot.rt.onOutboxSettled(async (d) => {
      if (['test:q', 'test:b', 'test:r'].includes(d._id)) settled.push(d);
    });
    for (const id of ['test:q', 'test:b', 'test:r']) {
      await bot.rt.models.Outbox.collection.insertOne({
        _id: id as never, kind: 'push', to: [to], messages: [text('x')], retryKey: deriveRetryKey(id), status: 'pending', attempts: 0,
        nextAttemptAt: new Date(Date.now() + 60_000), createdAt: new Date(), cause: { type: 'test', id },
      });
    }
    // Made due one at a time so the faults meet them in this order.
    for (const id of ['test:q', 'test:b', 'test:r']) {
      await bot.rt.models.Outbox.updateOne({ _id: id }, { $set: { nextAttemptAt: new Date(0) } });
      await drainer.drainOnce();
      await waitFor(() => settled.some((d) => d._id === id));
    }
    const docs = await bot.rt.outbox.get(['test:q', 'test:b', 'test:r']);
    const byId = Object.fromEntries(docs.map((d) => [d._id, d]));
    expect(byId['test:q']).toMatchObject({ status: 'failed', attempts: 1, failure: { kind: 'quota', status: 429 } });
    expect(byId['test:b']).toMatchObject({ status: 'failed', attempts: 1, failure: { kind: 'blocked', status: 403 } });
    expect(byId['test:r']).toMatchObject({ status: 'failed', attempts: 1, failure: { kind: 'rejected', status: 400 } });
    expect(settled.map((d) => d._id)).toEqual(['test:q', 'test:b', 'test:r']);
    expect(bot.fake.sent(to)).toHaveLength(0);
  });

  it('when no drainer was running (a restart), then items recorded before are delivered by the next one', async () => {
    const to = bot.user().id;
    await bot.rt.models.Outbox.collection.insertOne({
      _id: 'test:left' as never, kind: 'push', to: [to], messages: [text('left behind')], retryKey: deriveRetryKey('test:left'),
      status: 'pending', attempts: 1, nextAttemptAt: new Date(Date.now() - 1), createdAt: new Date(), cause: { type: 'test', id: 'left' },
    });
    const fresh = new OutboxDrainer({ models: bot.rt.models, gateway: bot.rt.gateway, logger: createLogger('silent') });
    await fresh.drainOnce();
    expect(bot.fake.sent(to).map((m) => m.message.text)).toEqual(['left behind']);
  });
});

describe('reading items back', () => {
  it('when some items are pending, some settled and one was never recorded, then get returns each recorded item once with its current status', async () => {
    const to = bot.user().id;
    const later = new Date(Date.now() + 3_600_000); // not due: the running drainer leaves them alone
    const ids = ['get:p1', 'get:p2', 'get:sent', 'get:failed'];
    await bot.rt.outbox.enqueue(ids.map((id) => ({ _id: id, kind: 'push' as const, to: [to], messages: [text(id)], cause: { type: 'test', id }, notBefore: later })));
    await bot.rt.models.Outbox.updateOne({ _id: 'get:sent' }, { $set: { status: 'sent', sentAt: new Date() } });
    await bot.rt.models.Outbox.updateOne({ _id: 'get:failed' }, { $set: { status: 'failed', failure: { kind: 'blocked', status: 403, reason: 'blocked' } } });
    const docs = await bot.rt.outbox.get(['get:p1', 'get:sent', 'get:none', 'get:failed', 'get:p2']);
    expect(Object.fromEntries(docs.map((d) => [d._id, d.status]))).toEqual({ 'get:p1': 'pending', 'get:p2': 'pending', 'get:sent': 'sent', 'get:failed': 'failed' });
    expect(docs).toHaveLength(4);
    expect((await bot.rt.outbox.get(['get:sent']))[0]?.status).toBe('sent');
  });
});

describe('waiting-list promotion notices', () => {
  const idOf = async () => String((await bot.rt.models.Training.findOne({ code: 'ONE-SEAT' }).lean())!._id);

  it('when a confirmed producer erases their data while LINE is down, then the first person waiting is promoted and told once LINE is back', async () => {
    const id = await idOf();
    const holder = bot.user();
    const waiter = bot.user();
    await registerInThai(holder);
    await saveRegistered(bot.rt.producers, waiter.id); // sign-up needs a registration
    await holder.postback(trainingData('join', id));
    await waiter.postback(trainingData('wait', id));
    expect(waiter.last.text).toContain('ลำดับที่ 1');

    await holder.says('ลบข้อมูลของฉัน');
    bot.fake.fail({ path: PUSH, status: 503, times: 3 });
    await holder.taps('ลบข้อมูลทั้งหมด');
    const sent = await bot.fake.waitForSent(waiter.id, 2, 10_000);
    const notice = sent.at(-1)!;
    expect(notice.via).toBe('push');
    expect(notice.message.text).toContain('มีที่นั่งว่างแล้ว');
    expect((await bot.rt.models.TrainingSignup.findOne({ userId: waiter.id }).lean())?.status).toBe('confirmed');
    const promos = async () => (await outboxOf(waiter.id)).filter((d) => d._id.startsWith('promo:'));
    for (let i = 0; i < 50 && (await promos())[0]?.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 50));
    const docs = await promos();
    expect(docs).toEqual([expect.objectContaining({ status: 'sent', cause: expect.objectContaining({ type: 'promotion' }) })]);
    await new Promise((r) => setTimeout(r, 200));
    expect(bot.fake.sent(waiter.id).filter((m) => m.via === 'push')).toHaveLength(1);
  }, 30_000);
});
