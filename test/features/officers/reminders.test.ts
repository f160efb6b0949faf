import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Segments, type Segment } from '../../../src/features/campaigns/segment.js';
import { scopedSegment, ScopeError, type Scope } from '../../../src/features/officers/scope.js';
import { startTestBot, type ChatUser, type TestBot } from '../../support/bot.js';
import { addProducer, admin, inviteCode } from './helpers.js';

let bot: TestBot;
const DAY = 86_400_000;
let provinceOfficer: ChatUser;
let districtOfficer: ChatUser;
const producers: Record<string, ChatUser> = {};

async function officer(args: string[]): Promise<ChatUser> {
  const r = await admin(bot.rt.models, ['officer:invite', ...args]);
  const u = bot.user();
  await u.says(inviteCode(r.out));
  return u;
}

async function stalledOnTikTok(userId: string) {
  const at = new Date(Date.now() - 10 * DAY);
  await bot.rt.models.JourneyProgress.create({ _id: `tiktok-shop:${userId}`, userId, flowId: 'tiktok-shop', steps: { sign_up: { status: 'done', at } }, startedAt: at, updatedAt: at });
}

beforeAll(async () => {
  bot = await startTestBot('officers_remind');
  provinceOfficer = await officer(['--role', 'province', '--province', 'เชียงใหม่']);
  districtOfficer = await officer(['--role', 'district', '--province', 'เชียงใหม่', '--district', 'แม่ริม']);
  for (const [key, place] of [['maeRim1', 'maeRim'], ['maeRim2', 'maeRim'], ['chomThong', 'chomThong'], ['lamphun', 'banThi']] as const) {
    producers[key] = bot.user();
    await addProducer(bot.rt.producers, producers[key].id, place, `ผู้ผลิต ${key}`);
    await bot.rt.models.Session.create({ _id: producers[key].id, lang: 'th', reachable: true, createdAt: new Date(), updatedAt: new Date(), rev: 0 });
  }
  for (const key of ['maeRim1', 'chomThong', 'lamphun']) await stalledOnTikTok(producers[key]!.id);
});
afterAll(async () => bot?.close());

describe('send a reminder from LINE', () => {
  it('when a province officer picks "stalled at TikTok" for the whole area, then they see the count and cost of their province only, and confirming sends to those producers only', async () => {
    expect((await provinceOfficer.postback('cmd=ofc&a=remind')).choices).toContain('ค้าง TikTok 7 วัน');
    const where = await provinceOfficer.taps('ค้าง TikTok 7 วัน');
    expect(where.choices).toEqual(expect.arrayContaining(['ทั้งพื้นที่', 'แม่ริม', 'จอมทอง']));
    const preview = await provinceOfficer.taps('ทั้งพื้นที่');
    expect(preview.text).toContain('จะส่งถึง 2 ราย');
    expect(preview.text).toContain('2 ข้อความ');
    await provinceOfficer.taps('ยืนยันส่ง');
    expect(provinceOfficer.last.text).toContain('ส่งข้อความเตือนแล้ว');

    const campaigns = await bot.rt.models.Campaign.find({}).lean();
    expect(campaigns).toHaveLength(1);
    const c = campaigns[0]! as unknown as { _id: string; segment: { provinces: string[] }; status: string; createdBy: string };
    expect(c.segment.provinces).toEqual(['50']);
    expect(c.status).toBe('scheduled');
    expect(await bot.rt.models.Audit.countDocuments({ action: 'send_campaign', target: c._id })).toBe(1);

    // The audience campaign delivery will send to (src/features/campaigns/delivery.ts resolves it so).
    const to: string[] = [];
    for await (const m of new Segments(bot.rt.models).members(c.segment as Segment)) to.push(m.userId);
    expect(to.sort()).toEqual([producers['maeRim1']!.id, producers['chomThong']!.id].sort());

    // The same confirm button again does nothing: it was spent.
    await provinceOfficer.postback(`cmd=ofc&a=remindgo&k=anything`);
    expect(provinceOfficer.last.text).toContain('หมดอายุ');
    expect(await bot.rt.models.Campaign.countDocuments({})).toBe(1);
  });

  it('when a district officer asks for a reminder, then the audience is their district only', async () => {
    await districtOfficer.postback('cmd=ofc&a=remind');
    const preview = await districtOfficer.taps('ค้าง TikTok 7 วัน');
    expect(preview.text).toContain('จะส่งถึง 1 ราย');
  });

  it('when a province officer forges a district of another province, then nothing is counted or sent', async () => {
    const a = await provinceOfficer.postback('cmd=ofc&a=remind&p=tiktok-stalled&d=5107');
    expect(a.text).toContain('นอกพื้นที่');
    expect(await bot.rt.models.Audit.countDocuments({ action: 'refused_out_of_scope' })).toBe(1);
  });
});

describe('scopedSegment', () => {
  const province: Scope = { officerId: 'p', role: 'province', provinceCodes: ['50'], districtCodes: [] };
  const district: Scope = { officerId: 'd', role: 'district', provinceCodes: ['50'], districtCodes: ['5007'] };
  it('when an officer names no place, then the audience is their whole area; a place outside it is refused', () => {
    expect(scopedSegment(province, {})).toEqual({ provinces: ['50'] });
    expect(scopedSegment(district, {})).toEqual({ districts: ['5007'] });
    expect(() => scopedSegment(province, { provinces: ['51'] })).toThrow(ScopeError);
    expect(() => scopedSegment(province, { districts: ['5107'] })).toThrow(ScopeError);
    expect(() => scopedSegment(district, { districts: ['5002'] })).toThrow(ScopeError);
    expect(scopedSegment({ officerId: 'a', role: 'admin', provinceCodes: [], districtCodes: [] }, { provinces: ['51'] })).toEqual({ provinces: ['51'] });
  });
});
