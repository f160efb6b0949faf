import { vi, afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CampaignDelivery } from '../../src/features/campaigns/delivery.js';
import type { OutboxPort } from '../../src/features/campaigns/outbox-port.js';
import { parseQuietHours } from '../../src/features/campaigns/quiet-hours.js';
import type { CampaignInput } from '../../src/features/campaigns/model.js';
import type { SegmentMember } from '../../src/features/campaigns/segment.js';
import { seedSyntheticProducers, syntheticUserId } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

// Whole campaigns against a real database: slow when the machine is shared.
vi.setConfig({ testTimeout: 90_000 });

let bot: TestBot;
const N = 1_300;

beforeAll(async () => {
  bot = await startTestBot('campaign-delivery', { QUIET_HOURS: 'off' });
  await seedSyntheticProducers(bot.rt.models, { count: N, englishShare: 0.1 });
  bot.rt.drainer.start();
}, 120_000);
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.fake.reset();
  bot.fake.setQuota(undefined);
});

const notice = (over: Partial<CampaignInput> = {}): CampaignInput => ({
  title: 'TikTok live week',
  messages: { th: [{ type: 'text', text: 'สัปดาห์ไลฟ์ขายของ TikTok Shop เริ่มวันจันทร์' }], en: [{ type: 'text', text: 'TikTok Shop live-selling week starts Monday' }] },
  ...over,
});

/** Recipients of every multicast the fake LINE accepted, with how often each got the notice. */
function received(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of bot.fake.sent()) if (m.via === 'multicast') counts.set(m.userId, (counts.get(m.userId) ?? 0) + 1);
  return counts;
}

async function runToEnd(delivery: CampaignDelivery, id: string) {
  for (let i = 0; i < 200; i++) {
    const o = await delivery.run(id);
    if (o.result !== 'busy') return o;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('campaign stayed busy');
}

const allUsers = Array.from({ length: N }, (_, i) => syntheticUserId(i));

describe('campaign delivery', () => {
  it('when LINE answers 500s and 429s with Retry-After, then every recipient gets the notice exactly once, in batches of at most 500', async () => {
    const c = await bot.rt.campaigns.create(notice());
    await bot.rt.campaigns.confirm(c._id);
    bot.fake.fail({ path: '/v2/bot/message/multicast', status: 500, times: 2 });
    bot.fake.fail({ path: '/v2/bot/message/multicast', status: 429, headers: { 'retry-after': '1' }, body: { message: 'The API rate limit has been exceeded. Try again later.' } });
    const started = Date.now();
    const o = await runToEnd(bot.rt.delivery, c._id);
    expect(o.result).toBe('done');
    const got = received();
    expect(got.size).toBe(N);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    const multicasts = bot.fake.requests.filter((r) => r.path === '/v2/bot/message/multicast');
    expect(multicasts.every((r) => ((r.body as { to: string[] }).to).length <= 500)).toBe(true);
    expect(multicasts.filter((r) => r.status === 429)).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // Retry-After honoured
    // Retries of a batch carried the same retry key.
    const keysByBody = new Map<string, Set<string>>();
    for (const r of multicasts) {
      const k = JSON.stringify((r.body as { to: string[] }).to);
      keysByBody.set(k, (keysByBody.get(k) ?? new Set()).add(r.headers['x-line-retry-key']!));
    }
    expect([...keysByBody.values()].every((s) => s.size === 1)).toBe(true);
    // English speakers got the English text, with the stop button.
    const en = bot.fake.sent().find((m) => (m.message as { text?: string }).text?.startsWith('TikTok'));
    expect(en).toBeDefined();
    expect((en?.message as { quickReply?: { items: { action: { label: string } }[] } }).quickReply?.items.map((i) => i.action.label)).toContain('Stop notices');
    const counts = await bot.rt.campaigns.counts(c._id);
    expect(counts).toMatchObject({ recipients: N, sent: N, failed: 0, planned: 0 });
    expect((await bot.rt.campaigns.get(c._id)).status).toBe('done');
  });

  it('when the worker is killed mid-campaign and another one resumes, then no recipient is skipped and none gets it twice', async () => {
    const c = await bot.rt.campaigns.create(notice({ title: 'clinic' }));
    await bot.rt.campaigns.confirm(c._id);
    // The first worker dies after handing its second lot of batches to the outbox.
    let calls = 0;
    const dying: OutboxPort = {
      enqueue: async (items) => {
        if (++calls === 2) {
          await bot.rt.outbox.enqueue(items);
          throw new Error('killed');
        }
        return bot.rt.outbox.enqueue(items);
      },
      outcomes: (ids) => bot.rt.outbox.outcomes(ids),
      withdraw: (ids, reason) => bot.rt.outbox.withdraw(ids, reason),
    };
    const first = new CampaignDelivery({ models: bot.rt.models, segments: bot.rt.segments, outbox: dying, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: 'first', window: 1 });
    await expect(first.run(c._id)).rejects.toThrow('killed');
    const second = new CampaignDelivery({ models: bot.rt.models, segments: bot.rt.segments, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: 'second' });
    expect((await runToEnd(second, c._id)).result).toBe('done');
    const got = received();
    expect(allUsers.filter((u) => !got.has(u))).toEqual([]);
    expect([...got.values()].filter((n) => n > 1)).toEqual([]);
  });

  it('when the worker dies while recording recipients, then the resumed run completes the batches and sends each recipient once', async () => {
    const c = await bot.rt.campaigns.create(notice({ title: 'materialize crash' }));
    await bot.rt.campaigns.confirm(c._id);
    let seen = 0;
    const crashing = Object.create(bot.rt.segments) as typeof bot.rt.segments;
    crashing.members = async function* (segment) {
      for await (const m of bot.rt.segments.members(segment)) {
        if (++seen === 700) throw new Error('killed while recording');
        yield m;
      }
    };
    const first = new CampaignDelivery({ models: bot.rt.models, segments: crashing, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: 'first' });
    await expect(first.run(c._id)).rejects.toThrow('killed while recording');
    expect(bot.fake.sent()).toHaveLength(0);
    expect((await runToEnd(bot.rt.delivery, c._id)).result).toBe('done');
    const got = received();
    expect(got.size).toBe(N);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    expect(await bot.rt.models.CampaignDelivery.countDocuments({ campaignId: c._id })).toBe(N);
  });

  it('when the segment stream shows some producers twice (no snapshot), then each of them is recorded and sent once', async () => {
    const c = await bot.rt.campaigns.create(notice({ title: 'stream repeats' }));
    await bot.rt.campaigns.confirm(c._id);
    const repeating = Object.create(bot.rt.segments) as typeof bot.rt.segments;
    repeating.members = async function* (segment) {
      const again: SegmentMember[] = [];
      for await (const m of bot.rt.segments.members(segment)) {
        if (again.length < 600) again.push(m); // more than a batch: repeats land in a later batch
        yield m;
      }
      yield* again;
    };
    const d = new CampaignDelivery({ models: bot.rt.models, segments: repeating, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: 'repeats' });
    expect((await runToEnd(d, c._id)).result).toBe('done');
    const got = received();
    expect(got.size).toBe(N);
    expect([...got.values()].filter((n) => n > 1)).toEqual([]);
    const counts = await bot.rt.campaigns.counts(c._id);
    expect(counts).toMatchObject({ recipients: N, sent: N });
  });

  it('when the monthly quota runs out, then the campaign pauses and reports it, and after confirm the rest go once', async () => {
    bot.fake.setQuota(700);
    const c = await bot.rt.campaigns.create(notice({ title: 'quota' }));
    await bot.rt.campaigns.confirm(c._id);
    const o = await runToEnd(bot.rt.delivery, c._id);
    expect(o.result).toBe('paused');
    const paused = await bot.rt.campaigns.get(c._id);
    expect(paused).toMatchObject({ status: 'paused', pausedReason: 'quota' });
    expect(await bot.rt.models.DeliveryFailure.countDocuments({ kind: 'campaign:quota' })).toBeGreaterThanOrEqual(1);
    const partial = received().size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThanOrEqual(700);
    bot.fake.setQuota(undefined);
    await bot.rt.campaigns.confirm(c._id);
    expect((await runToEnd(bot.rt.delivery, c._id)).result).toBe('done');
    const got = received();
    expect(got.size).toBe(N);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
  });

  it('when it is quiet hours in Bangkok, then the campaign waits and goes out when they end', async () => {
    let clock = new Date('2026-03-02T15:30:00Z'); // 22:30 Bangkok
    const d = new CampaignDelivery({ models: bot.rt.models, segments: bot.rt.segments, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: parseQuietHours('21:00-08:00'), owner: 'quiet', now: () => clock });
    const c = await bot.rt.campaigns.create(notice({ title: 'quiet', segment: { provinces: ['58'] } }));
    await bot.rt.campaigns.confirm(c._id);
    await bot.rt.models.Campaign.updateOne({ _id: c._id }, { $set: { nextRunAt: clock } });
    expect((await d.runDue()).outcomes[0]?.result).toBe('deferred');
    clock = new Date('2026-03-03T00:59:00Z'); // 07:59
    expect((await d.runDue()).outcomes[0]?.result).toBe('deferred');
    expect(bot.fake.sent()).toHaveLength(0);
    clock = new Date('2026-03-03T01:00:00Z'); // 08:00
    expect((await d.runDue()).outcomes[0]?.result).toBe('done');
    expect(received().size).toBe(await bot.rt.segments.count({ provinces: ['58'] }));
    expect(received().size).toBeGreaterThan(0);
  });

  it('when a running campaign is paused, then it stops after the batches already handed over, and resuming sends the rest once; cancelling stops it for good', async () => {
    for (const action of ['pause', 'cancel'] as const) {
      bot.fake.reset();
      // Two batches (Thai, English) of three provinces: the first goes, then the officer acts.
      const segment = { provinces: ['30', '40', '41'] };
      const c = await bot.rt.campaigns.create(notice({ title: action, segment }));
      await bot.rt.campaigns.confirm(c._id);
      let calls = 0;
      const officer: OutboxPort = {
        enqueue: async (items) => {
          await bot.rt.outbox.enqueue(items);
          if (++calls === 1) await bot.rt.campaigns[action](c._id); // an officer acts while it runs
        },
        outcomes: (ids) => bot.rt.outbox.outcomes(ids),
        withdraw: (ids, reason) => bot.rt.outbox.withdraw(ids, reason),
      };
      const d = new CampaignDelivery({ models: bot.rt.models, segments: bot.rt.segments, outbox: officer, translator: bot.rt.translator, logger: bot.rt.logger, quietHours: null, owner: action, window: 1 });
      expect((await runToEnd(d, c._id)).result).toBe(action === 'pause' ? 'paused' : 'cancelled');
      await new Promise((r) => setTimeout(r, 300));
      await bot.rt.drainer.drainOnce();
      expect(received().size).toBeLessThanOrEqual(500);
      if (action === 'pause') {
        await bot.rt.campaigns.confirm(c._id);
        expect((await runToEnd(bot.rt.delivery, c._id)).result).toBe('done');
        const got = received();
        expect(got.size).toBe(await bot.rt.segments.count(segment));
        expect([...got.values()].every((n) => n === 1)).toBe(true);
      } else {
        expect((await bot.rt.delivery.run(c._id)).result).toBe('stopped');
        expect(received().size).toBeLessThanOrEqual(500);
        expect((await bot.rt.campaigns.counts(c._id)).planned).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it('when a campaign is paused or cancelled before it runs, then nothing is sent', async () => {
    const a = await bot.rt.campaigns.create(notice({ title: 'paused' }));
    await bot.rt.campaigns.confirm(a._id);
    await bot.rt.campaigns.pause(a._id);
    const b = await bot.rt.campaigns.create(notice({ title: 'cancelled' }));
    await bot.rt.campaigns.confirm(b._id);
    await bot.rt.campaigns.cancel(b._id);
    expect((await bot.rt.delivery.run(a._id)).result).toBe('stopped');
    expect((await bot.rt.delivery.run(b._id)).result).toBe('stopped');
    expect(bot.fake.sent()).toHaveLength(0);
    await expect(bot.rt.campaigns.confirm(b._id)).rejects.toThrow(/cancelled/);
  });
});
