import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedTrainings } from '../../src/features/training/seed.js';
import type { SampleTraining } from '../../src/features/training/sample-trainings.js';
import { trainingData } from '../../src/features/training/cards.js';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { ev } from '../support/events.js';
import { registerInThai } from '../support/journeys.js';
import { saveRegistered } from '../support/producers.js';

let bot: TestBot;
const office = { th: 'สำนักงานพัฒนาชุมชนจังหวัดเชียงใหม่', en: 'Chiang Mai Provincial CD Office' };
const sample = (code: string, over: Partial<SampleTraining>): SampleTraining => ({
  code,
  title: { th: `อบรม ${code}`, en: `Course ${code}` },
  topic: 'tiktok_shop',
  mode: 'onsite',
  provinceCode: '50',
  venue: { th: 'ศาลากลาง', en: 'City hall' },
  startInDays: 10,
  startTime: '09:00',
  endTime: '16:00',
  capacity: 20,
  deadlineDaysBeforeStart: 2,
  office,
  ...over,
});

beforeAll(async () => {
  bot = await startTestBot('training');
  await seedTrainings(bot.rt.models, {
    now: new Date(),
    samples: [
      sample('KKN-1', { provinceCode: '40', startInDays: 3, title: { th: 'ไลฟ์ขายของ ขอนแก่น', en: 'Live selling Khon Kaen' } }),
      sample('ONL-1', { mode: 'online', provinceCode: undefined, venue: undefined, onlineUrl: 'https://example.org/live', startInDays: 6, title: { th: 'การตลาดออนไลน์ (ออนไลน์)', en: 'Online marketing (online)' } }),
      sample('CNX-1', { startInDays: 9, title: { th: 'ถ่ายรูปสินค้า เชียงใหม่', en: 'Product photos Chiang Mai' } }),
      sample('CNX-SMALL', { startInDays: 12, capacity: 1, title: { th: 'ห้องเล็ก เชียงใหม่', en: 'Small room Chiang Mai' } }),
      sample('CNX-CROWD', { startInDays: 14, capacity: 10, title: { th: 'รุมสมัคร เชียงใหม่', en: 'Crowded Chiang Mai' } }),
      ...['CAP-1', 'CAP-2', 'CAP-3', 'CAP-4'].map((code, i) => sample(code, { startInDays: 20 + i, capacity: 5, provinceCode: '10' })),
    ],
  });
});
afterAll(async () => bot?.close());
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

/** A registered producer (registration consent given), stored directly: sign-up needs one. */
async function registered(u: ChatUser): Promise<ChatUser> {
  await saveRegistered(bot.rt.producers, u.id);
  return u;
}

const idOf = async (code: string) => String((await bot.rt.models.Training.findOne({ code }).lean())!._id);
/** The words a user sees in the last answer (texts inside Flex bubbles included; no ids). */
const flexText = (u: ChatUser) => [...JSON.stringify(u.last.messages).matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]).join('\n');

describe('listing trainings', () => {
  it('when a producer from Chiang Mai asks for trainings, then Chiang Mai courses come first, then online, with seats and Thai B.E. dates', async () => {
    const u = bot.user();
    await registerInThai(u);
    const a = await u.says('สมัครอบรม');
    const carousel = a.messages.find((m) => m.type === 'flex') as { contents: { type: string; contents: unknown[] } };
    expect(carousel.contents.type).toBe('carousel');
    const titles = carousel.contents.contents.map((b) => JSON.stringify(b).match(/อบรม [^"]*|ไลฟ์[^"]*|การตลาด[^"]*|ถ่ายรูป[^"]*|ห้องเล็ก[^"]*|รุมสมัคร[^"]*/)?.[0]);
    expect(titles.slice(0, 3)).toEqual(['ถ่ายรูปสินค้า เชียงใหม่', 'ห้องเล็ก เชียงใหม่', 'รุมสมัคร เชียงใหม่']);
    expect(titles[3]).toBe('การตลาดออนไลน์ (ออนไลน์)');
    expect(titles[4]).toBe('ไลฟ์ขายของ ขอนแก่น');
    const year = new Date().getUTCFullYear() + 543;
    expect(flexText(u)).toMatch(new RegExp(`${year}|${year + 1}`));
    expect(flexText(u)).toContain('ว่าง 20 ที่');
  });

  it('when an English speaker lists trainings, then dates are C.E.', async () => {
    const u = bot.user(undefined, { language: 'en' });
    await u.follow();
    await u.says('training');
    const year = new Date().getUTCFullYear();
    expect(flexText(u)).toMatch(new RegExp(`${year}|${year + 1}`));
    expect(flexText(u)).not.toContain(String(year + 543));
  });
});

describe('signing up', () => {
  it('when a producer taps sign up and confirms, then the seat is theirs and "my trainings" shows it with a cancel button', async () => {
    const u = await registered(bot.user());
    await u.says('อบรม');
    await u.taps('สมัคร');
    expect(u.last.text).toContain('ยืนยันสมัครอบรมนี้');
    const done = await u.taps('ใช่ สมัครเลย');
    expect(done.text).toContain('สมัครเรียบร้อยแล้ว');
    const mine = await u.says('อบรมของฉัน');
    expect(JSON.stringify(mine.messages)).toContain('ยกเลิกการสมัคร');
  });

  it('when the same sign-up button is tapped twice, then there is still one seat and the second tap says so', async () => {
    const u = await registered(bot.user());
    const id = await idOf('CNX-1');
    await u.postback(trainingData('join', id));
    const again = await u.postback(trainingData('join', id));
    expect(again.text).toContain('สมัครอบรมนี้ไว้แล้ว');
    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: u.id })).toBe(1);
  });

  it('when a training is full, then the waiting list is offered; a cancellation promotes the first waiting person, who is told by push', async () => {
    const id = await idOf('CNX-SMALL');
    const first = await registered(bot.user());
    const waiter = await registered(bot.user());
    await first.postback(trainingData('pick', id));
    await first.taps('ใช่ สมัครเลย');
    expect(first.last.text).toContain('สมัครเรียบร้อยแล้ว');

    await waiter.postback(trainingData('pick', id));
    expect(waiter.last.text).toContain('เต็มแล้ว');
    await waiter.taps('ลงชื่อรอคิว');
    expect(waiter.last.text).toContain('ลำดับที่ 1');

    const before = bot.fake.sent(waiter.id).length;
    await first.postback(trainingData('cancel', id));
    await first.taps('ใช่ ยกเลิก');
    expect(first.last.text).toContain('ยกเลิกการสมัครเรียบร้อยแล้ว');
    const pushed = bot.fake.sent(waiter.id).slice(before);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]!.via).toBe('push');
    expect(pushed[0]!.message.text).toContain('มีที่นั่งว่างแล้ว');
    const signup = await bot.rt.models.TrainingSignup.findOne({ userId: waiter.id }).lean();
    expect(signup?.status).toBe('confirmed');
  });

  it('when the sign-up deadline has passed or the training has started, then sign-up is refused with a clear message', async () => {
    const u = bot.user();
    const id = await idOf('KKN-1');
    await bot.rt.models.Training.updateOne({ code: 'KKN-1' }, { $set: { signupDeadline: new Date(Date.now() - 60_000) } });
    expect((await u.postback(trainingData('join', id))).text).toContain('ปิดรับสมัครแล้ว');
    await bot.rt.models.Training.updateOne({ code: 'KKN-1' }, { $set: { startsAt: new Date(Date.now() - 60_000) } });
    expect((await u.postback(trainingData('join', id))).text).toContain('เริ่มไปแล้ว');
    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: u.id })).toBe(0);
  });

  it('when 50 producers join at the same moment for 10 seats, then exactly 10 are confirmed and 40 wait', async () => {
    const id = await idOf('CNX-CROWD');
    const users = await Promise.all(Array.from({ length: 50 }, () => registered(bot.user())));
    const events = users.map((u) => ev.postback(u.id, trainingData('wait', id)));
    const res = await bot.deliver(events);
    expect(res.status).toBe(200);
    await bot.settle();
    const signups = await bot.rt.models.TrainingSignup.find({ trainingId: id }).lean();
    expect(signups.filter((s) => s.status === 'confirmed')).toHaveLength(10);
    expect(signups.filter((s) => s.status === 'waiting')).toHaveLength(40);
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t?.seatsTaken).toBe(10);
    for (const u of users) expect(bot.fake.sent(u.id).length).toBeGreaterThanOrEqual(1);
  });
});

describe('deleting my data', () => {
  it('when a producer with a training seat deletes their data, then the seat is freed and their sign-ups are gone', async () => {
    const u = bot.user();
    await registerInThai(u);
    const id = await idOf('ONL-1');
    await u.postback(trainingData('join', id));
    const taken = (await bot.rt.models.Training.findById(id).lean())!.seatsTaken;
    await u.says('ลบข้อมูลของฉัน');
    await u.taps('ลบข้อมูลทั้งหมด');
    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: u.id })).toBe(0);
    expect((await bot.rt.models.Training.findById(id).lean())!.seatsTaken).toBe(taken - 1);
  });
});

describe('who may sign up, and how much', () => {
  it('when someone who has not registered taps sign up, then no seat is taken and they are offered to register first', async () => {
    const u = bot.user();
    const id = await idOf('CNX-1');
    const before = (await bot.rt.models.Training.findById(id).lean())!.seatsTaken;
    const a = await u.postback(trainingData('join', id));
    expect(a.text).toContain('ต้องลงทะเบียนผู้ผลิต OTOP ก่อน');
    expect(a.choices).toContain('ลงทะเบียนก่อน');
    await u.postback(trainingData('wait', id));
    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: u.id })).toBe(0);
    expect((await bot.rt.models.Training.findById(id).lean())!.seatsTaken).toBe(before);
    const reg = await u.taps('ลงทะเบียนก่อน');
    expect(reg.text).toContain('สิทธิของคุณ');
  });

  it('when one account already holds the configured number of upcoming seats and waiting places, then the next sign-up is refused', async () => {
    const u = await registered(bot.user());
    const limit = bot.config.TRAINING_MAX_ACTIVE_SIGNUPS;
    expect(limit).toBe(3);
    for (const code of ['CAP-1', 'CAP-2', 'CAP-3']) expect((await u.postback(trainingData('wait', await idOf(code)))).text).toContain('สมัครเรียบร้อยแล้ว');
    const a = await u.postback(trainingData('wait', await idOf('CAP-4')));
    expect(a.text).toContain('ครบ 3 รายการ');
    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: u.id, status: { $in: ['confirmed', 'waiting'] } })).toBe(3);
    // Cancelling one frees a place for another.
    await u.postback(trainingData('cancel_yes', await idOf('CAP-1')));
    expect((await u.postback(trainingData('wait', await idOf('CAP-4')))).text).toContain('สมัครเรียบร้อยแล้ว');
  });

  it('when trainings are opened from the menu, then the quick replies sit on the last message', async () => {
    const u = await registered(bot.user());
    await u.follow();
    const a = await u.taps('สมัครอบรม');
    expect(a.messages.slice(0, -1).every((m) => !m.quickReply)).toBe(true);
    expect(a.choices).toContain('อบรมของฉัน');
  });

  it('when "my trainings" is empty, then the chips offer the trainings it mentions, not the main menu', async () => {
    const u = bot.user();
    await u.follow();
    const a = await u.taps('อบรมของฉัน');
    expect(a.text).toContain('ดูอบรมทั้งหมด');
    expect(a.choices).toContain('ดูอบรมทั้งหมด');
    expect(a.choices).not.toContain('เปิดร้าน Lazada');
  });
});
