import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { registerInThai } from '../support/journeys.js';
import { ProducerRuleError } from '../../src/features/producers/producer-store.js';
import { sampleProfile } from '../support/producers.js';

/**
 * Conversations an older producer can trust (issue 11): consent that means yes, buttons that were
 * really offered, journeys that end, and nothing she typed lost or misread.
 */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('conversation-trust');
});
afterAll(async () => bot?.close());
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

const session = (userId: string) => bot.rt.sessions.read(userId);
const producer = (userId: string) => bot.rt.models.Producer.findOne({ userId }).lean();

/** A postback the bot never showed, carrying the current turn (as a forger would copy it). */
async function forge(u: ChatUser, extra: string): Promise<void> {
  const s = await session(u.id);
  await u.postback(`f=${s.flow!.id}&t=${s.flow!.turn}&${extra}`);
}

async function untilSummary(u: ChatUser): Promise<void> {
  await u.says('ลงทะเบียน');
  await u.taps('ยินยอม (อายุ 20+)');
  await u.says('สมศรี ใจดี');
  await u.says('0812345678');
  await u.taps('ผู้ผลิตรายเดียว');
  await u.says('ต.ริมใต้ อ.แม่ริม จ.เชียงใหม่');
  await u.taps('ใช่ ถูกต้อง');
  await u.says('น้ำพริกเผา');
  await u.taps('อาหาร');
  await u.taps('ยังไม่มี');
  await u.taps('ยินยอม');
  await u.taps('ไม่ยินยอม');
  expect(u.last.text).toContain('ตรวจข้อมูลก่อนบันทึก');
}

/** Thai registration up to consent (2), which comes after the details. */
async function untilNotices(u: ChatUser): Promise<void> {
  await u.says('ลงทะเบียน');
  await u.taps('ยินยอม (อายุ 20+)');
  await u.says('สมศรี ใจดี');
  await u.says('0812345678');
  await u.taps('ผู้ผลิตรายเดียว');
  await u.says('ต.ริมใต้ อ.แม่ริม จ.เชียงใหม่');
  await u.taps('ใช่ ถูกต้อง');
  await u.says('น้ำพริกเผา');
  await u.taps('อาหาร');
  await u.taps('ยังไม่มี');
  expect((await session(u.id)).flow?.step).toBe('consent_notices');
}

describe('buttons the bot never issued', () => {
  it('when x=done is forged at the first consent, then it is answered as stale, nothing is recorded and the consent is asked again', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await forge(u, 'x=done');
    expect(u.last.text).toContain('ปุ่มนี้');
    expect(u.last.text).toContain('(1) คุณยินยอม');
    const s = await session(u.id);
    expect(s.flow?.step).toBe('consent_registration');
    expect(s.flow?.answers).toEqual({});
  });

  it('when x=confirm, x=go&s=done and x=edit&s=<unrelated step> are forged, then none of them moves the journey or stores a producer', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await forge(u, 'x=confirm');
    await forge(u, 'x=go&s=done');
    await forge(u, 'x=go&s=save');
    await forge(u, 'x=edit&s=name');
    const s = await session(u.id);
    expect(s.flow?.step).toBe('consent_registration');
    expect(await producer(u.id)).toBeNull();
  });

  it('when the summary gets a forged edit for a step it does not list, or for __proto__, then the summary is shown again unchanged', async () => {
    const u = bot.user();
    await untilSummary(u);
    await forge(u, 'x=edit&s=consent_registration');
    expect((await session(u.id)).flow?.step).toBe('summary');
    await forge(u, 'x=edit&s=__proto__');
    expect((await session(u.id)).flow?.step).toBe('summary');
    await forge(u, 'x=go&s=__proto__');
    expect(u.last.text).toContain('ตรวจข้อมูลก่อนบันทึก');
    expect((await session(u.id)).flow?.answers.consents).toEqual({ registration: true, notices: true, sharing: false });
    // The summary's own buttons still work.
    await u.taps('ยืนยัน ถูกต้อง');
    expect((await producer(u.id))?.consents?.registration).toBe(true);
  });

  it('when a choice value that was not on the shown page is forged, then it is not accepted', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    await u.taps('ผู้ผลิตรายเดียว');
    expect(u.last.choices).not.toContain('แม่ฮ่องสอน');
    await forge(u, 'v=58'); // Mae Hong Son: a real province, but not a button on this page
    expect((await session(u.id)).flow?.answers.address).toBeUndefined();
    expect((await session(u.id)).flow?.step).toBe('province');
  });

  it('when an old "start over" button is tapped after more answers were given, then nothing is wiped and the user is asked', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('เมนู');
    await u.says('ลงทะเบียน');
    const offer = u.last;
    await u.taps('ทำต่อจากเดิม');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    u.last = offer;
    const again = await u.taps('เริ่มใหม่ตั้งแต่ต้น');
    expect(again.choices).toEqual(expect.arrayContaining(['ทำต่อจากเดิม', 'เริ่มใหม่ตั้งแต่ต้น']));
    expect((await session(u.id)).flow?.answers).toMatchObject({ fullName: 'สมศรี ใจดี', phone: '+66812345678' });
  });

  it('when the store is asked to keep a profile without the registration consent, then it refuses and writes nothing', async () => {
    const profile = sampleProfile();
    const store = bot.rt.producers;
    await expect(store.save('Unoconsent', profile, { registration: false, notices: true, sharing: true }, 'v1', new Date())).rejects.toBeInstanceOf(ProducerRuleError);
    await expect(store.save('Unoconsent', { ...profile, phone: '02-123-4567' }, { registration: true, notices: true, sharing: true }, 'v1', new Date())).rejects.toBeInstanceOf(ProducerRuleError);
    expect(await producer('Unoconsent')).toBeNull();
    expect(await bot.rt.models.ConsentEvent.countDocuments({ userId: 'Unoconsent' })).toBe(0);
  });
});

describe('consent and erasure mean what the person said', () => {
  it('when "ยินยอมไม่ได้" is typed at the notices consent, then it is not taken as yes', async () => {
    const u = bot.user();
    await untilNotices(u);
    const a = await u.says('ยินยอมไม่ได้');
    expect(a.text).toContain('แตะปุ่มคำตอบ');
    expect((await session(u.id)).flow?.answers.consents).toEqual({ registration: true });
    expect((await session(u.id)).flow?.step).toBe('consent_notices');
  });

  it('when a loose "ยินยอม" is typed at the first consent, then only the button or its exact words count', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.says('ยินยอม 20+');
    expect((await session(u.id)).flow?.step).toBe('consent_registration');
    await u.says('ยินยอม (อายุ 20+) ค่ะ');
    expect((await session(u.id)).flow?.answers.consents).toEqual({ registration: true });
  });

  it('when "i agree not" is typed in English, then it is not consent; "No, thanks" typed is a refusal', async () => {
    const u = bot.user(undefined, { language: 'en' });
    await u.follow();
    await u.says('register');
    await u.taps('I agree (20+)');
    await u.says('Somsri Jaidee');
    await u.says('0812345678');
    await u.taps('Individual producer');
    await u.sharesLocation(18.9167, 98.9431, '123 Moo 4, Rim Tai, Mae Rim, Chiang Mai 50180, Thailand');
    await u.taps("Yes, that's right");
    await u.says('chilli paste');
    await u.taps('Food');
    await u.taps('None yet');
    await u.says('i agree not');
    expect((await session(u.id)).flow?.answers.consents).toEqual({ registration: true });
    await u.says('no, thanks');
    expect((await session(u.id)).flow?.answers.consents).toEqual({ registration: true, notices: false });
  });

  it('when "Don\'t delete everything" or "อย่าลบข้อมูลทั้งหมด" is typed at the erasure question, then nothing is erased', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลบข้อมูลของฉัน');
    await u.says('อย่าลบข้อมูลทั้งหมด');
    await u.says("Don't ลบข้อมูลทั้งหมด");
    await u.says("Don't delete everything");
    expect(await producer(u.id)).not.toBeNull();
    expect((await session(u.id)).flow?.id).toBe('delete-data');
    await u.taps('ทำต่อ'); // after three tries the bot offers help; continuing asks again
    await u.taps('ไม่ลบ');
    expect(await producer(u.id)).not.toBeNull();
  });

  it('when an option is only close to what was typed, then "did you mean" is offered instead of picking it', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    const a = await u.says('รายเดียว');
    expect(a.text).toContain('หมายถึงข้อไหน');
    expect((await session(u.id)).flow?.answers.producerType).toBeUndefined();
  });

  it('when a negated answer is typed at a list, then a positive option is not picked ("ไม่มี tiktok")', async () => {
    const u = bot.user();
    await untilSummary(u);
    await u.postback(JSON.stringify(u.last.messages).match(/"data":"([^"]*x=edit&s=shops)"/)![1]!);
    await u.says('ไม่มี TikTok Shop');
    expect((await session(u.id)).flow?.answers.shops).toEqual(['none']);
    expect((await session(u.id)).flow?.step).toBe('shops');
  });
});

describe('free text that is not an answer', () => {
  it('when "ไม่เข้าใจ" is typed at the name, then the question is explained with an example and nothing is stored', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    const a = await u.says('ไม่เข้าใจค่ะ');
    expect(a.text).toContain('เช่น สมศรี ใจดี');
    expect(a.choices).toEqual(expect.arrayContaining(['ช่วยเหลือ', 'ยกเลิก']));
    expect((await session(u.id)).flow?.answers.fullName).toBeUndefined();
    await u.says('อะไรนะ');
    expect((await session(u.id)).flow?.answers.fullName).toBeUndefined();
  });

  it('when "ไม่เข้าใจ" is typed at the products or asked back as a question, then nothing is saved as a product', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    await u.taps('ผู้ผลิตรายเดียว');
    await u.says('ต.ริมใต้ อ.แม่ริม จ.เชียงใหม่');
    await u.taps('ใช่ ถูกต้อง');
    const a = await u.says('ไม่เข้าใจ');
    expect(a.text).toContain('ทีละบรรทัด');
    expect(a.text).not.toContain('จุลภาค');
    await u.says('ต้องพิมพ์อะไรคะ?');
    expect((await session(u.id)).flow?.answers.products).toBeUndefined();
  });

  it('when "ไม่เข้าใจ" is typed at the consent question, then it is explained, not called a wrong answer', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    const a = await u.says('ไม่เข้าใจ');
    expect(a.text).not.toContain('ไม่พบคำตอบนี้');
    expect(a.text).toContain('ความยินยอมแต่ละข้อแยกกัน');
    expect((await session(u.id)).flow?.answers).toEqual({});
  });

  it('when "สวัสดีค่ะ" or "ขอบคุณค่ะ" is sent outside a journey, then a kind answer with the menu', async () => {
    const u = bot.user();
    const hi = await u.says('สวัสดีค่ะ');
    expect(hi.text).not.toContain('ไม่เข้าใจ');
    expect(hi.text).toContain('สวัสดีค่ะ');
    expect(hi.choices).toContain('ลงทะเบียน OTOP');
    const thanks = await u.says('ขอบคุณค่ะ');
    expect(thanks.text).toContain('ยินดีค่ะ');
    expect(thanks.choices).toContain('ลงทะเบียน OTOP');
  });

  it('when "สวัสดีค่ะ" is sent at the name question, then it is greeted back and not stored as the name', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    const a = await u.says('สวัสดีค่ะ');
    expect(a.text).toContain('ชื่อและนามสกุล');
    expect((await session(u.id)).flow?.answers.fullName).toBeUndefined();
  });
});

describe('cancel, pauses and journeys that end', () => {
  it('when "ยกเลิก" is typed late in a registration, then it asks first and "back one" undoes only the last answer', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    const ask = await u.says('ยกเลิก');
    expect(ask.choices).toEqual(['ยกเลิกทั้งหมด', 'ย้อนกลับข้อเดียว', 'ทำต่อ']);
    expect((await session(u.id)).flow?.answers.fullName).toBe('สมศรี ใจดี');
    const back = await u.taps('ย้อนกลับข้อเดียว');
    expect(back.text).toContain('เบอร์มือถือ');
    expect((await session(u.id)).flow?.answers.fullName).toBe('สมศรี ใจดี');
  });

  it('when "ยกเลิก" comes at the first question, then it cancels straight away (nothing to lose)', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.says('ยกเลิก');
    expect((await session(u.id)).flow).toBeNull();
  });

  it('when the old summary card is tapped after finishing, then no "continue" is offered: the journey is over', async () => {
    const u = bot.user();
    await untilSummary(u);
    const card = u.last;
    await u.taps('ยืนยัน ถูกต้อง');
    u.last = card;
    const again = await u.taps('ยืนยัน ถูกต้อง');
    expect(again.text).toContain('จบหรือปิดไปแล้ว');
    expect(again.text).not.toContain('คำถามล่าสุด');
    expect(again.choices).not.toContain('ทำต่อจากเดิม');
    expect((await session(u.id)).flow).toBeNull();
  });

  it('when the registered producer opens the menu, then the registration button says it edits', async () => {
    const u = bot.user();
    await registerInThai(u);
    expect(u.last.choices).toContain('แก้ไขข้อมูลลงทะเบียน');
    expect(u.last.choices).not.toContain('ลงทะเบียน OTOP');
    await u.says('ลบข้อมูลของฉัน');
    await u.taps('ลบข้อมูลทั้งหมด');
    expect(u.last.choices).toContain('ลงทะเบียน OTOP');
  });

  it('when "my data" is opened, left for the menu and opened again, then the data is shown again (no "continue or start over")', async () => {
    const u = bot.user();
    await registerInThai(u);
    const first = await u.says('ข้อมูลของฉัน');
    expect(first.text).toContain('สมศรี ใจดี');
    expect((await session(u.id)).flow).toBeNull();
    await u.says('เมนู');
    const again = await u.says('ข้อมูลของฉัน');
    expect(again.text).toContain('สมศรี ใจดี');
    expect(again.choices).not.toContain('ทำต่อจากเดิม');
  });

  it('when the data is deleted and the user registers again from "my data", then "my data" shows the new registration', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลบข้อมูลของฉัน');
    await u.taps('ลบข้อมูลทั้งหมด');
    const none = await u.says('ข้อมูลของฉัน');
    expect(none.text).toContain('ยังไม่ได้ลงทะเบียน');
    await u.taps('ลงทะเบียน OTOP');
    await u.taps('ยกเลิก');
    await registerInThai(u, { name: 'สมพร ใจงาม' });
    const mine = await u.says('ข้อมูลของฉัน');
    expect(mine.text).toContain('สมพร ใจงาม');
    expect(mine.choices).not.toContain('ทำต่อจากเดิม');
  });
});

describe('how long a registration takes', () => {
  it('when a producer registers in Thai, then it takes 14 user actions or fewer, opening included', async () => {
    const u = bot.user();
    const answers = await registerInThai(u);
    const actions = answers + 1; // "ลงทะเบียน" typed to open it
    expect(actions).toBeLessThanOrEqual(14);
    expect(u.last.text).toContain('ลงทะเบียนเรียบร้อยแล้ว');
  });
});

describe('lists in a helpful order', () => {
  async function untilProvince(u: ChatUser, lang: 'th' | 'en' = 'th'): Promise<void> {
    if (lang === 'en') {
      await u.follow();
      await u.says('register');
      await u.taps('I agree (20+)');
      await u.says('Somsri Jaidee');
      await u.says('0812345678');
      await u.taps('Individual producer');
      return;
    }
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    await u.taps('ผู้ผลิตรายเดียว');
  }

  it('when a new producer is asked the province, then the provinces with the most tambons come first, not alphabetical', async () => {
    const u = bot.user();
    await untilProvince(u);
    const chips = u.last.choices;
    expect(chips[1]).toBe('นครราชสีมา');
    expect(chips).not.toContain('กระบี่');
    expect(u.last.text).toContain('พิมพ์ชื่อได้เลย');
  });

  it('when a registered producer from Chiang Mai edits the province, then Chiang Mai and the northern provinces come first', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ลงทะเบียน');
    await u.postback(JSON.stringify(u.last.messages).match(/"data":"([^"]*x=edit&s=province)"/)![1]!);
    const chips = u.last.choices;
    expect(chips[1]).toBe('เชียงใหม่');
    expect(chips).toContain('เชียงราย');
  });

  it('when an English speaker gets the districts, then they are in English alphabetical order', async () => {
    const u = bot.user(undefined, { language: 'en' });
    await untilProvince(u, 'en');
    await u.says('Chiang Mai');
    const districts = u.last.choices.filter((c) => !/More|Previous|Back|Help|Cancel/.test(c));
    expect(districts.length).toBeGreaterThan(5);
    expect([...districts].sort((a, b) => a.localeCompare(b, 'en'))).toEqual(districts);
  });
});

describe('the PDPA notice', () => {
  it('when registration opens, then the notice comes in short bubbles with a link to the whole notice', async () => {
    const u = bot.user();
    const a = await u.says('ลงทะเบียน');
    const texts = a.messages.map((m) => m.text ?? m.altText ?? '');
    expect(a.messages.length).toBeGreaterThanOrEqual(4); // short parts + the consent question
    for (const t of texts) expect([...t].length).toBeLessThanOrEqual(320);
    expect(JSON.stringify(a.messages)).toContain('"label":"อ่านประกาศฉบับเต็ม"');
    expect(a.text).toContain('สิทธิของคุณ');
  });

  it('when consent (1) is given, then the name is asked next; reminders and sharing are asked after the details and can be changed on the summary', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    const next = await u.taps('ยินยอม (อายุ 20+)');
    expect(next.text).toContain('ชื่อและนามสกุล');
    const v = bot.user();
    await untilSummary(v);
    expect(v.last.text).toContain('รับแจ้งเตือน');
    expect(JSON.stringify(v.last.messages)).toContain('x=edit&s=consent_notices');
  });
});

describe('products one by one', () => {
  it('when products are typed one per message, then each is added, and tapping the category finishes the list with no extra tap', async () => {
    const u = bot.user();
    await u.says('ลงทะเบียน');
    await u.taps('ยินยอม (อายุ 20+)');
    await u.says('สมศรี ใจดี');
    await u.says('0812345678');
    await u.taps('ผู้ผลิตรายเดียว');
    await u.says('ต.ริมใต้ อ.แม่ริม จ.เชียงใหม่');
    const ask = await u.taps('ใช่ ถูกต้อง');
    expect(ask.text).not.toContain('จุลภาค');
    await u.says('ข้าวกล้องหอมมะลิ');
    const more = await u.says('น้ำพริกเผา');
    expect(more.text).toContain('ที่ใส่แล้ว: ข้าวกล้องหอมมะลิ, น้ำพริกเผา');
    expect(more.choices).toEqual(expect.arrayContaining(['อาหาร', 'ย้อนกลับ']));
    const shops = await u.taps('อาหาร');
    expect(shops.text).toContain('ร้านออนไลน์');
    const answers = (await session(u.id)).flow?.answers;
    expect(answers).toMatchObject({ products: ['ข้าวกล้องหอมมะลิ', 'น้ำพริกเผา'], category: 'food' });
  });
});

describe('the consent journey ends when it hands over', () => {
  it('when "withdraw registration" shows the delete button, then the consent journey is over (no "continue" later)', async () => {
    const u = bot.user();
    await registerInThai(u);
    await u.says('ความยินยอม');
    const a = await u.taps('การลงทะเบียน');
    expect(a.choices).toContain('ลบข้อมูลของฉัน');
    expect((await session(u.id)).flow).toBeNull();
    expect((await session(u.id)).paused).toEqual({});
    await u.says('เมนู');
    const again = await u.says('ความยินยอม');
    expect(again.choices).not.toContain('ทำต่อจากเดิม');
  });
});
