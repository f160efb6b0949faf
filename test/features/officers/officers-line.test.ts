import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type ChatUser, type TestBot } from '../../support/bot.js';
import { addProducer, admin, inviteCode, officerId } from './helpers.js';

let bot: TestBot;
const HOUR = 3_600_000;

beforeAll(async () => {
  bot = await startTestBot('officers_line');
});
afterAll(async () => bot?.close());

async function linkedOfficer(args: string[]): Promise<{ user: ChatUser; id: string }> {
  const r = await admin(bot.rt.models, ['officer:invite', ...args]);
  expect(r.code).toBe(0);
  const user = bot.user();
  const answer = await user.says(inviteCode(r.out));
  expect(answer.text).toContain('ยืนยันบัญชีเจ้าหน้าที่แล้ว');
  return { user, id: officerId(r.out) };
}

describe('officer accounts', () => {
  it('when an admin invites a province officer and they type the code in LINE, then the account is linked, scoped to the province, and audited', async () => {
    const r = await admin(bot.rt.models, ['officer:invite', '--role', 'province', '--province', 'เชียงราย', '--name', 'คุณสมศรี']);
    expect(r.code).toBe(0);
    const code = inviteCode(r.out);
    expect(code).toMatch(/^OTOP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const id = officerId(r.out);
    // Stored hashed: the code itself is nowhere in the database.
    const tokens = await bot.rt.models.OfficerToken.find({ officerId: id }).lean();
    expect(tokens).toHaveLength(1);
    expect(JSON.stringify(tokens)).not.toContain(code);

    const officer = bot.user();
    const a = await officer.says(`  ${code.toLowerCase().replace(/-/g, ' ')} `);
    expect(a.text).toContain('คุณสมศรี');
    expect(a.text).toContain('จังหวัดเชียงราย');
    expect(a.choices).toEqual(['สถิติพื้นที่', 'คำขอความช่วยเหลือ', 'ส่งข้อความเตือน', 'เปิดแดชบอร์ด']);
    const doc = await bot.rt.models.Officer.findById(id).lean();
    expect(doc).toMatchObject({ status: 'active', role: 'province', provinceCodes: ['57'], lineUserId: officer.id });
    expect(await bot.rt.models.Audit.countDocuments({ officerId: id, action: 'link_line_account' })).toBe(1);

    // Works once: a second account typing the same code is refused.
    const other = bot.user();
    expect((await other.says(code)).text).toContain('รหัสนี้ใช้ไม่ได้');
    expect(await bot.rt.models.OfficerLink.countDocuments({ _id: other.id })).toBe(0);
    // And the menu word is refused to someone who is not an officer.
    expect((await other.says('เมนูเจ้าหน้าที่')).text).toContain('สำหรับเจ้าหน้าที่พัฒนาชุมชนเท่านั้น');
  });

  it('when an invite code is older than 48 hours, then it is refused and nothing is linked', async () => {
    const r = await admin(bot.rt.models, ['officer:invite', '--role', 'district', '--province', 'เชียงใหม่', '--district', 'แม่ริม'], () => new Date(Date.now() - 49 * HOUR));
    const user = bot.user();
    expect((await user.says(inviteCode(r.out))).text).toContain('รหัสนี้ใช้ไม่ได้');
    expect(await bot.rt.models.Officer.findById(officerId(r.out)).lean()).toMatchObject({ status: 'invited' });
  });

  it('when an invite names an unknown province or lacks the district, then the command refuses with usage', async () => {
    expect((await admin(bot.rt.models, ['officer:invite', '--role', 'province', '--province', 'แอตแลนติส'])).code).toBe(2);
    expect((await admin(bot.rt.models, ['officer:invite', '--role', 'district', '--province', 'เชียงใหม่'])).code).toBe(2);
    expect((await admin(bot.rt.models, ['officer:invite', '--role', 'king'])).code).toBe(2);
  });

  it('when an admin suspends an officer, then their officer menu is refused at once and the suspension is audited', async () => {
    const { user, id } = await linkedOfficer(['--role', 'province', '--province', 'ลำพูน']);
    expect((await user.postback('cmd=ofc&a=stats')).text).toContain('สถิติ');
    expect((await admin(bot.rt.models, ['officer:suspend', '--id', id])).code).toBe(0);
    expect((await user.postback('cmd=ofc&a=stats')).text).toContain('สำหรับเจ้าหน้าที่พัฒนาชุมชนเท่านั้น');
    expect((await user.postback('cmd=ofc&a=dashboard')).text).not.toContain('/officer/signin');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: id, action: 'suspended' })).toBe(1);
  });
});

describe('talk to an officer, and the officer menu', () => {
  let province: { user: ChatUser; id: string };
  let district: { user: ChatUser; id: string };
  let lamphun: { user: ChatUser; id: string };
  const maeRim = () => bot.user();
  let producerMaeRim: ChatUser;
  let producerChomThong: ChatUser;
  let producerLamphun: ChatUser;

  beforeAll(async () => {
    province = await linkedOfficer(['--role', 'province', '--province', 'เชียงใหม่', '--name', 'พัฒนาการจังหวัด']);
    district = await linkedOfficer(['--role', 'district', '--province', 'เชียงใหม่', '--district', 'แม่ริม', '--name', 'พัฒนากรแม่ริม']);
    lamphun = await linkedOfficer(['--role', 'province', '--province', 'ลำพูน', '--name', 'พัฒนาการลำพูน']);
    producerMaeRim = maeRim();
    producerChomThong = bot.user();
    producerLamphun = bot.user();
    await addProducer(bot.rt.producers, producerMaeRim.id, 'maeRim', 'สมชาย ใจดี');
    await addProducer(bot.rt.producers, producerChomThong.id, 'chomThong', 'สมหญิง รักถิ่น');
    await addProducer(bot.rt.producers, producerLamphun.id, 'banThi', 'มานี มีนา');
  });

  it('when a producer in แม่ริม asks for an officer, then the district officer gets the request pushed with call/reply/handled and the producer is told who', async () => {
    const before = bot.fake.sent(district.user.id).length;
    const a = await producerMaeRim.postback('cmd=officer');
    expect(a.text).toContain('พัฒนากรแม่ริม');
    const pushed = bot.fake.sent(district.user.id).slice(before);
    expect(pushed).toHaveLength(1);
    const card = JSON.stringify(pushed[0]!.message);
    expect(card).toContain('สมชาย ใจดี');
    expect(card).toContain('tel:+6681');
    expect(card).toContain('a=reply');
    expect(card).toContain('a=handle');
    const hr = await bot.rt.models.HelpRequest.findOne({ userId: producerMaeRim.id }).lean();
    expect(hr?.officerId).toBe(district.id);
  });

  it('when a producer in a district without its own officer asks, then the province officer gets it', async () => {
    const before = bot.fake.sent(province.user.id).length;
    const a = await producerChomThong.postback('cmd=officer');
    expect(a.text).toContain('พัฒนาการจังหวัด');
    expect(bot.fake.sent(province.user.id).length).toBe(before + 1);
    const lamphunBefore = bot.fake.sent(lamphun.user.id).length;
    await producerLamphun.postback('cmd=officer');
    expect(bot.fake.sent(lamphun.user.id).length).toBe(lamphunBefore + 1);
  });

  it('when the Chiang Mai province officer lists help requests, then they see their province only, and the view is audited', async () => {
    const a = await province.user.postback('cmd=ofc&a=help');
    expect(a.text).toContain('เรื่องที่ยังไม่ได้ดำเนินการ 2 เรื่อง');
    const cards = JSON.stringify(a.messages);
    expect(cards).toContain('สมชาย ใจดี');
    expect(cards).toContain('สมหญิง รักถิ่น');
    expect(cards).not.toContain('มานี มีนา');
    // The district officer sees only แม่ริม.
    const d = await district.user.postback('cmd=ofc&a=help');
    expect(JSON.stringify(d.messages)).toContain('สมชาย ใจดี');
    expect(JSON.stringify(d.messages)).not.toContain('สมหญิง รักถิ่น');
    const audit = await bot.rt.models.Audit.findOne({ officerId: province.id, action: 'view_help_requests' }).lean();
    expect((audit?.detail as { producers: string[] }).producers.sort()).toEqual([producerMaeRim.id, producerChomThong.id].sort());
  });

  it('when the Chiang Mai officer taps handled on a Lamphun request (forged button), then it is refused, stays open and the refusal is audited', async () => {
    const lamphunRequest = await bot.rt.models.HelpRequest.findOne({ userId: producerLamphun.id }).lean();
    const a = await province.user.postback(`cmd=ofc&a=handle&id=${String(lamphunRequest!._id)}`);
    expect(a.text).toContain('นอกพื้นที่');
    expect((await bot.rt.models.HelpRequest.findById(lamphunRequest!._id).lean())?.status).toBe('open');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: province.id, action: 'refused_out_of_scope' })).toBe(1);
    // Nor can they reply to (message) that producer.
    const before = bot.fake.sent(producerLamphun.id).length;
    expect((await province.user.postback(`cmd=ofc&a=reply&id=${String(lamphunRequest!._id)}`)).text).toContain('นอกพื้นที่');
    await province.user.says('สวัสดีครับ');
    expect(bot.fake.sent(producerLamphun.id).length).toBe(before);
  });

  it('when the district officer replies in LINE, then the producer gets the message, and marking it handled closes it (audited)', async () => {
    const hr = await bot.rt.models.HelpRequest.findOne({ userId: producerMaeRim.id }).lean();
    const id = String(hr!._id);
    expect((await district.user.postback(`cmd=ofc&a=reply&id=${id}`)).text).toContain('สมชาย ใจดี');
    const before = bot.fake.sent(producerMaeRim.id).length;
    expect((await district.user.says('พรุ่งนี้จะโทรหานะครับ')).text).toContain('ส่งข้อความถึงคุณสมชาย ใจดี แล้ว');
    const got = bot.fake.sent(producerMaeRim.id).slice(before);
    expect(JSON.stringify(got)).toContain('ข้อความจากพัฒนากรแม่ริม');
    expect(JSON.stringify(got)).toContain('พรุ่งนี้จะโทรหานะครับ');

    expect((await district.user.postback(`cmd=ofc&a=handle&id=${id}`)).text).toContain('บันทึกว่าดำเนินการแล้ว');
    expect(await bot.rt.models.HelpRequest.findById(id).lean()).toMatchObject({ status: 'closed', handledBy: district.id });
    expect((await district.user.postback(`cmd=ofc&a=handle&id=${id}`)).text).toContain('ดำเนินการไปแล้ว');
    const actions = (await bot.rt.models.Audit.find({ officerId: district.id }).lean()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['message_producer', 'handle_help_request', 'view_producer']));
  });

  it('when an officer asks for statistics, then the counts are of their area only', async () => {
    const a = await province.user.postback('cmd=ofc&a=stats');
    expect(a.text).toContain('ลงทะเบียนแล้ว 2 ราย');
    const l = await lamphun.user.postback('cmd=ofc&a=stats');
    expect(l.text).toContain('ลงทะเบียนแล้ว 1 ราย');
    const d = await district.user.postback('cmd=ofc&a=stats');
    expect(d.text).toContain('ลงทะเบียนแล้ว 1 ราย');
  });

  it('when an officer asks for the dashboard, then they get a one-time sign-in link', async () => {
    const a = await province.user.postback('cmd=ofc&a=dashboard');
    expect(JSON.stringify(a.messages)).toMatch(/\/officer\/signin\?t=[A-Za-z0-9_-]{20,}/);
    expect(await bot.rt.models.OfficerToken.countDocuments({ officerId: province.id, kind: 'signin' })).toBe(1);
  });
});
