import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../src/app/web.js';
import { createLogger } from '../../src/core/logger.js';
import { replayFailedEvents } from '../../src/inbox/replay.js';
import { Inbox, INBOX_CAP } from '../../src/inbox/inbox.js';
import { ev, signedBody } from '../support/events.js';
import { waitFor } from '../support/wait.js';
import { startTestBot, TEST_SECRET, type TestBot, waitingEvents } from '../support/bot.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('processing', { INBOX_LEASE_MS: '1000' });
});
afterAll(async () => bot?.close());

const repliesFor = (tokens: string[]) =>
  bot.fake.requests
    .filter((r) => r.path === '/v2/bot/message/reply' && tokens.includes((r.body as { replyToken: string }).replyToken))
    .map((r) => (r.body as { replyToken: string }).replyToken);
const sessionOf = async (userId: string) => bot.rt.models.Session.findById(userId).lean();
const appliedOf = async (userId: string) => ((await sessionOf(userId))?.applied as string[] | undefined) ?? [];
const post = (app: WebApp['app'], events: unknown[]) => {
  const { body, signature } = signedBody(events, TEST_SECRET);
  return request(app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', signature).send(body);
};
/** A second web process on the same database (what README promises: several web processes). */
async function secondProcess(env: Partial<Record<string, string>> = {}): Promise<{ rt: Runtime; web: WebApp; close(): Promise<void> }> {
  const rt = await createRuntime({ config: { ...bot.config, ...env } as typeof bot.config, logger: createLogger('silent'), mongoUri: bot.db.uri, gateway: { baseDelayMs: 10 } });
  const web = createWebApp(rt);
  return { rt, web, close: async () => { await web.stop(); await rt.close(); } };
}

describe('per-user ordered processing', () => {
  it('when ten messages from one user arrive in one webhook, shuffled, then all are answered in timestamp order', async () => {
    const u = bot.user();
    const events = Array.from({ length: 10 }, (_, i) => ev.text(u.id, `message ${i}`));
    const tokens = events.map((e) => e.replyToken!);
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    expect((await bot.deliver(shuffled)).status).toBe(200);
    await bot.settle();
    expect(repliesFor(tokens)).toEqual(tokens);
    expect(await appliedOf(u.id)).toEqual(events.map((e) => e.webhookEventId));
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
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

  it('when an event arrives after a later one was applied, then it is handled late, not lost', async () => {
    const u = bot.user();
    const early = ev.text(u.id, 'first');
    const later = ev.text(u.id, 'second');
    bot.fake.registerReplyToken(early.replyToken!, u.id);
    await u.bot.deliver([later]);
    await bot.settle();
    await u.bot.deliver([early]);
    await bot.settle();
    expect(await appliedOf(u.id)).toEqual([later.webhookEventId, early.webhookEventId]);
    expect(bot.fake.sent(u.id)).toHaveLength(2);
  });
});

describe('two web processes', () => {
  it('when ten texts from one user reach two processes a few ms apart, then they are handled in order, none twice, none lost', async () => {
    // Both processes wait a short settle window before handling a user's newest event.
    await bot.close();
    bot = await startTestBot('processing2', { INBOX_LEASE_MS: '1000', INBOX_SETTLE_MS: '60' });
    const other = await secondProcess();
    try {
      for (let trial = 0; trial < 3; trial++) {
        const u = bot.user();
        const events = Array.from({ length: 10 }, (_, i) => ev.text(u.id, `m${i}`));
        events.forEach((e) => bot.fake.registerReplyToken(e.replyToken!, u.id));
        // Sent in timestamp order, alternating processes, each landing 0–8 ms after the one before.
        await Promise.all(
          events.map(async (e, i) => {
            await new Promise((r) => setTimeout(r, i * 4 + Math.random() * 8));
            const res = await post(i % 2 ? other.web.app : bot.web.app, [e]);
            expect(res.status).toBe(200);
            if (i % 5 === 0) expect((await post(i % 2 ? bot.web.app : other.web.app, [e])).status).toBe(200); // LINE sent it twice
          }),
        );
        await waitFor(async () => (await appliedOf(u.id)).length >= 10);
        await Promise.all([bot.settle(), other.rt.processor.idle()]);
        expect(await appliedOf(u.id)).toEqual(events.map((e) => e.webhookEventId));
        expect(bot.fake.sent(u.id)).toHaveLength(10);
        expect(new Set(bot.fake.sent(u.id).map((m) => m.via))).toEqual(new Set(['reply']));
      }
    } finally {
      await other.close();
    }
  }, 60_000);

  it('when a handler takes longer than the lease, then the heartbeat keeps it and the other process does not run the event again', async () => {
    const other = await secondProcess();
    try {
      const u = bot.user();
      bot.fake.setProfile(u.id, { displayName: 'Slow', language: 'th' });
      // The follow handler asks LINE for the profile; LINE takes 1.8 s (the lease is 1 s).
      bot.fake.fail({ path: `/v2/bot/profile/${u.id}`, delayMs: 1_800 });
      const follow = ev.follow(u.id);
      bot.fake.registerReplyToken(follow.replyToken!, u.id);
      expect((await post(bot.web.app, [follow])).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_300)); // the lease would have run out by now
      other.rt.processor.kick(u.id, 0);
      other.web.startSweeper();
      await waitFor(async () => (await appliedOf(u.id)).length >= 1);
      await Promise.all([bot.settle(), other.rt.processor.idle()]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await appliedOf(u.id)).toEqual([follow.webhookEventId]);
      expect(bot.fake.requests.filter((r) => r.path === `/v2/bot/profile/${u.id}`)).toHaveLength(1);
      expect(bot.fake.sent(u.id).length).toBeGreaterThan(0);
      expect(bot.fake.sent(u.id).every((m) => m.via === 'reply')).toBe(true);
    } finally {
      await other.close();
    }
  }, 20_000);

  it('when a process shuts down, then its users\' leases are released, not left to expire', async () => {
    const other = await secondProcess();
    const u = bot.user();
    bot.fake.fail({ path: '/v2/bot/message/reply', delayMs: 300 });
    await post(other.web.app, [ev.text(u.id, 'hello')]);
    await waitFor(async () => Boolean((await sessionOf(u.id))?.leaseOwner), 20_000); // being handled
    await other.close(); // waits for the user's event, then releases
    const s = await sessionOf(u.id);
    expect(s?.leaseOwner ?? null).toBeNull();
    expect((s?.applied as string[]).length).toBe(1);
  });
});

describe('failures', () => {
  it('when the session save fails once after the handler ran, then only the save is retried: the name is applied once and the phone is asked', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    const commit = bot.rt.sessions.commit.bind(bot.rt.sessions);
    let failures = 0;
    let handled = 0;
    bot.rt.sessions.commit = async (...args) => {
      handled++;
      if (failures++ === 0) throw new Error('write concern timeout (injected)');
      return commit(...args);
    };
    try {
      const a = await u.says('สมศรี ใจดี');
      expect(a.sent).toHaveLength(1);
      expect(a.text).toContain('เบอร์');
      expect(handled).toBe(2); // one failed save, one good save, one handler run
    } finally {
      bot.rt.sessions.commit = commit;
    }
    const b = await u.says('0812345678');
    expect(b.text).not.toContain('เบอร์โทรศัพท์ไม่ถูกต้อง');
    expect((await sessionOf(u.id))?.flow).toMatchObject({ answers: { fullName: 'สมศรี ใจดี' } });
  });

  it('when a handler fails for longer than a quick retry (a database fail-over), then it is retried and the user is answered', async () => {
    const u = bot.user();
    await bot.rt.models.Session.collection.insertOne(poisoned(u.id));
    await bot.deliver([ev.text(u.id, 'สวัสดี')]);
    await new Promise((r) => setTimeout(r, 80)); // two attempts have failed by now
    await bot.rt.models.Session.updateOne({ _id: u.id }, { $set: { flow: null } }); // the "fail-over" ends
    await bot.settle();
    expect(bot.fake.sent(u.id).length).toBeGreaterThan(0);
    expect(bot.fake.sent(u.id).map((m) => m.message.text).join()).not.toContain('ขออภัย');
  });

  it('when one user\'s conversation keeps failing, then after the last attempt they get an apology with an officer button, the payload is kept sealed, others are answered, and an operator can replay it', async () => {
    const u = bot.user();
    await bot.rt.models.Session.collection.insertOne(poisoned(u.id));
    const others = [bot.user(), bot.user(), bot.user()];
    const bad = ev.text(u.id, 'my secret words');
    const res = await bot.deliver([bad, ...others.map((o) => ev.text(o.id, 'hello'))]);
    expect(res.status).toBe(200);
    await bot.settle();
    for (const o of others) expect(bot.fake.sent(o.id)).toHaveLength(1);
    const sent = bot.fake.sent(u.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.via).toBe('push');
    expect(sent[0]!.message.text).toContain('ขออภัย');
    expect(JSON.stringify(sent[0]!.message.quickReply)).toContain('ติดต่อเจ้าหน้าที่');
    const ledger = await bot.rt.models.InboxEvent.findById(bad.webhookEventId).lean();
    expect(ledger).toMatchObject({ status: 'failed', attempts: 5 });
    expect(ledger?.sealedPayload).toBeTruthy();
    expect(JSON.stringify(ledger)).not.toContain('my secret words');
    expect(ledger!.keepUntil!.getTime()).toBeGreaterThan(Date.now());

    // The operator fixes the cause and replays the event: it is handled, answered by push.
    await bot.rt.models.Session.updateOne({ _id: u.id }, { $set: { flow: null } });
    const r = await replayFailedEvents(bot.rt.models, bot.rt.sealer, [bad.webhookEventId!, 'no-such-event']);
    expect(r).toEqual({ replayed: [bad.webhookEventId], missing: ['no-such-event'] });
    bot.rt.processor.kick(u.id, 0);
    await bot.settle();
    expect(bot.fake.sent(u.id)).toHaveLength(2);
    expect((await bot.rt.models.InboxEvent.findById(bad.webhookEventId).lean())?.sealedPayload).toBeUndefined();
  });
});

describe('recovery', () => {
  it('when a process stored events and crashed holding the user\'s lease, then the sweeper processes them once the lease expires', async () => {
    const u = bot.user();
    const events = [ev.text(u.id, 'one'), ev.text(u.id, 'two')];
    events.forEach((e) => bot.fake.registerReplyToken(e.replyToken!, u.id));
    await bot.rt.models.Session.collection.insertOne({ _id: u.id as never, rev: 0, createdAt: new Date(), updatedAt: new Date(), leaseOwner: 'dead-process', leaseUntil: new Date(Date.now() - 1) });
    await bot.rt.inbox.store(events, new Date(Date.now() - 10_000));
    bot.web.startSweeper();
    await waitFor(() => bot.fake.sent(u.id).length >= 2);
    await bot.settle();
    expect(bot.fake.sent(u.id)).toHaveLength(2);
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
    expect(await appliedOf(u.id)).toEqual(events.map((e) => e.webhookEventId));
  });

  it('when a lease is held by a live process, then another process does not take the user', async () => {
    const u = bot.user();
    await bot.rt.models.Session.collection.insertOne({ _id: u.id as never, rev: 0, createdAt: new Date(), updatedAt: new Date(), leaseOwner: 'other-live-process', leaseUntil: new Date(Date.now() + 60_000) });
    await bot.deliver([ev.text(u.id, 'hi')]);
    await bot.settle();
    expect(bot.fake.sent(u.id)).toHaveLength(0);
    expect(await waitingEvents(bot.rt, u.id)).toBe(1);
    expect(await appliedOf(u.id)).toEqual([]);
  });
});

describe('pending events in the user\'s document', () => {
  it('when events are stored, then they wait in the user\'s document and leave it with the commit that applies them', async () => {
    const u = bot.user();
    await bot.rt.models.Session.collection.insertOne({ _id: u.id as never, rev: 0, createdAt: new Date(), updatedAt: new Date(), leaseOwner: 'other-live-process', leaseUntil: new Date(Date.now() + 60_000) });
    // Ids a field path cannot hold as they are (a dot, a leading dollar): stored under a hash, still deduplicated.
    const events = [ev.text(u.id, 'one', { webhookEventId: 'a.b' }), ev.text(u.id, 'two', { webhookEventId: '$x' })];
    events.forEach((e) => bot.fake.registerReplyToken(e.replyToken!, u.id));
    const r = await bot.rt.inbox.store([...events, events[0]]);
    expect(r.stored).toBe(3);
    expect(await waitingEvents(bot.rt, u.id)).toBe(2);
    expect((await sessionOf(u.id))?.inboxCount).toBe(3); // one repeat counted: the next commit corrects it
    await bot.rt.models.Session.updateOne({ _id: u.id }, { $set: { leaseOwner: null, leaseUntil: null } });
    bot.rt.processor.kick(u.id, 0);
    await bot.settle();
    expect(bot.fake.sent(u.id)).toHaveLength(2);
    expect([...(await appliedOf(u.id))].sort()).toEqual(['$x', 'a.b']);
    expect(await waitingEvents(bot.rt, u.id)).toBe(0);
    expect((await sessionOf(u.id))?.inboxCount).toBe(0);
  });

  it('when a user already has the most events waiting, then one more is acknowledged and skipped, and the document stays capped', async () => {
    const u = bot.user();
    await bot.rt.models.Session.collection.insertOne({ _id: u.id as never, rev: 0, createdAt: new Date(), updatedAt: new Date(), leaseOwner: 'other-live-process', leaseUntil: new Date(Date.now() + 60_000) });
    // The cap, not the webhook's deadline, is what this is about: a document of 200 events takes a
    // while to rewrite on a loaded machine's embedded database.
    const inbox = new Inbox(bot.rt.models, { storeTimeoutMs: 20_000 });
    for (let i = 0; i < INBOX_CAP; i += 10) {
      const r = await inbox.store(Array.from({ length: 10 }, (_, j) => ev.text(u.id, `m${i + j}`)));
      expect(r).toMatchObject({ stored: 10, overCap: 0 });
    }
    expect(await inbox.store([ev.text(u.id, 'one too many')])).toMatchObject({ stored: 0, overCap: 1 });
    expect(await waitingEvents(bot.rt, u.id)).toBe(INBOX_CAP);
    expect((await sessionOf(u.id))?.inboxCount).toBe(INBOX_CAP);
  });
});

/** A session whose journey state is corrupt: every handler run for this user throws. */
function poisoned(userId: string) {
  return {
    _id: userId as never,
    rev: 1,
    lang: 'th',
    createdAt: new Date(),
    updatedAt: new Date(),
    flow: { id: 'registration', version: 1, step: 'name', answers: {}, history: 7, retries: 0, turn: 1, display: {} },
  };
}
