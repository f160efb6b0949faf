import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { registerInThai } from '../support/journeys.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('registration');
});
afterAll(async () => bot?.close());
// Every message the bot sent must pass LINE's OpenAPI schema in the fake LINE server.
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

const producer = (userId: string) => bot.rt.models.Producer.findOne({ userId }).lean();
const session = (userId: string) => bot.rt.sessions.read(userId);
const VALID_ID = '1103700012346';

describe('a full registration', () => {
  it('when a producer registers in Thai by tapping and typing, then the profile is saved in 13 answers with every consent logged', async () => {
    const u = bot.user();
    await u.follow();
    const open = await u.taps('ลงทะเบียน OTOP');
    expect(open.text).toContain('สิทธิของคุณ'); // the PDPA notice: purposes, data, rights
    expect(open.text).toContain('(1) คุณยินยอม');
    expect(open.choices).toEqual(expect.arrayContaining(['ยินยอม (อายุ 20+)', 'ไม่ยินยอม', 'อายุต่ำกว่า 20 ปี']));
    const actions = await (async () => {
      // registerInThai types "ลงทะเบียน" first; the menu tap above already opened the journey.
      await u.taps('ยกเลิก');
      return registerInThai(u);
    })();
    expect(actions).toBeLessThanOrEqual(13);
    expect(u.last.text).toContain('ลงทะเบียนเรียบร้อยแล้ว');

    const p = await producer(u.id);
    expect(p).toMatchObject({
      fullName: 'สมศรี ใจดี',
      phone: '+66812345678',
      producerType: 'single_owner',
      category: 'food',
      products: ['ข้าวกล้องหอมมะลิ', 'น้ำพริกเผา'],
      shops: [],
      consents: { registration: true, notices: true, sharing: false, noticeVersion: '2026-11-v1' },
    });
    expect(p?.address?.province?.nameTh).toBe('เชียงใหม่');
    expect(p?.address?.district?.nameTh).toBe('แม่ริม');
    expect(p?.address?.subdistrict?.nameTh).toBe('ริมใต้');
    expect(p?.address?.postcode).toBe('50180');
    const consents = await bot.rt.models.ConsentEvent.find({ userId: u.id }).lean();
    expect(consents.map((c) => [c.purpose, c.granted, c.noticeVersion]).sort()).toEqual([
      ['notices', true, '2026-11-v1'],
      ['registration', true, '2026-11-v1'],
      ['sharing', false, '2026-11-v1'],
    ]);
    expect((await session(u.id)).flow).toBeNull();
  });

  it('when a group producer registers in English with a shared location, shops and optional details, then all of it is saved and the ID is sealed', async () => {
    const u = bot.user(undefined, { language: 'en' });
    expect((await u.follow()).text).toContain('Welcome');
    await u.taps('Register (OTOP)');
    await u.taps('I agree (20+)');
    await u.says('Somchai Rakthai');
    await u.says('+66 81 234 5678');
    await u.taps('Community group');
    expect(u.last.text).toContain('name of your group');
    await u.says('Ban Rim Tai Weavers');
    await u.says('๑๕');
    const confirm = await u.sharesLocation(18.9167, 98.9431, '123 Moo 4, Rim Tai, Mae Rim, Chiang Mai 50180, Thailand');
    expect(confirm.text).toContain('Rim Tai');
    await u.taps("Yes, that's right");
    await u.says('silk scarf');
    const more = await u.says('cotton bag'); // products one by one
    expect(more.text).toContain('So far: silk scarf, cotton bag');
    await u.taps('Textiles & clothing');
    await u.taps('TikTok Shop');
    expect(u.last.text).toContain('Selected: TikTok Shop');
    await u.taps('Lazada');
    await u.taps('Done');
    await u.taps('I agree');
    const summary = await u.taps('I agree');
    expect(summary.text).toContain('Ban Rim Tai Weavers');
    expect(summary.text).toContain('TikTok Shop, Lazada');

    // Optional details are added from the summary.
    await u.taps('Edit'); // first edit button: name — then go back to the summary unchanged
    await u.says('Somchai Rakthai');
    expect(u.last.text).toContain('Please check before saving');
    const idEdit = u.last.messages[0]!;
    const rows = JSON.stringify(idEdit);
    expect(rows).toContain('National ID');
    await u.postback(editDataFor(u.last.messages, 'national_id'));
    await u.says('1-1037-00012-34-6');
    expect(u.last.text).toContain('X-XXXX-XXXXX-34-6');
    expect(JSON.stringify(await bot.rt.models.Session.findById(u.id).lean())).not.toContain(VALID_ID);
    await u.taps('Confirm');

    const p = await producer(u.id);
    expect(p).toMatchObject({ producerType: 'community_group', groupName: 'Ban Rim Tai Weavers', memberCount: 15, category: 'textile', products: ['silk scarf', 'cotton bag'], shops: ['tiktok', 'lazada'] });
    expect(p?.address?.subdistrict?.code).toBe('500701');
    expect(JSON.stringify(p)).not.toContain(VALID_ID);
    expect(bot.rt.sealer.unseal(p!.nationalIdSealed!, { owner: u.id, field: 'nationalId' })).toBe(VALID_ID);
    expect(() => bot.rt.sealer.unseal(p!.nationalIdSealed!, { owner: 'Uanother', field: 'nationalId' })).toThrow();
  });
});

/** Opens registration and gives the three consents. */
async function openAndConsent(u: ChatUser): Promise<void> {
  await u.says('ลงทะเบียน');
  await u.taps('ยินยอม (อายุ 20+)');
}

/** …then answers name, phone and producer type, stopping at the address question. */
async function untilAddress(u: ChatUser): Promise<void> {
  await openAndConsent(u);
  await u.says('สมศรี ใจดี');
  await u.says('0812345678');
  await u.taps('ผู้ผลิตรายเดียว');
}

/** The postback data of a summary row's edit button that goes to `step`. */
function editDataFor(messages: unknown[], step: string): string {
  const found = JSON.stringify(messages).match(new RegExp(`"data":"([^"]*x=edit&s=${step})"`));
  if (!found) throw new Error(`no edit button for ${step}`);
  return found[1]!;
}

describe('the address typed in one message', () => {
  it('when the whole address is typed where the province is asked, then it is confirmed in one tap and the district questions are skipped', async () => {
    const u = bot.user();
    await untilAddress(u);
    const confirm = await u.says('ต.ริมใต้ อ.แม่ริม จ.เชียงใหม่');
    expect(confirm.text).toContain('ริมใต้, แม่ริม, เชียงใหม่, 50180');
    const next = await u.taps('ใช่ ถูกต้อง');
    expect(next.text).toContain('สินค้าของคุณชื่ออะไร');
    const answers = (await session(u.id)).flow?.answers as { address: { district: { nameTh: string } } };
    expect(answers.address.district.nameTh).toBe('แม่ริม');
  });

  it('when only a province is typed, then the district is asked next as usual', async () => {
    const u = bot.user();
    await untilAddress(u);
    expect((await u.says('ขอนแก่น')).text).toContain('อำเภอ');
  });
});

describe('validators and retries', () => {
  it('when the phone number is a landline, then a clear Thai answer, nothing changes, and a correct number moves on', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    const bad = await u.says('02-123-4567');
    expect(bad.text).toContain('เบอร์บ้าน');
    expect((await session(u.id)).flow?.step).toBe('phone');
    expect((await session(u.id)).flow?.answers.phone).toBeUndefined();
    await u.says('0812345678');
    expect((await session(u.id)).flow?.step).toBe('producer_type');
  });

  it.each([
    ['name', 'fullName', '12345', 'ตัวเลข'],
    ['member count', 'memberCount', 'หลายคน', 'ตัวเลข'],
  ])('when the %s is invalid, then the user is told what to type', async (_what, _field, input, expected) => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    if (_field === 'memberCount') {
      await u.says('สมศรี ใจดี');
      await u.says('0812345678');
      await u.taps('กลุ่มผู้ผลิตชุมชน');
      await u.says('กลุ่มทอผ้าบ้านริม');
    }
    const a = await u.says(input);
    expect(a.text).toContain(expected);
  });

  it('when a national ID fails its checksum three times, then an officer is offered', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลงทะเบียน');
    await u.postback(editDataFor(u.last.messages, 'national_id'));
    await u.says('1-1037-00012-34-7');
    expect(u.last.text).toContain('ไม่ถูกต้อง');
    await u.says('1103700012345');
    const third = await u.says('๑๑๐๓๗๐๐๐๑๒๓๔๔');
    expect(third.choices).toContain('ติดต่อเจ้าหน้าที่');
    expect((await producer(u.id))?.nationalIdSealed).toBeUndefined();
  });

  it('when a province is typed with a typo, then it is recognised; when it is unclear, then suggestions are offered', async () => {
    const u = bot.user();
    await untilAddress(u);
    const typo = await u.says('จ.เชียงไหม่');
    expect(typo.text).toContain('อำเภอ');
    await u.says('ย้อนกลับ');
    const vague = await u.says('สุ');
    expect(vague.choices.length).toBeGreaterThan(1);
  });
});

describe('ways out: back, cancel, help, language, resume', () => {
  it('when the user says back, then the previous question is asked again and can be changed', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await u.says('สมศรี ใจดี');
    const back = await u.says('ย้อน กลับ');
    expect(back.text).toContain('ชื่อและนามสกุล');
    await u.says('สมหญิง ใจดี');
    expect((await session(u.id)).flow?.answers.fullName).toBe('สมหญิง ใจดี');
  });

  it('when the user cancels and confirms, then the journey ends and nothing personal is kept', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await u.says('สมศรี ใจดี');
    const ask = await u.says('ยกเลิก');
    expect(ask.choices).toEqual(['ยกเลิกทั้งหมด', 'ย้อนกลับข้อเดียว', 'ทำต่อ']);
    const a = await u.taps('ยกเลิกทั้งหมด');
    expect(a.text).toContain('ยกเลิก');
    expect(a.choices).toContain('ลงทะเบียน OTOP');
    const s = await session(u.id);
    expect(s.flow).toBeNull();
    expect(JSON.stringify(await bot.rt.models.Session.findById(u.id).lean())).not.toContain('สมศรี');
    expect(await producer(u.id)).toBeNull();
  });

  it('when the user asks for help mid-question, then help for that step and a way to continue', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await u.says('สมศรี ใจดี');
    const help = await u.says('ช่วยเหลือ');
    expect(help.text).toContain('081-234-5678');
    expect(help.choices).toContain('ทำต่อ');
    const cont = await u.taps('ทำต่อ');
    expect(cont.text).toContain('เบอร์มือถือ');
  });

  it('when the user switches language mid-flow, then the same question is asked in English', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('ภาษา');
    const en = await u.taps('English');
    expect(en.text).toContain('first name and surname');
    expect((await session(u.id)).lang).toBe('en');
    expect((await session(u.id)).langChosen).toBe(true);
  });

  it('when the user goes to the menu and picks the journey again, then it goes straight on where they were', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await u.says('สมศรี ใจดี');
    await u.says('เมนู');
    const again = await u.taps('ลงทะเบียน OTOP');
    expect(again.text).toContain('ต่อจากที่ค้างไว้');
    expect(again.text).toContain('เบอร์มือถือ');
    expect(again.choices).not.toContain('ทำต่อจากเดิม');
  });

  it('when the user types the journey name again, then they choose between continuing and a clearly labelled start from the top', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await u.says('สมศรี ใจดี');
    await u.says('เมนู');
    const again = await u.says('ลงทะเบียน');
    expect(again.choices).toEqual(expect.arrayContaining(['ทำต่อจากเดิม', 'เริ่มใหม่ตั้งแต่ต้น']));
    expect(again.text).toContain('คำตอบเดิมยังอยู่');
    const resumed = await u.taps('ทำต่อจากเดิม');
    expect(resumed.text).toContain('เบอร์มือถือ');
  });

  it('when a user returns weeks later mid-journey, then they are welcomed back and what they typed is kept, not discarded', async () => {
    const u = bot.user();
    await openAndConsent(u);
    await bot.rt.models.Session.updateOne({ _id: u.id }, { $set: { lastEventAt: new Date(Date.now() - 21 * 86_400_000) } });
    const back = await u.says('สมศรี ใจดี');
    expect(back.text).toContain('ยินดีต้อนรับกลับ');
    expect(back.text).toContain('"สมศรี ใจดี"');
    expect(back.text).toContain('เบอร์มือถือ');
    expect((await session(u.id)).flow?.answers.fullName).toBe('สมศรี ใจดี');
  });

  it('when the flow file changed while the user was in a step that no longer exists, then they continue without a crash', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await bot.rt.models.Session.updateOne({ _id: u.id }, { $set: { 'flow.version': 0, 'flow.step': 'removed_step' } });
    const a = await u.says('สวัสดี');
    expect(a.text).toContain('ปรับปรุง');
    expect((await session(u.id)).flow?.version).toBeGreaterThan(0);
    expect((await session(u.id)).flow?.step).not.toBe('removed_step');
  });
});

describe('summary edits', () => {
  it('when the province is changed from the summary, then district and subdistrict are asked again and the summary returns', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลงทะเบียน');
    expect(u.last.text).toContain('ลงทะเบียนไว้แล้ว');
    await u.postback(editDataFor(u.last.messages, 'province'));
    await u.says('ขอนแก่น');
    expect(u.last.text).toContain('อำเภอ');
    await u.says('เมืองขอนแก่น');
    await u.says('ในเมือง');
    expect(u.last.text).toContain('ตรวจข้อมูลก่อนบันทึก');
    expect(u.last.text).toContain('ขอนแก่น');
    await u.taps('ยืนยัน ถูกต้อง');
    const p = await producer(u.id);
    expect(p?.address?.province?.nameTh).toBe('ขอนแก่น');
    expect(await bot.rt.models.Producer.countDocuments({ userId: u.id })).toBe(1);
  });
});

describe('consents', () => {
  it('when consent (1) is declined, then the journey ends politely and nothing personal is stored', async () => {
    const u = bot.user();
    await u.says('สมัคร');
    const a = await u.taps('ไม่ยินยอม');
    expect(a.text).toContain('ไม่ได้เก็บข้อมูล');
    expect(await producer(u.id)).toBeNull();
    expect(await bot.rt.models.ConsentEvent.countDocuments({ userId: u.id })).toBe(0);
    expect((await session(u.id)).flow).toBeNull();
  });

  it('when the user is under 20, then they are told a guardian must consent and nothing is stored', async () => {
    const u = bot.user();
    await u.says('register');
    const a = await u.taps('อายุต่ำกว่า 20 ปี');
    expect(a.text).toContain('ผู้ปกครอง');
    expect(await producer(u.id)).toBeNull();
  });

  it('when consents (2) and (3) are declined, then the producer is still registered with both recorded as declined', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    for (const s of ['สมศรี ใจดี', '0812345678']) await u.says(s);
    await u.taps('ผู้ผลิตรายเดียว');
    for (const s of ['เชียงใหม่', 'แม่ริม', 'ริมใต้']) await u.says(s);
    await u.says('น้ำพริก');
    await u.taps('อาหาร');
    await u.taps('ยังไม่มี');
    await u.taps('ไม่ยินยอม');
    await u.taps('ไม่ยินยอม');
    await u.taps('ยืนยัน ถูกต้อง');
    expect((await producer(u.id))?.consents).toMatchObject({ registration: true, notices: false, sharing: false });
  });

  it('when a user withdraws the reminders consent, then the profile and the consent log say so', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ความยินยอม');
    expect(u.last.text).toContain('รับแจ้งเตือน = ใช่');
    await u.taps('แจ้งเตือน/ข่าว');
    await u.taps('ถอนความยินยอม');
    expect((await producer(u.id))?.consents?.notices).toBe(false);
    const last = await bot.rt.models.ConsentEvent.findOne({ userId: u.id, purpose: 'notices' }).sort({ at: -1 }).lean();
    expect(last?.granted).toBe(false);
  });
});

describe('my data and deleting it', () => {
  it('when a registered producer asks for their data, then it is shown with the ID masked', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลงทะเบียน');
    await u.postback(editDataFor(u.last.messages, 'national_id'));
    await u.says(VALID_ID);
    await u.taps('ยืนยัน ถูกต้อง');
    const mine = await u.says('ข้อมูลของฉัน');
    expect(mine.text).toContain('สมศรี ใจดี');
    expect(mine.text).toContain('X-XXXX-XXXXX-34-6');
    expect(mine.text).not.toContain(VALID_ID);
    expect(mine.choices).toEqual(expect.arrayContaining(['แก้ไขข้อมูล', 'ลบข้อมูลของฉัน']));
  });

  it('when the producer deletes their data and confirms, then it is erased, the erasure is recorded and the consent log no longer names them', async () => {
    const u = bot.user();
    await registerInThai(u);
    const ask = await u.says('ลบข้อมูลของฉัน');
    expect(ask.choices).toEqual(expect.arrayContaining(['ลบข้อมูลทั้งหมด', 'ไม่ลบ']));
    const done = await u.taps('ลบข้อมูลทั้งหมด');
    expect(done.text).toContain('ลบข้อมูลส่วนตัวของคุณเรียบร้อยแล้ว');
    expect(await producer(u.id)).toBeNull();
    expect(await bot.rt.models.ConsentEvent.countDocuments({ userId: u.id })).toBe(0);
    expect(await bot.rt.models.DataErasure.countDocuments({})).toBeGreaterThanOrEqual(1);
  });

  it('when the producer says no to deleting, then nothing is erased', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลบข้อมูล');
    await u.taps('ไม่ลบ');
    expect(await producer(u.id)).not.toBeNull();
  });
});

describe('buttons pressed twice or from old messages', () => {
  it('when a consent button is pressed twice, then the second press changes nothing and the current question is asked', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    const first = u.last.action('ยินยอม (อายุ 20+)') as { data: string };
    await u.postback(first.data);
    const stepAfterFirst = (await session(u.id)).flow?.step;
    const again = await u.postback(first.data);
    expect(again.text).toContain('คำถามก่อนหน้า');
    expect((await session(u.id)).flow?.step).toBe(stepAfterFirst);
  });

  it('when a button from an abandoned journey is pressed, then it does no harm', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    const old = u.last.action('ยินยอม (อายุ 20+)') as { data: string };
    await u.says('ยกเลิก');
    const a = await u.postback(old.data);
    expect(a.text).toContain('จบหรือปิดไปแล้ว');
    expect(a.text).not.toContain('คำถามล่าสุด');
    expect((await session(u.id)).flow).toBeNull();
  });
});

describe('registering again', () => {
  it('when a registered producer registers again and changes the phone, then the profile is updated, not duplicated', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลงทะเบียน');
    await u.postback(editDataFor(u.last.messages, 'phone'));
    await u.says('089 999 8888');
    await u.taps('ยืนยัน ถูกต้อง');
    expect(await bot.rt.models.Producer.countDocuments({ userId: u.id })).toBe(1);
    expect((await producer(u.id))?.phone).toBe('+66899998888');
  });
});
