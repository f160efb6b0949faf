import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('lifecycle');
});
afterAll(async () => bot?.close());
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

describe('follow and unfollow', () => {
  it('when a user with LINE set to English adds the bot, then the greeting is in English with quick replies', async () => {
    const u = bot.user(undefined, { language: 'en' });
    const a = await u.follow();
    expect(a.text).toContain('Welcome');
    expect(a.choices.length).toBeGreaterThan(0);
    const s = await bot.rt.sessions.read(u.id);
    expect(s.lang).toBe('en');
    expect(s.reachable).toBe(true);
  });

  it('when the LINE language is one we do not have (Japanese) or unknown, then the greeting is Thai', async () => {
    const ja = bot.user(undefined, { language: 'ja' });
    expect((await ja.follow()).text).toContain('ยินดีต้อนรับ');
    const unknown = bot.user();
    expect((await unknown.follow()).text).toContain('ยินดีต้อนรับ');
  });

  it('when a user blocks the bot, then they are marked unreachable and nothing is sent', async () => {
    const u = bot.user();
    await u.follow();
    const a = await u.unfollow();
    expect(a.messages).toHaveLength(0);
    expect((await bot.rt.sessions.read(u.id)).reachable).toBe(false);
  });

  it('when they unblock, then they are reachable again and greeted', async () => {
    const u = bot.user();
    await u.unfollow();
    await u.follow();
    expect((await bot.rt.sessions.read(u.id)).reachable).toBe(true);
  });
});

describe('slow answers', () => {
  it('when preparing an answer takes a while (LINE is slow to give the profile), then the loading animation is shown first', async () => {
    const u = bot.user(undefined, { language: 'th' });
    bot.fake.fail({ path: /^\/v2\/bot\/profile\//, delayMs: 1_200 });
    const a = await u.follow();
    expect(a.text).toContain('ยินดีต้อนรับ');
    const loading = bot.fake.requests.filter((r) => r.path === '/v2/bot/chat/loading/start' && (r.body as { chatId?: string }).chatId === u.id);
    expect(loading).toHaveLength(1);
  });

});

describe('text that matches nothing', () => {
  it('when a user types something unknown, then a short localised help with quick replies', async () => {
    const u = bot.user();
    const a = await u.says('asdfgh');
    expect(a.text).toContain('ไม่เข้าใจ');
    expect(a.choices.length).toBeGreaterThan(0);
  });

  it('when a user sends a sticker, then they still get help, not silence', async () => {
    const u = bot.user();
    const a = await u.sendsSticker();
    expect(a.messages.length).toBe(1);
  });
});
