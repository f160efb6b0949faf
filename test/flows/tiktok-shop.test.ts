import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeData } from '../../src/bot/messages.js';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { bubbles, bubbleTexts, daysLater, expectTaskCard, expectWithinLineLimits, registerProducer, resetClock, TH, EN } from './marketplace-helpers.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('tiktok-shop');
});
afterAll(async () => bot?.close());
afterEach(() => {
  resetClock(bot);
  // Every message the bot sent must pass LINE's OpenAPI schema in the fake LINE server.
  expect(bot.fake.schemaErrors()).toEqual([]);
});

const SELLER_CENTER = 'https://seller-th.tiktok.com';

const STEPS_TH = [
  '1. สมัครบัญชีผู้ขาย',
  '2. เลือกประเภทผู้ขาย และยืนยันตัวตน',
  '3. ตั้งชื่อร้าน',
  '4. ใส่บัญชีธนาคาร',
  '5. ใส่ที่อยู่รับของ และที่อยู่คืนของ',
  '6. เลือกวิธีส่งของ',
  '7. ลงขายสินค้าชิ้นแรก',
  '8. เข้าร่วม #ช้อปได้ทุกถิ่น และอบรม',
];

const progressOf = (userId: string) => bot.rt.models.JourneyProgress.findById(`tiktok-shop:${userId}`).lean();
const producerOf = (userId: string) => bot.rt.models.Producer.findOne({ userId }).lean();

/** Opens the journey by keyword and taps "ready", landing on step 1. */
async function openAndStart(u: ChatUser, keyword = 'tiktok') {
  await u.follow();
  await u.says(keyword);
  return u.taps('พร้อมแล้ว เริ่มเลย');
}

describe('the TikTok Shop checklist, end to end', () => {
  it('when a registered producer follows every step in Thai, then each step is a card with what to do, what to prepare, the official link and done/help/later, and finishing records the shop', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await u.follow();

    const prepare = await u.says('tiktok');
    expectWithinLineLimits(prepare);
    const prep = bubbleTexts(bubbles(prepare)[0]!).join('\n');
    expect(prep).toContain('ก่อนเริ่ม');
    for (const item of ['อายุ 20 ปีขึ้นไป', 'บัตรประชาชน', 'มือถือ', 'อีเมล', 'บัญชีธนาคาร ชื่อเดียวกับ', 'ห้ามใช้ภาพแคปหน้าจอ', 'ไม่ต้องส่งรูปบัตรประชาชนมาในแชทนี้']) {
      expect(prep).toContain(item);
    }
    expect(prepare.choices).toEqual(['พร้อมแล้ว เริ่มเลย', 'ยังไม่พร้อม']);

    let a = await u.taps('พร้อมแล้ว เริ่มเลย');
    const cards: string[] = [];
    for (const [i, title] of STEPS_TH.entries()) {
      const link = i === 1 ? `${SELLER_CENTER}/university/` : SELLER_CENTER;
      const card = expectTaskCard(a, title, link, TH);
      cards.push(bubbleTexts(card).join('\n'));
      expect(a.text).toContain(`ขั้นที่ ${i + 1} จาก 8`); // the alt text (notifications, chat list)
      a = await u.taps('ทำแล้ว ✅');
    }
    expect(cards[0]).toContain('OTP');
    expect(cards[1]).toContain('บุคคลธรรมดา');
    expect(cards[1]).toContain('ห้ามใช้ภาพแคปหน้าจอ');
    expect(cards[2]).toContain('⚠️ ส่งแล้วเปลี่ยนชื่อร้านไม่ได้');
    expect(cards[3]).toContain('ชื่อบัญชีต้องตรงกับชื่อผู้สมัคร');
    expect(cards[4]).toContain('ที่อยู่คืนของ');
    expect(cards[6]).toContain('อย.');
    expect(cards[7]).toContain('#ช้อปได้ทุกถิ่น');

    // All eight done: the shop's name or link.
    expect(a.text).toContain('ทำครบทุกขั้นแล้ว');
    expect(a.text).toContain('วางลิงก์ร้าน TikTok');
    const bad = await u.says('https://shopee.co.th/paadaeng');
    expect(bad.text).toContain('รับเฉพาะลิงก์ร้าน TikTok หรือ Lazada');
    expect(bad.text).toContain('วางลิงก์ร้าน TikTok');
    const ok = await u.says('ร้านเราค่ะ https://www.tiktok.com/@paadaeng_silk');
    expect(ok.text).toContain('บันทึกร้านของคุณแล้วค่ะ: https://www.tiktok.com/@paadaeng_silk');
    const next = bubbleTexts(bubbles(ok)[0]!).join('\n');
    expect(next).toContain('ไม่กี่วันทำการ');
    expect(next).toContain('ดูอีเมล และ Seller Center');
    expect(ok.choices).toContain('เปิดร้าน TikTok Shop'); // back at the main menu
    expectWithinLineLimits(ok);

    const progress = await progressOf(u.id);
    expect(Object.values(progress!.steps as Record<string, { status: string }>).map((s) => s.status)).toEqual(Array(8).fill('done'));
    expect(progress!.completedAt).toBeInstanceOf(Date);
    expect(progress!.result).toMatchObject({ platform: 'tiktok', shop: { kind: 'tiktok', handle: 'paadaeng_silk' } });
    const p = await producerOf(u.id);
    expect(p!.marketplace.tiktok).toMatchObject({ shop: { kind: 'tiktok', url: 'https://www.tiktok.com/@paadaeng_silk' }, status: 'submitted' });
    expect((await bot.rt.sessions.read(u.id)).flow).toBeNull();
  });

  it('when a producer who finished comes back, then they see the shop on file and may send a new one', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    for (let i = 0; i < 8; i++) await u.taps('ทำแล้ว ✅');
    await u.says('ผ้าไหมบ้านป้าแดง');

    const back = await u.says('ติ๊กต็อก');
    expect(back.text).toContain('คุณทำครบทุกขั้นแล้วค่ะ');
    expect(back.text).toContain('ร้านที่บันทึกไว้: ผ้าไหมบ้านป้าแดง');
    expect(back.choices).toEqual(['ส่งชื่อร้านใหม่', 'ต่อไปทำอะไร']);
    expect((await u.taps('ส่งชื่อร้านใหม่')).text).toContain('วางลิงก์ร้าน TikTok');
    await u.says('https://vt.tiktok.com/ZSabc123/');
    expect((await producerOf(u.id))!.marketplace.tiktok.shop).toMatchObject({ kind: 'tiktok', shortLink: true });
  });
});

describe('leaving and coming back', () => {
  it('when a producer taps "later" on step 4 and comes back three days later, then an overview shows steps 1-3 done and the card continues at step 4', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    for (let i = 0; i < 3; i++) await u.taps('ทำแล้ว ✅');
    const later = await u.taps('ไว้ทำทีหลัง');
    expect(later.text).toContain('จำไว้แล้ว');
    expect(later.choices).toContain('เปิดร้าน TikTok Shop');
    expect((await progressOf(u.id))!.steps.bank_account.status).toBe('later');

    daysLater(bot, 3);
    const offer = await u.says('ติ๊กต๊อก');
    expect(offer.text).toContain('ค้างไว้');
    const resumed = await u.taps('ทำต่อจากเดิม');
    expect(resumed.text).toContain('✅ 1. สมัครบัญชีผู้ขาย');
    expect(resumed.text).toContain('✅ 3. ตั้งชื่อร้าน');
    expect(resumed.text).toContain('👉 4. ใส่บัญชีธนาคาร');
    expect(resumed.text).toContain('⬜ 8.');
    expect(resumed.text).toContain('เสร็จแล้ว 3 จาก 8 ขั้น');
    expectTaskCard(resumed, STEPS_TH[3]!, SELLER_CENTER, TH);
    expect((await u.taps('ทำแล้ว ✅')).text).toContain(STEPS_TH[4]);
  });

  it('when a producer types "เมนู" mid-journey and comes back after their chat session expired, then the journey opens at the overview and the first step not done', async () => {
    const u = bot.user();
    await openAndStart(u, 'เปิดร้าน tiktok');
    await u.taps('ทำแล้ว ✅');
    await u.taps('ทำแล้ว ✅');
    const menu = await u.says('เมนู');
    expect(menu.choices).toContain('เปิดร้าน TikTok Shop');

    daysLater(bot, 90); // past SESSION_IDLE_DAYS: the session forgot; journey_progress did not
    const back = await u.taps('เปิดร้าน TikTok Shop');
    expect(back.text).toContain('📋 เปิดร้าน TikTok Shop ถึงไหนแล้ว');
    expect(back.text).toContain('✅ 2. เลือกประเภทผู้ขาย');
    expect(back.text).toContain('👉 3. ตั้งชื่อร้าน');
    expect(back.text).not.toContain('ก่อนเริ่ม'); // no "what to prepare" again
    expectTaskCard(back, STEPS_TH[2]!, SELLER_CENTER, TH);
  });

  it('when a producer taps "start over" on a checklist, then done steps stay done and the overview shows them', async () => {
    const u = bot.user();
    await openAndStart(u);
    await u.taps('ทำแล้ว ✅');
    await u.says('เมนู');
    await u.says('tiktok');
    const again = await u.taps('เริ่มใหม่ตั้งแต่ต้น');
    expect(again.text).toContain('✅ 1. สมัครบัญชีผู้ขาย');
    expectTaskCard(again, STEPS_TH[1]!, SELLER_CENTER, TH);
  });
});

describe('getting help', () => {
  it('when a registered producer taps "need help" on a step, then a help request is created for their province and step, and they are told what happens next', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    await u.taps('ทำแล้ว ✅');
    const help = await u.taps('ขอความช่วยเหลือ');
    expect(help.text).toContain('พัฒนากรจังหวัดเชียงใหม่');
    expect(help.text).toContain('1-2 วันทำการ');
    expect(help.choices).toEqual(['ข้ามไปขั้นถัดไป', 'ทำแล้ว ✅', 'ไว้ทำทีหลัง', 'เมนูหลัก']);

    const requests = await bot.rt.models.HelpRequest.find({ userId: u.id }).lean();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ provinceCode: '50', districtCode: '5007', flowId: 'tiktok-shop', step: 'verify', reason: 'task_help', status: 'open' });
    expect((await progressOf(u.id))!.steps.verify.status).toBe('help');

    // Skipping ahead shows the next step; the overview later marks this one as waiting for an officer.
    expect((await u.taps('ข้ามไปขั้นถัดไป')).text).toContain(STEPS_TH[2]!);
    await u.says('เมนู');
    daysLater(bot, 90);
    const back = await u.says('tiktok');
    expect(back.text).toContain('👉 2. เลือกประเภทผู้ขาย และยืนยันตัวตน (รอเจ้าหน้าที่ช่วย)');
  });

  it('when someone not registered taps "need help", then they are told how to reach an officer and no request without a phone number is made', async () => {
    const u = bot.user();
    await openAndStart(u);
    const help = await u.taps('ขอความช่วยเหลือ');
    expect(help.text).toContain('ลงทะเบียนก่อน');
    expect(await bot.rt.models.HelpRequest.countDocuments({ userId: u.id })).toBe(0);
  });
});

describe('who the producer is', () => {
  it('when an SME starts, then the first card lists company papers (DBD) and a bank account in the company name', async () => {
    const u = bot.user();
    await registerProducer(bot, u, { producerType: 'sme', groupName: 'บริษัท ป้าแดง จำกัด', memberCount: 5 });
    await u.follow();
    const a = await u.says('tiktok shop');
    const text = bubbleTexts(bubbles(a)[0]!).join('\n');
    expect(text).toContain('DBD');
    expect(text).toContain('บัญชีธนาคาร ในชื่อบริษัท');
    expect(text).not.toContain('อายุ 20 ปีขึ้นไป');
  });

  it('when a community group starts, then the first card says to agree whose name the shop is in', async () => {
    const u = bot.user();
    await registerProducer(bot, u, { producerType: 'community_group', groupName: 'กลุ่มทอผ้าบ้านริมใต้', memberCount: 20 });
    await u.follow();
    const text = bubbleTexts(bubbles(await u.says('tiktok'))[0]!).join('\n');
    expect(text).toContain('ตกลงกันก่อนว่าจะสมัครในชื่อใคร');
  });

  it('when someone not registered finishes, then the journey is recorded with the shop and they are pointed to registration', async () => {
    const u = bot.user();
    await openAndStart(u);
    for (let i = 0; i < 8; i++) await u.taps('ทำแล้ว ✅');
    const done = await u.says('ผ้าไหมบ้านป้าแดง');
    expect(done.text).toContain('บันทึกร้านของคุณแล้วค่ะ: ผ้าไหมบ้านป้าแดง');
    expect(bubbleTexts(bubbles(done)[0]!).join('\n')).toContain('ยังไม่ได้ลงทะเบียนผู้ผลิต');
    expect(done.choices).toContain('ลงทะเบียน OTOP');
    const progress = await progressOf(u.id);
    expect(progress!.result).toMatchObject({ platform: 'tiktok', shop: { kind: 'name', name: 'ผ้าไหมบ้านป้าแดง' } });
    expect(await producerOf(u.id)).toBeNull();
  });
});

describe('starting and finishing details', () => {
  it.each(['ติ๊กต็อก', 'อยากเปิดร้านติ๊กต็อกค่ะ', 'สมัคร tiktok', 'TikTok Shop', 'ติ๊กต๊อกช้อป'])(
    'when a user types "%s", then the TikTok Shop journey opens',
    async (typed) => {
      const u = bot.user();
      await u.follow();
      const a = await u.says(typed);
      expect(bubbleTexts(bubbles(a)[0]!)[0]).toBe('ก่อนเริ่ม เตรียมของให้พร้อม');
    },
  );

  it('when a producer is not ready yet, then the journey ends kindly, says how to come back, and records nothing', async () => {
    const u = bot.user();
    await u.follow();
    await u.says('tiktok');
    const a = await u.taps('ยังไม่พร้อม');
    expect(a.text).toContain('พิมพ์ "tiktok"');
    expect(a.choices).toContain('เปิดร้าน TikTok Shop');
    expect(await progressOf(u.id)).toBeNull();
  });

  it('when a producer sends a Lazada shop link or a product link, then they are asked again for the TikTok shop', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    for (let i = 0; i < 8; i++) await u.taps('ทำแล้ว ✅');
    const lazada = await u.says('https://www.lazada.co.th/shop/paadaeng');
    expect(lazada.text).toContain('ลิงก์นี้เป็นร้าน Lazada');
    expect(lazada.text).toContain('วางลิงก์ร้าน TikTok');
    expect((await progressOf(u.id))!.completedAt).toBeFalsy();
    const product = await u.says('https://shop.tiktok.com/view/product/1729?region=TH');
    expect(product.text).toContain('ลิงก์นี้เป็นหน้าสินค้า');
    expect((await u.says('@paadaeng_silk')).text).toContain('บันทึกร้านของคุณแล้ว');
  });

  it('when a forged or old button points at a step the card does not offer, then the card is simply shown again', async () => {
    const u = bot.user();
    await u.follow();
    await u.says('tiktok');
    const s = await bot.rt.sessions.read(u.id);
    const forged = await u.postback(encodeData({ f: 'tiktok-shop', t: s.flow!.turn, x: 'go', s: 'complete' }));
    expect(bubbleTexts(bubbles(forged)[0]!)[0]).toBe('ก่อนเริ่ม เตรียมของให้พร้อม');
    expect(await progressOf(u.id)).toBeNull();
  });
});

describe('in English', () => {
  it('when a producer whose LINE is in English runs the checklist, then every card, answer and the finish are in English', async () => {
    const u = bot.user(undefined, { language: 'en' });
    await registerProducer(bot, u);
    await u.follow();
    const prep = await u.says('tiktok');
    expect(bubbleTexts(bubbles(prep)[0]!).join('\n')).toContain('Thai citizen, 20 years or older');
    let a = await u.taps("Ready, let's start");
    const titles: string[] = [];
    for (let i = 0; i < 8; i++) {
      titles.push(bubbleTexts(expectTaskCard(a, bubbleTexts(bubbles(a)[0]!)[0]!, SELLER_CENTER, EN))[0]!);
      a = await u.taps('Done ✅');
    }
    expect(titles[0]).toBe('1. Sign up as a seller');
    expect(titles[2]).toBe('3. Name your shop');
    expect(a.text).toContain('paste your TikTok shop link');
    const bad = await u.says('tiktok.com/shop/pdp/123');
    expect(bad.text).toContain("That's a product page");
    const done = await u.says('@aunt_daeng_silk');
    expect(done.text).toContain('Your shop is saved: https://www.tiktok.com/@aunt_daeng_silk');
    expect(bubbleTexts(bubbles(done)[0]!).join('\n')).toContain('a few working days');
  });
});
