/**
 * The LINE stand-in of local mode, without a browser: it must play LINE exactly enough that the
 * bot runs its production code path (signed webhooks, reply tokens, pushes), and keep each
 * simulated user's conversation apart. The bot here is wired as src/main.ts wires local mode.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLine, LocalModeRefusedError, localModeWanted, normaliseAction, type BotEntry } from '../../dev/standin.js';
import { sign } from '../../src/webhook/signature.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startLocalBot, type LocalBot } from '../browser/support/local-bot.js';

let bot: LocalBot;

beforeAll(async () => {
  bot = await startLocalBot('standin');
});
afterAll(async () => {
  await bot?.close();
});

const lastEvent = (userId: string) => bot.local.sentEvents.filter((e) => (e['source'] as { userId?: string })?.userId === userId).at(-1)!;
const botEntries = (userId: string) => bot.local.feed(userId).filter((e): e is BotEntry => e.from === 'bot');

describe('the stand-in plays LINE for the bot', () => {
  it('when a user is added, then the stand-in signs a follow webhook that the real /webhook accepts, and the greeting arrives by reply', async () => {
    const { user, follow } = await bot.local.addUser({ displayName: 'สมศรี', language: 'th' });
    expect(follow?.status).toBe(200);
    const e = lastEvent(user.userId);
    expect(e).toMatchObject({ type: 'follow', mode: 'active', source: { type: 'user', userId: user.userId }, deliveryContext: { isRedelivery: false } });
    expect(e['webhookEventId']).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(e['replyToken']).toMatch(/^[0-9a-f]{32}$/);
    const greeting = await bot.local.waitForBotMessages(user.userId, 1);
    expect(greeting[0].type).toBe('text');
    expect(botEntries(user.userId)[0]?.via).toBe('reply');
    // The profile (name, LINE language) is what the bot reads when greeting.
    expect(bot.local.fake.profile(user.userId)).toEqual({ displayName: 'สมศรี', language: 'th' });
  });

  it('when the same webhook body is signed with another secret, then the real /webhook refuses it: the signature check is live in local mode', async () => {
    const body = JSON.stringify({ destination: 'U' + '0'.repeat(32), events: [] });
    const good = await fetch(`${bot.origin}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': sign(body, bot.local.channelSecret) }, body });
    expect(good.status).toBe(200);
    const bad = await fetch(`${bot.origin}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': sign(body, 'not-the-secret') }, body });
    expect(bad.status).toBe(401);
  });

  it('when two users write at the same time, then each gets a fresh reply token and each answer lands only in its own conversation', async () => {
    const { user: a } = await bot.local.addUser({ displayName: 'A', language: 'th' });
    const { user: b } = await bot.local.addUser({ displayName: 'B', language: 'en' });
    await bot.local.waitForBotMessages(a.userId, 1);
    await bot.local.waitForBotMessages(b.userId, 1);
    const before = { a: bot.local.botMessages(a.userId).length, b: bot.local.botMessages(b.userId).length };
    const [ra, rb] = await Promise.all([bot.local.act(a.userId, { type: 'text', text: 'สวัสดี' }), bot.local.act(b.userId, { type: 'text', text: 'hello' })]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(lastEvent(a.userId)['replyToken']).not.toBe(lastEvent(b.userId)['replyToken']);
    await bot.local.waitForBotMessages(a.userId, before.a + 1);
    await bot.local.waitForBotMessages(b.userId, before.b + 1);
    await bot.rt.processor.idle();

    for (const u of [a, b]) {
      const feed = bot.local.feed(u.userId);
      expect(feed.every((e) => e.userId === u.userId)).toBe(true);
      const typed = feed.findIndex((e) => e.from === 'user' && e.action.type === 'text');
      expect(feed.slice(typed + 1).some((e) => e.from === 'bot' && e.via === 'reply')).toBe(true);
    }
    // The English user's answers are in English, the Thai user's in Thai.
    expect(bot.local.botMessages(b.userId).map((m) => m.text ?? '').join(' ')).not.toMatch(/[\u0E00-\u0E7F]{3}/);
    expect(bot.local.botMessages(a.userId).map((m) => m.text ?? '').join(' ')).toMatch(/[\u0E00-\u0E7F]/);
  });

  it('when the worker pushes to one user, then the push lands at the end of that conversation and nowhere else', async () => {
    const { user: a } = await bot.local.addUser({ displayName: 'Push A' });
    const { user: b } = await bot.local.addUser({ displayName: 'Push B' });
    await bot.local.waitForBotMessages(a.userId, 1);
    await bot.local.waitForBotMessages(b.userId, 1);
    await bot.rt.processor.idle();
    const bBefore = bot.local.feed(b.userId).length;
    await bot.rt.gateway.push(a.userId, [{ type: 'text', text: 'เตือน: อบรมพรุ่งนี้ 9 โมง' }]);
    const last = bot.local.feed(a.userId).at(-1) as BotEntry;
    expect(last).toMatchObject({ from: 'bot', via: 'push', delivered: true, message: { type: 'text', text: 'เตือน: อบรมพรุ่งนี้ 9 โมง' } });
    expect(bot.local.feed(b.userId)).toHaveLength(bBefore);
    // Entries are numbered across the whole simulation, in order.
    const seqs = bot.local.feed().map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it('when a reply is refused (token used or expired), then the bot falls back to a push that lands in the same conversation', async () => {
    const { user } = await bot.local.addUser({ displayName: 'Fallback' });
    await bot.local.waitForBotMessages(user.userId, 1);
    await bot.rt.processor.idle();
    const n = bot.local.botMessages(user.userId).length;
    bot.local.fake.fail({ path: '/v2/bot/message/reply', status: 400, body: { message: 'Invalid reply token' } });
    await bot.local.act(user.userId, { type: 'text', text: 'ช่วยด้วย' });
    await bot.local.waitForBotMessages(user.userId, n + 1);
    expect(botEntries(user.userId).at(-1)?.via).toBe('push');
  });

  it('when a user blocks the bot, then the unfollow carries no reply token, pushes are kept as not delivered, and typing is refused until they unblock', async () => {
    const { user } = await bot.local.addUser({ displayName: 'Blocker' });
    await bot.local.waitForBotMessages(user.userId, 1);
    await bot.local.act(user.userId, { type: 'unfollow' });
    expect(lastEvent(user.userId)).toMatchObject({ type: 'unfollow' });
    expect(lastEvent(user.userId)['replyToken']).toBeUndefined();
    expect(bot.local.getUser(user.userId)?.blocked).toBe(true);
    await bot.rt.gateway.push(user.userId, [{ type: 'text', text: 'ข่าวอบรม' }]);
    expect(botEntries(user.userId).at(-1)).toMatchObject({ via: 'push', delivered: false });
    await expect(bot.local.act(user.userId, { type: 'text', text: 'hi' })).rejects.toMatchObject({ status: 409 });

    await bot.rt.processor.idle();
    const n = bot.local.botMessages(user.userId).length;
    await bot.local.act(user.userId, { type: 'follow' });
    expect(lastEvent(user.userId)).toMatchObject({ type: 'follow', follow: { isUnblocked: true } });
    await bot.local.waitForBotMessages(user.userId, n + 1);
  });

  it('when the bot sends something LINE would reject, then the conversation shows why', async () => {
    const { user } = await bot.local.addUser({ displayName: 'Rejected', follow: false });
    const six = Array.from({ length: 6 }, (_, i) => ({ type: 'text', text: `m${i}` }));
    const res = await fetch(`${bot.local.apiUrl}/v2/bot/message/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bot.local.channelAccessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: user.userId, messages: six }),
    });
    expect(res.status).toBe(400);
    const note = bot.local.feed(user.userId).at(-1);
    expect(note).toMatchObject({ from: 'system', kind: 'rejected' });
    expect(note?.from === 'system' && note.text).toContain('messages');
  });

  it('when the page sends a malformed action, then it is refused before anything reaches the bot', () => {
    expect(() => normaliseAction({ type: 'text', text: '   ' })).toThrow(/text is required/);
    expect(() => normaliseAction({ type: 'location', latitude: 123, longitude: 0 })).toThrow(/latitude/);
    expect(() => normaliseAction({ type: 'beacon' })).toThrow(/type must be/);
    expect(normaliseAction({ type: 'postback', data: 'a=1', params: { date: '2026-01-02', bad: 3 } })).toEqual({ type: 'postback', data: 'a=1', params: { date: '2026-01-02' } });
  });
});

describe('simulated users survive a restart', () => {
  it('when the stand-in keeps a state file, then a restarted stand-in has the same users (same IDs and profiles) and their chats', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'otopbot-standin-'));
    const file = path.join(dir, 'simulator.json');
    try {
      const first = await LocalLine.start({ openapiDir: null }, {});
      expect(first.useStateFile(file)).toBeUndefined();
      const { user } = await first.addUser({ displayName: 'มาลี', language: 'en', follow: false });
      await first.act(user.userId, { type: 'text', text: 'สวัสดี' }); // no bot listening: kept with the error
      await first.close();

      const second = await LocalLine.start({ openapiDir: null }, {});
      second.useStateFile(file);
      expect(second.listUsers()).toEqual([user]);
      expect(second.fake.profile(user.userId)).toEqual({ displayName: 'มาลี', language: 'en' });
      expect(second.feed(user.userId)).toMatchObject([{ from: 'user', action: { type: 'text', text: 'สวัสดี' }, webhookError: expect.any(String) }]);
      // New entries continue the numbering.
      await second.act(user.userId, { type: 'sticker' });
      const seqs = second.feed(user.userId).map((e) => e.seq);
      expect(seqs[1]).toBeGreaterThan(seqs[0]!);
      await second.close();

      writeFileSync(file, '{not json');
      const third = await LocalLine.start({ openapiDir: null }, {});
      expect(third.useStateFile(file)).toMatch(/unreadable/);
      expect(third.listUsers()).toEqual([]);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the simulator page and its API', () => {
  it('when the simulator is asked for, then it serves the page, its scripts and the Thai font', async () => {
    const page = await request(bot.web.app).get('/simulator');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/simulator/simulator.js');
    for (const asset of ['/simulator/simulator.js', '/simulator/flex.js', '/simulator/simulator.css', '/simulator/avatar.svg', '/simulator/fonts/400.css']) {
      expect((await request(bot.web.app).get(asset)).status, asset).toBe(200);
    }
    const css = (await request(bot.web.app).get('/simulator/fonts/400.css')).text;
    const woff2 = /url\(\.\/(files\/[^)]+thai-400-normal\.woff2)\)/.exec(css)?.[1];
    expect(woff2).toBeDefined();
    expect((await request(bot.web.app).get(`/simulator/fonts/${woff2}`)).status).toBe(200);
  });

  it('when a user is added through the API and a stream is open, then the stream delivers the user and the greeting in order', async () => {
    const ac = new AbortController();
    const stream = await fetch(`${bot.origin}/simulator/api/stream?after=${bot.local.feed().at(-1)?.seq ?? 0}`, { signal: ac.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const res = await fetch(`${bot.origin}/simulator/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Stream', language: 'en' }) });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as { user: { userId: string } };

    const reader = stream.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5_000;
    while (!/"from":"bot"/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    expect(text).toContain('event: user');
    expect(text).toMatch(/event: entry\ndata: \{[^\n]*"from":"user"[^\n]*"type":"follow"/);
    const botLine = text.split('\n').find((l) => l.includes('"from":"bot"'))!;
    expect(JSON.parse(botLine.slice('data: '.length))).toMatchObject({ userId: user.userId, via: 'reply' });

    const bad = await fetch(`${bot.origin}/simulator/api/users/${user.userId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'nope' }) });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${bot.origin}/simulator/api/users/Uunknown/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'text', text: 'hi' }) });
    expect(unknown.status).toBe(404);
  });
});

describe('local mode is for development only', () => {
  it('when NODE_ENV is production, then local mode is not wanted and the stand-in refuses to start', async () => {
    expect(localModeWanted({ NODE_ENV: 'production' })).toBe(false);
    expect(localModeWanted({ NODE_ENV: 'production', LINE_CHANNEL_SECRET: '', LINE_CHANNEL_ACCESS_TOKEN: ' ' })).toBe(false);
    await expect(LocalLine.start({}, { NODE_ENV: 'production' })).rejects.toBeInstanceOf(LocalModeRefusedError);
  });

  it('when credentials are missing in development, then local mode is wanted; when only one is set, then it is not (that is a configuration mistake)', () => {
    expect(localModeWanted({})).toBe(true);
    expect(localModeWanted({ NODE_ENV: 'development', LINE_CHANNEL_SECRET: ' ', LINE_CHANNEL_ACCESS_TOKEN: '' })).toBe(true);
    expect(localModeWanted({ NODE_ENV: 'test' })).toBe(true);
    expect(localModeWanted({ LINE_CHANNEL_SECRET: 'x' })).toBe(false);
    expect(localModeWanted({ LINE_CHANNEL_ACCESS_TOKEN: 'x' })).toBe(false);
  });

  describe('the bot with real credentials', () => {
    let normal: TestBot;
    beforeAll(async () => {
      normal = await startTestBot('standin_normal');
    });
    afterAll(async () => {
      await normal?.close();
    });

    it('when createWebApp runs in normal mode, then the simulator routes do not exist', async () => {
      for (const p of ['/simulator', '/simulator/', '/simulator/simulator.js', '/simulator/api/state', '/simulator/fonts/400.css']) {
        expect((await request(normal.web.app).get(p)).status, p).toBe(404);
      }
      expect((await request(normal.web.app).post('/simulator/api/users').send({})).status).toBe(404);
    });
  });
});
