import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Segment } from '../../src/features/campaigns/segment.js';
import { seedSyntheticProducers, syntheticUserId } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

// Segments are read as streams; id sets from other collections go into the query when small and
// are checked as producers stream past when large (over 1,000 ids). Both paths must select the
// same producers as the definition says.
vi.setConfig({ testTimeout: 90_000 });

let bot: TestBot;
const N = 2_400;
const DAY = 86_400_000;
const ids = Array.from({ length: N }, (_, i) => syntheticUserId(i));
/** Users 0–1499 were active yesterday, the others a month ago (1,500 > the 1,000 ids a query carries). */
const activeRecently = (i: number) => i < 1_500;
/** Users 0–1199 started the TikTok Shop journey (1,200 ids to leave out of "not started"). */
const startedTikTok = (i: number) => i < 1_200;

let english: Set<string>;
let consenting: Set<string>;
let unreachable: Set<string>;

beforeAll(async () => {
  bot = await startTestBot('campaign-segment-stream', { QUIET_HOURS: 'off' });
  const m = bot.rt.models;
  await seedSyntheticProducers(m, { count: N, englishShare: 0.1, consentShare: 0.9 });
  const now = Date.now();
  await m.Session.collection.updateMany({ _id: { $in: ids.filter((_, i) => !activeRecently(i)) as never[] } }, { $set: { lastEventAt: new Date(now - 30 * DAY) } });
  await m.Session.collection.updateMany({ _id: { $in: ids.filter((_, i) => activeRecently(i)) as never[] } }, { $set: { lastEventAt: new Date(now - DAY) } });
  // A few blocked the bot: left out of every segment.
  unreachable = new Set([ids[3]!, ids[1_300]!, ids[2_000]!]);
  await m.Session.collection.updateMany({ _id: { $in: [...unreachable] as never[] } }, { $set: { reachable: false } });
  await m.JourneyProgress.collection.insertMany(
    ids.filter((_, i) => startedTikTok(i)).map((u) => ({ _id: `tiktok-shop:${u}`, userId: u, flowId: 'tiktok-shop', steps: {}, startedAt: new Date(now - 2 * DAY), updatedAt: new Date(now - 2 * DAY) })) as never[],
  );
  english = new Set((await m.Session.find({ lang: 'en' }, { _id: 1 }).lean()).map((s) => String(s._id)));
  consenting = new Set((await m.Producer.find({ 'consents.notices': true }, { userId: 1 }).lean()).map((p) => p.userId));
}, 180_000);
afterAll(async () => {
  await bot?.close();
});

/** The segment's members by its definition, computed here from the seed (not by the code under test). */
function expected(keep: (i: number, u: string) => boolean): string[] {
  return ids.filter((u, i) => consenting.has(u) && !unreachable.has(u) && keep(i, u)).sort();
}

async function members(segment: Segment): Promise<string[]> {
  const out: string[] = [];
  for await (const m of bot.rt.segments.members(segment)) out.push(m.userId);
  return out.sort();
}

describe('segments over many ids', () => {
  it('when a segment selects by last activity (an id set larger than a query carries), then count and members are exactly the active producers with consent', async () => {
    const want = expected((i) => activeRecently(i));
    expect(want.length).toBeGreaterThan(1_000);
    const got = await members({ activeWithinDays: 7 });
    expect(got).toEqual(want);
    expect(await bot.rt.segments.count({ activeWithinDays: 7 })).toBe(want.length);
    // And the complement.
    expect(await members({ inactiveForDays: 7 })).toEqual(expected((i) => !activeRecently(i)));
  });

  it('when a large id set meets a small one (active and English), then only their intersection is selected', async () => {
    const want = expected((i, u) => activeRecently(i) && english.has(u));
    expect(want.length).toBeGreaterThan(0);
    expect(await members({ activeWithinDays: 7, languages: ['en'] })).toEqual(want);
    expect(await bot.rt.segments.count({ activeWithinDays: 7, languages: ['en'] })).toBe(want.length);
  });

  it('when a segment leaves out many users (TikTok Shop not started), then none of them is selected and everybody else is', async () => {
    const want = expected((i) => !startedTikTok(i));
    const segment: Segment = { journeys: [{ flow: 'tiktok-shop', state: 'not_started' }] };
    expect(await members(segment)).toEqual(want);
    expect(await bot.rt.segments.count(segment)).toBe(want.length);
    // With a Thai-only filter on top (the English ones left out by a small set).
    const thai = { ...segment, languages: ['th' as const] };
    expect(await members(thai)).toEqual(expected((i, u) => !startedTikTok(i) && !english.has(u)));
  });

  it('when the whole audience is read, then each producer with consent comes once, the blocked ones not at all', async () => {
    const got = await members({});
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(expected(() => true));
    expect(await bot.rt.segments.count({})).toBe(got.length);
  });
});
