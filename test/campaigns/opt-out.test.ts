import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedSyntheticProducers, syntheticUserId } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let bot: TestBot;
const N = 12;

beforeAll(async () => {
  bot = await startTestBot('campaign-opt-out', { QUIET_HOURS: 'off' });
  await seedSyntheticProducers(bot.rt.models, { count: N, englishShare: 0 });
  bot.rt.drainer.start();
}, 60_000);
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.fake.reset());

async function deliverNotice(extra: Record<string, unknown> = {}) {
  const c = await bot.rt.campaigns.create({ title: 'n', messages: { th: [{ type: 'text', text: 'ข่าวสาร OTOP' }] }, ...extra });
  await bot.rt.campaigns.confirm(c._id);
  expect((await bot.rt.delivery.run(c._id)).result).toBe('done');
  return c._id;
}

const recipients = () => new Set(bot.fake.sent().filter((m) => m.via === 'multicast').map((m) => m.userId));

describe('stopping and restarting notices', () => {
  it('when a producer types the stop word, then notices stop, the consent log says so, and the start word brings them back', async () => {
    const u = bot.user(syntheticUserId(0));
    const a = await u.says('หยุดรับข่าวสาร');
    expect(a.choices).toEqual(['รับข่าวสารอีกครั้ง']);
    const p = await bot.rt.models.Producer.findOne({ userId: u.id }).lean();
    expect(p?.consents?.notices).toBe(false);
    expect(await bot.rt.models.ConsentEvent.find({ userId: u.id, purpose: 'notices' }).lean()).toMatchObject([{ granted: false, channel: 'line' }]);
    bot.fake.reset();
    await deliverNotice();
    expect(recipients().has(u.id)).toBe(false);
    expect(recipients().size).toBe(N - 1);
    await u.taps('รับข่าวสารอีกครั้ง');
    expect((await bot.rt.models.Producer.findOne({ userId: u.id }).lean())?.consents?.notices).toBe(true);
    expect((await bot.rt.models.ConsentEvent.find({ userId: u.id, purpose: 'notices' }).sort({ at: 1 }).lean()).map((e) => e.granted)).toEqual([false, true]);
    bot.fake.reset();
    await deliverNotice();
    expect(recipients().has(u.id)).toBe(true);
  });

  it('when a producer taps the stop button on a notice, then they get no more notices', async () => {
    const id = syntheticUserId(1);
    await deliverNotice();
    const notice = bot.fake.sent(id)[0]!.message as { quickReply: { items: { action: { label: string; data: string } }[] } };
    const stop = notice.quickReply.items.find((i) => i.action.label === 'หยุดรับข่าวสาร')!;
    const u = bot.user(id);
    await u.postback(stop.action.data);
    expect((await bot.rt.models.Producer.findOne({ userId: id }).lean())?.consents?.notices).toBe(false);
    bot.fake.reset();
    await deliverNotice();
    expect(recipients().has(id)).toBe(false);
  });

  it('when "stop" is typed inside a journey, then it cancels the journey and notices stay on', async () => {
    const u = bot.user(syntheticUserId(2));
    await u.says('ลงทะเบียน');
    await u.says('stop');
    expect((await bot.rt.models.Producer.findOne({ userId: u.id }).lean())?.consents?.notices).toBe(true);
    await u.says('stop');
    expect((await bot.rt.models.Producer.findOne({ userId: u.id }).lean())?.consents?.notices).toBe(false);
  });

  it('when a producer blocks the bot, then notices skip them and count them out', async () => {
    const u = bot.user(syntheticUserId(3));
    await u.unfollow();
    bot.fake.reset();
    await deliverNotice();
    expect(recipients().has(u.id)).toBe(false);
  });

  it('when a notice carries a deep link, then tapping it opens the journey and counts as an open', async () => {
    const id = syntheticUserId(4);
    const cid = await deliverNotice({ deepLink: { flow: 'tiktok-shop', label: { th: 'เปิดร้าน TikTok', en: 'Open TikTok Shop' } } });
    const u = bot.user(id);
    const notice = bot.fake.sent(id)[0]!.message as { quickReply: { items: { action: { label: string; data: string } }[] } };
    const link = notice.quickReply.items.find((i) => i.action.label === 'เปิดร้าน TikTok')!;
    const answer = await u.postback(link.action.data);
    expect(answer.text).toContain('TikTok');
    const session = await bot.rt.models.Session.findById(id).lean();
    expect((session?.flow as { id?: string } | null)?.id).toBe('tiktok-shop');
    expect((await bot.rt.campaigns.counts(cid)).opened).toBe(1);
  });

  it('when a campaign has an A/B split with a holdout, then each recipient gets one variant and the holdout gets nothing', async () => {
    const cid = await deliverNotice({ split: { variantB: { th: [{ type: 'text', text: 'ข่าวสาร B' }] }, percentB: 50, holdoutPercent: 25 } });
    const texts = new Map(bot.fake.sent().map((m) => [m.userId, (m.message as { text: string }).text]));
    const counts = await bot.rt.campaigns.counts(cid);
    expect(counts.holdout + counts.recipients).toBe(await bot.rt.segments.count({}));
    expect(texts.size).toBe(counts.recipients);
    expect(bot.fake.sent().length).toBe(counts.recipients);
    const holdouts = await bot.rt.models.CampaignDelivery.find({ campaignId: cid, status: 'holdout' }).lean();
    for (const h of holdouts) expect(texts.has(h.userId)).toBe(false);
  });
});

describe('a user who blocked the bot', () => {
  it('when LINE refuses a push because the user blocked the bot, then they are marked unreachable and left out of notices', async () => {
    const id = syntheticUserId(5);
    bot.fake.fail({ path: '/v2/bot/message/push', status: 403, body: { message: 'Not a friend' } });
    const cid = (await bot.rt.campaigns.create({ title: 't', messages: { th: [{ type: 'text', text: 'ทดสอบ' }] } }))._id;
    await bot.rt.campaigns.testSend(cid, id);
    for (let i = 0; i < 50 && (await bot.rt.models.Session.findById(id).lean())?.reachable !== false; i++) {
      await bot.rt.drainer.drainOnce();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await bot.rt.models.Session.findById(id).lean())?.reachable).toBe(false);
    const ids = new Set<string>();
    for await (const m of bot.rt.segments.members({})) ids.add(m.userId);
    expect(ids.has(id)).toBe(false);
  });
});

describe('campaign stats', () => {
  it('when a recipient completes journey steps within 7 days of the notice, then their province shows one conversion; later steps do not count', async () => {
    bot.fake.reset();
    const cid = await deliverNotice();
    const soon = new Date(Date.now() + 2 * 86_400_000);
    const late = new Date(Date.now() + 9 * 86_400_000);
    const [a, b] = [syntheticUserId(6), syntheticUserId(7)];
    await bot.rt.models.JourneyProgress.create({ _id: `lazada:${a}`, userId: a, flowId: 'lazada', steps: { s1: { status: 'done', at: soon }, s2: { status: 'done', at: soon } }, updatedAt: soon });
    await bot.rt.models.JourneyProgress.create({ _id: `tiktok-shop:${a}`, userId: a, flowId: 'tiktok-shop', steps: { s1: { status: 'done', at: soon } }, updatedAt: soon });
    await bot.rt.models.JourneyProgress.create({ _id: `lazada:${b}`, userId: b, flowId: 'lazada', steps: { s1: { status: 'done', at: late } }, updatedAt: late });
    const stats = await bot.rt.campaigns.stats(cid);
    const pa = String((await bot.rt.models.Producer.findOne({ userId: a }).lean())?.address?.province?.code);
    const rows = Object.values(stats.byProvince);
    expect(rows.reduce((n, r) => n + r.converted, 0)).toBe(1);
    expect(stats.byProvince[pa]).toMatchObject({ converted: 1, stepsCompleted: 3 });
    expect(rows.reduce((n, r) => n + r.sent, 0)).toBe(stats.counts.sent);
  });
});
