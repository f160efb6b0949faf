import request from 'supertest';
import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens } from '../../src/api/tokens.js';
import { CampaignDelivery } from '../../src/features/campaigns/delivery.js';
import { seedSyntheticProducers } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

// Pausing or cancelling a campaign while many of its batches wait in the outbox: those no sender
// has picked up are taken back (not sent); resuming sends them, each recipient once.
vi.setConfig({ testTimeout: 120_000 });

let bot: TestBot;
let token: string;
// 13 batches of ≤500: more than the drainer has requests in flight (8), so some wait in the outbox.
const N = 6_000;
const DRAINER_CONCURRENCY = 8;

beforeAll(async () => {
  bot = await startTestBot('campaign-pause-withdraw', { QUIET_HOURS: 'off' });
  await seedSyntheticProducers(bot.rt.models, { count: N, englishShare: 0.05 });
  token = (await new ApiTokens(bot.rt.models).create('tests', 'admin')).token;
  bot.rt.drainer.start();
}, 180_000);
afterAll(async () => {
  await bot?.close();
});

const api = (path: string) => request(bot.web.app).post(`/api/v1${path}`).set('authorization', `Bearer ${token}`);

function received(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of bot.fake.sent()) if (m.via === 'multicast') counts.set(m.userId, (counts.get(m.userId) ?? 0) + 1);
  return counts;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('withdrawing outbox items', () => {
  it('when one item was picked up by a sender and another not yet, then only the untouched one is withdrawn and it is never sent', async () => {
    bot.fake.reset();
    const to = 'U' + 'f'.repeat(32);
    const later = new Date(Date.now() + 60_000);
    const item = (id: string) => ({ _id: id, kind: 'push' as const, to: [to], messages: [{ type: 'text' as const, text: id }], cause: { type: 'test', id } });
    // Picked up: recorded already claimed, as a sender that sends it at once does.
    await bot.rt.outbox.enqueueClaimed([item('withdraw:claimed')], 60_000);
    // Waiting: not due yet, so no drainer has touched it.
    await bot.rt.outbox.enqueue([{ ...item('withdraw:waiting'), notBefore: later }]);
    expect(await bot.rt.outbox.withdraw(['withdraw:claimed', 'withdraw:waiting', 'withdraw:unknown'], 'test')).toBe(1);
    const byId = new Map((await bot.rt.outbox.outcomes(['withdraw:claimed', 'withdraw:waiting'])).map((d) => [d._id, d]));
    expect(byId.get('withdraw:claimed')?.status).toBe('pending');
    expect(byId.get('withdraw:waiting')).toMatchObject({ status: 'failed', failure: { kind: 'withdrawn' } });
    // Due or not, a withdrawn item is not sent: the drainer finds nothing to claim.
    await bot.rt.models.Outbox.updateOne({ _id: 'withdraw:waiting' }, { $set: { nextAttemptAt: new Date(0) } });
    await bot.rt.drainer.drainOnce();
    expect(bot.fake.sent(to)).toHaveLength(0);
    // Withdrawing again changes nothing.
    expect(await bot.rt.outbox.withdraw(['withdraw:waiting'], 'again')).toBe(0);
  });
});

describe('pausing or cancelling a running campaign', () => {
  for (const action of ['pause', 'cancel'] as const) {
    it(`when a running campaign is ${action === 'pause' ? 'paused' : 'cancelled'} through the API while its batches wait in the outbox, then only those already picked up by a sender go out${action === 'pause' ? ', and resuming sends the rest once' : ''}`, async () => {
      bot.fake.reset();
      const created = await api('/campaigns').send({
        title: `withdraw on ${action}`,
        messages: { th: [{ type: 'text', text: 'คลินิกเปิดร้าน Lazada' }], en: [{ type: 'text', text: 'Lazada onboarding clinic' }] },
      });
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;
      expect((await api(`/campaigns/${id}/confirm`)).status).toBe(200);
      const total = await bot.rt.segments.count({});
      // LINE answers slowly: each request the drainer makes stays on the wire for a while.
      bot.fake.fail({ path: '/v2/bot/message/multicast', delayMs: 1_500, times: Infinity });
      const delivery = new CampaignDelivery({ models: bot.rt.models, segments: bot.rt.segments, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: `withdraw-${action}` });
      const running = delivery.run(id);
      // Every batch handed to the outbox, the first ones on the wire.
      await until('all batches in the outbox', async () => (await bot.rt.models.CampaignBatch.countDocuments({ campaignId: id, status: 'planned' })) === 0 && (await bot.rt.models.CampaignBatch.countDocuments({ campaignId: id })) > DRAINER_CONCURRENCY);
      await until('the first multicast on the wire', async () => bot.fake.requests.some((r) => r.path === '/v2/bot/message/multicast') || (await bot.rt.models.Outbox.countDocuments({ 'cause.type': 'campaign', attempts: { $gte: 1 } })) > 0);
      const batches = await bot.rt.models.CampaignBatch.countDocuments({ campaignId: id });

      expect((await api(`/campaigns/${id}/${action}`)).status).toBe(200);
      expect((await running).result).toBe(action === 'pause' ? 'paused' : 'cancelled');
      // What was on the wire finishes; nothing else goes out.
      await until('the outbox has nothing of this campaign pending', async () => (await bot.rt.models.Outbox.countDocuments({ 'cause.type': 'campaign', status: 'pending' })) === 0);
      await new Promise((r) => setTimeout(r, 500));
      const after = received();
      expect([...after.values()].every((n) => n === 1)).toBe(true);
      expect(after.size).toBeLessThanOrEqual(DRAINER_CONCURRENCY * 500);
      expect(after.size).toBeLessThan(total);
      const withdrawn = await bot.rt.models.Outbox.countDocuments({ 'cause.type': 'campaign', status: 'failed', 'failure.kind': 'withdrawn' });
      expect(withdrawn).toBeGreaterThanOrEqual(batches - DRAINER_CONCURRENCY);
      const c = await bot.rt.campaigns.counts(id);
      // Withdrawn batches are planned again: nothing counted as sent that LINE did not get.
      expect(c.sent).toBe(after.size);
      expect(c.sent + c.planned).toBe(total);

      bot.fake.reset();
      if (action === 'pause') {
        expect((await api(`/campaigns/${id}/confirm`)).status).toBe(200);
        for (let i = 0; i < 100; i++) {
          const o = await bot.rt.delivery.run(id);
          if (o.result === 'done') break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const rest = received();
        // Each recipient exactly once over both parts.
        const both = new Map(after);
        for (const [u, n] of rest) both.set(u, (both.get(u) ?? 0) + n);
        expect(both.size).toBe(total);
        expect([...both.values()].every((n) => n === 1)).toBe(true);
        expect((await bot.rt.campaigns.get(id)).status).toBe('done');
      } else {
        expect((await bot.rt.delivery.run(id)).result).toBe('stopped');
        await new Promise((r) => setTimeout(r, 500));
        expect(received().size).toBe(0);
      }
    });
  }
});
