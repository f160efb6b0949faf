import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/app/runtime.js';
import { createWebApp } from '../../src/app/web.js';
import { createLogger } from '../../src/core/logger.js';
import { ev } from '../support/events.js';
import { startTestBot, TEST_SECRET, type TestBot } from '../support/bot.js';
import { signedBody } from '../support/events.js';
import request from 'supertest';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('processing');
});
afterAll(async () => bot?.close());

const repliesFor = (tokens: string[]) =>
  bot.fake.requests
    .filter((r) => r.path === '/v2/bot/message/reply' && tokens.includes((r.body as { replyToken: string }).replyToken))
    .map((r) => (r.body as { replyToken: string }).replyToken);

describe('per-user ordered processing', () => {
  it('when ten messages from one user arrive in one webhook, shuffled, then all are answered in timestamp order', async () => {
    const u = bot.user();
    const events = Array.from({ length: 10 }, (_, i) => ev.text(u.id, `message ${i}`));
    const tokens = events.map((e) => e.replyToken!);
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    expect((await bot.deliver(shuffled)).status).toBe(200);
    await bot.settle();
    expect(repliesFor(tokens)).toEqual(tokens);
    const docs = await bot.rt.models.InboxEvent.find({ userKey: u.id }).sort({ processedAt: 1 }).lean();
    expect(docs.map((d) => d.status)).toEqual(Array(10).fill('done'));
  });

  it('when ten messages from one user arrive as ten simultaneous webhooks, then each is answered exactly once', async () => {
    const u = bot.user();
    const events = Array.from({ length: 10 }, (_, i) => ev.text(u.id, `message ${i}`));
    const results = await Promise.all(events.map((e) => bot.deliver([e])));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    await bot.settle();
    const tokens = events.map((e) => e.replyToken!);
    expect(repliesFor(tokens).sort()).toEqual([...tokens].sort());
    expect(bot.fake.sent(u.id)).toHaveLength(10);
  });

  it('when two web processes share the database and both get a user\'s events, then each event is handled once, in order', async () => {
    const second = await createRuntime({ config: bot.config, logger: createLogger('silent'), mongoUri: bot.db.uri, gateway: { baseDelayMs: 10 } });
    const web2 = createWebApp(second);
    try {
      const u = bot.user();
      const events = Array.from({ length: 12 }, (_, i) => ev.text(u.id, `m${i}`));
      events.forEach((e) => bot.fake.registerReplyToken(e.replyToken!, u.id));
      const post = (app: typeof web2.app, e: (typeof events)[number]) => {
        const { body, signature } = signedBody([e], TEST_SECRET);
        return request(app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', signature).send(body);
      };
      // Each event goes to one process; a few go to both (LINE may deliver twice).
      await Promise.all(events.flatMap((e, i) => (i % 4 === 0 ? [post(bot.web.app, e), post(web2.app, e)] : [post(i % 2 ? web2.app : bot.web.app, e)])));
      await Promise.all([bot.settle(), second.processor.idle()]);
      // A user whose lease was busy in one process is picked up by the other's re-check.
      for (let i = 0; i < 50 && bot.fake.sent(u.id).length < 12; i++) await new Promise((r) => setTimeout(r, 100));
      expect(bot.fake.sent(u.id)).toHaveLength(12);
      expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: u.id, status: 'done' })).toBe(12);
    } finally {
      await web2.stop();
      await second.close();
    }
  });

  it('when one user\'s conversation keeps failing, then it is set aside after 3 attempts and other users are answered', async () => {
    const poisoned = bot.user();
    // A corrupt session document makes every save for this user throw.
    await bot.rt.models.Session.collection.insertOne({ _id: poisoned.id as never, rev: 'corrupt', createdAt: new Date(), updatedAt: new Date() });
    const others = [bot.user(), bot.user(), bot.user()];
    const res = await bot.deliver([ev.text(poisoned.id, 'hello'), ...others.map((o) => ev.text(o.id, 'hello'))]);
    expect(res.status).toBe(200);
    await bot.settle();
    for (const o of others) expect(bot.fake.sent(o.id)).toHaveLength(1);
    const bad = await bot.rt.models.InboxEvent.findOne({ userKey: poisoned.id }).lean();
    expect(bad?.status).toBe('failed');
    expect(bad?.attempts).toBe(3);
    expect(bot.fake.sent(poisoned.id)).toHaveLength(0);
  });
});

describe('recovery', () => {
  it('when a process stored events and crashed holding the user\'s lease, then the sweeper processes them once the lease expires', async () => {
    const u = bot.user();
    const events = [ev.text(u.id, 'one'), ev.text(u.id, 'two')];
    events.forEach((e) => bot.fake.registerReplyToken(e.replyToken!, u.id));
    await bot.rt.inbox.store(events, new Date(Date.now() - 10_000));
    await bot.rt.models.UserLock.create({ _id: u.id, owner: 'dead-process', expiresAt: new Date(Date.now() - 1) });
    bot.web.startSweeper();
    for (let i = 0; i < 50 && bot.fake.sent(u.id).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await bot.settle();
    // Stale reply tokens (10 s old here) are still inside LINE's window; replies are used.
    expect(bot.fake.sent(u.id)).toHaveLength(2);
    expect(await bot.rt.models.InboxPending.countDocuments({ userKey: u.id })).toBe(0);
    expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: u.id, status: 'done' })).toBe(2);
  });

  it('when a lease is held by a live process, then another process does not take the user', async () => {
    const u = bot.user();
    await bot.rt.models.UserLock.create({ _id: u.id, owner: 'other-live-process', expiresAt: new Date(Date.now() + 60_000) });
    await bot.deliver([ev.text(u.id, 'hi')]);
    await bot.settle();
    expect(bot.fake.sent(u.id)).toHaveLength(0);
    expect(await bot.rt.models.InboxPending.countDocuments({ userKey: u.id })).toBe(1);
    expect(await bot.rt.models.InboxEvent.countDocuments({ userKey: u.id })).toBe(0);
  });
});
