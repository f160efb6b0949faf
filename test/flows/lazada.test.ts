import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { bubbles, bubbleTexts, daysLater, expectTaskCard, expectWithinLineLimits, registerProducer, resetClock, TH, EN } from './marketplace-helpers.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('lazada');
});
afterAll(async () => bot?.close());
afterEach(() => {
  resetClock(bot);
  // Every message the bot sent must pass LINE's OpenAPI schema in the fake LINE server.
  expect(bot.fake.schemaErrors()).toEqual([]);
});

const SELLER_CENTER = 'https://sellercenter.lazada.co.th';

const STEPS_TH: [string, string][] = [
  ['1. สมัครบัญชีผู้ขาย', SELLER_CENTER],
  ['2. เลือกประเภทผู้ขาย', SELLER_CENTER],
  ['3. ตั้งชื่อร้าน และใส่ที่อยู่', SELLER_CENTER],
  ['4. ส่งรูปบัตรประชาชน', SELLER_CENTER],
  ['5. ใส่บัญชีธนาคาร', SELLER_CENTER],
  ['6. ลงขายสินค้าชิ้นแรก', 'https://lazadathpsc.zendesk.com/'],
  ['7. เรียนบทเรียนผู้ขายใหม่', 'https://university.lazada.co.th'],
];

const progressOf = (userId: string) => bot.rt.models.JourneyProgress.findById(`lazada:${userId}`).lean();
const producerOf = (userId: string) => bot.rt.models.Producer.findOne({ userId }).lean();

/** Opens the journey, taps "ready" and answers the trademark question, landing on step 1. */
async function openAndStart(u: ChatUser, trademark = 'ไม่มี', keyword = 'lazada') {
  await u.follow();
  await u.says(keyword);
  await u.taps('พร้อมแล้ว เริ่มเลย');
  return u.taps(trademark);
}

async function doAllSteps(u: ChatUser) {
  for (let i = 0; i < STEPS_TH.length; i++) await u.taps('ทำแล้ว ✅');
  return u.last;
}

describe('the Lazada checklist, end to end', () => {
  it('when a registered producer follows every step in Thai, then Marketplace-first advice, seven cards with official links, the shop and the Alibaba interest are recorded', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await u.follow();

    const prepare = await u.says('lazada');
    expectWithinLineLimits(prepare);
    const prep = bubbleTexts(bubbles(prepare)[0]!).join('\n');
    for (const item of ['เปิดร้าน Lazada มี 7 ขั้น', 'บัตรประชาชน', 'อีเมล', 'รูปหน้าสมุดบัญชี', '02-018-0200', 'ไม่ต้องส่งรูปบัตรประชาชนมาในแชทนี้']) {
      expect(prep).toContain(item);
    }

    const advice = await u.taps('พร้อมแล้ว เริ่มเลย');
    expectWithinLineLimits(advice);
    const marketplace = bubbleTexts(bubbles(advice)[0]!).join('\n');
    expect(marketplace).toContain('เริ่มที่ Lazada Marketplace ก่อน');
    expect(marketplace).toContain('LazMall สำหรับเจ้าของแบรนด์ ที่จดเครื่องหมายการค้าแล้วเท่านั้น');
    expect(advice.text).toContain('เครื่องหมายการค้า');
    expect(advice.choices.slice(0, 3)).toEqual(['มี จดแล้ว', 'ไม่มี', 'ไม่แน่ใจ']);

    let a = await u.taps('ไม่มี');
    expect(a.text).toContain('ไม่ต้องมีเครื่องหมายการค้า');
    const cards: string[] = [];
    for (const [title, link] of STEPS_TH) {
      cards.push(bubbleTexts(expectTaskCard(a, title, link, TH)).join('\n'));
      a = await u.taps('ทำแล้ว ✅');
    }
    expect(cards[0]).toContain('OTP');
    expect(cards[0]).toContain('รหัสผ่าน');
    expect(cards[1]).toContain('นิติบุคคล');
    expect(cards[2]).toContain('ที่อยู่รับของคืน');
    expect(cards[3]).toContain('ภ.พ.20');
    expect(cards[4]).toContain('รูปหน้าสมุดบัญชี');
    expect(cards[5]).toContain('เลือกหมวดสินค้าให้ลึกที่สุด');
    expect(cards[5]).toContain('ค่าธรรมเนียม');
    expect(cards[6]).toContain('Lazada University');

    expect(a.text).toContain('วางลิงก์ร้าน Lazada');
    const product = await u.says('https://www.lazada.co.th/products/nam-prik-pao-i1234-s5678.html');
    expect(product.text).toContain('ลิงก์นี้เป็นหน้าสินค้า');
    const alibaba = await u.says('https://www.lazada.co.th/shop/paadaeng-kitchen?spm=abc');
    expect(alibaba.text).toContain('ลูกค้าชาวจีน');
    expect(alibaba.text).toContain('Alibaba');
    expect(alibaba.choices.slice(0, 2)).toEqual(['สนใจ', 'ยังไม่สนใจ']);

    const done = await u.taps('สนใจ');
    expect(done.text).toContain('จดไว้แล้ว');
    expect(done.text).toContain('บันทึกร้านของคุณแล้วค่ะ: https://www.lazada.co.th/shop/paadaeng-kitchen');
    const next = bubbleTexts(bubbles(done)[0]!).join('\n');
    expect(next).toContain('3-7 วันทำการ');
    expect(next).toContain('02-018-0200');
    expectWithinLineLimits(done);

    const p = await producerOf(u.id);
    expect(p!.marketplace.alibabaInterest).toMatchObject({ interested: true });
    expect(p!.marketplace.alibabaInterest.at).toBeInstanceOf(Date);
    expect(p!.marketplace.lazada).toMatchObject({ shop: { kind: 'lazada', handle: 'paadaeng-kitchen' }, status: 'submitted' });
    const progress = await progressOf(u.id);
    expect(progress!.completedAt).toBeInstanceOf(Date);
    expect(progress!.result).toMatchObject({ platform: 'lazada', trademark: 'no', shop: { kind: 'lazada' }, alibabaInterest: { interested: true } });
  });

  it('when someone not registered finishes and is not interested in Chinese buyers, then the answer is kept with the journey and no profile is made', async () => {
    const u = bot.user();
    await openAndStart(u, 'ไม่แน่ใจ');
    await doAllSteps(u);
    await u.says('ร้านน้ำพริกป้าแดง');
    const done = await u.taps('ยังไม่สนใจ');
    expect(done.text).toContain('ถ้าเปลี่ยนใจ');
    expect(bubbleTexts(bubbles(done)[0]!).join('\n')).toContain('ยังไม่ได้ลงทะเบียนผู้ผลิต');
    const progress = await progressOf(u.id);
    expect(progress!.result).toMatchObject({ platform: 'lazada', trademark: 'unsure', shop: { kind: 'name', name: 'ร้านน้ำพริกป้าแดง' }, alibabaInterest: { interested: false } });
    expect(await producerOf(u.id)).toBeNull();
  });

  it('when a producer sends a TikTok link, then they are asked again for the Lazada shop', async () => {
    const u = bot.user();
    await openAndStart(u);
    await doAllSteps(u);
    const again = await u.says('https://www.tiktok.com/@paadaeng');
    expect(again.text).toContain('ลิงก์นี้เป็นร้าน TikTok');
    expect(again.text).toContain('วางลิงก์ร้าน Lazada');
    expect(again.text).not.toContain('ลูกค้าชาวจีน'); // asked before the Alibaba question
    expect((await progressOf(u.id))!.completedAt).toBeFalsy();
    expect((await u.says('https://s.lazada.co.th/s.abc123')).text).toContain('ลูกค้าชาวจีน');
  });

  it('when a producer who finished comes back, then they see the shop on file', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    await doAllSteps(u);
    await u.says('ร้านน้ำพริกป้าแดง');
    await u.taps('สนใจ');
    const back = await u.says('ลาซาด้า');
    expect(back.text).toContain('ร้านที่บันทึกไว้: ร้านน้ำพริกป้าแดง');
    expect(back.choices).toEqual(['ส่งชื่อร้านใหม่', 'ต่อไปทำอะไร']);
    const next = await u.taps('ต่อไปทำอะไร');
    expect(bubbleTexts(bubbles(next)[0]!).join('\n')).toContain('3-7 วันทำการ');
  });
});

describe('leaving and coming back', () => {
  it('when a producer taps "later" on step 3 and comes back a week later, then an overview shows steps 1-2 done and the card continues at step 3', async () => {
    const u = bot.user();
    await registerProducer(bot, u);
    await openAndStart(u);
    await u.taps('ทำแล้ว ✅');
    await u.taps('ทำแล้ว ✅');
    await u.taps('ไว้ทำทีหลัง');

    daysLater(bot, 7);
    await u.says('ลาซาด้า');
    const resumed = await u.taps('ทำต่อจากเดิม');
    expect(resumed.text).toContain('📋 เปิดร้าน Lazada ถึงไหนแล้ว');
    expect(resumed.text).toContain('✅ 2. เลือกประเภทผู้ขาย');
    expect(resumed.text).toContain('👉 3. ตั้งชื่อร้าน และใส่ที่อยู่');
    expect(resumed.text).toContain('เสร็จแล้ว 2 จาก 7 ขั้น');
    expectTaskCard(resumed, STEPS_TH[2]![0], SELLER_CENTER, TH);
  });

  it('when a producer types "เมนู" mid-journey and their session has expired when they return, then the trademark question is not asked again and the journey continues at the first step not done', async () => {
    const u = bot.user();
    await openAndStart(u, 'มี จดแล้ว');
    for (let i = 0; i < 4; i++) await u.taps('ทำแล้ว ✅');
    await u.says('เมนู');

    daysLater(bot, 90);
    const back = await u.says('เปิดร้านลาซาด้า');
    expect(back.text).toContain('👉 5. ใส่บัญชีธนาคาร');
    expect(back.text).not.toContain('เครื่องหมายการค้า');
    expectTaskCard(back, STEPS_TH[4]![0], SELLER_CENTER, TH);
  });
});

describe('getting help', () => {
  it('when a registered producer taps "need help" on the documents step, then a help request is created for their province', async () => {
    const u = bot.user();
    await registerProducer(bot, u, {
      address: {
        province: { code: '40', nameTh: 'ขอนแก่น', nameEn: 'Khon Kaen' },
        district: { code: '4001', nameTh: 'เมืองขอนแก่น', nameEn: 'Mueang Khon Kaen' },
        subdistrict: { code: '400101', nameTh: 'ในเมือง', nameEn: 'Nai Mueang' },
        postcode: '40000',
      },
    });
    await openAndStart(u);
    for (let i = 0; i < 3; i++) await u.taps('ทำแล้ว ✅');
    const help = await u.taps('ขอความช่วยเหลือ');
    expect(help.text).toContain('พัฒนากรจังหวัดขอนแก่น');
    const requests = await bot.rt.models.HelpRequest.find({ userId: u.id }).lean();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ provinceCode: '40', flowId: 'lazada', step: 'documents', reason: 'task_help', status: 'open' });
  });
});

describe('in English', () => {
  it('when an SME whose LINE is in English runs the checklist with a trademark, then company papers, LazMall advice, the cards and Alibaba interest are in English', async () => {
    const u = bot.user(undefined, { language: 'en' });
    await registerProducer(bot, u, { producerType: 'sme', groupName: 'Pa Daeng Co., Ltd.', memberCount: 8, category: 'herbal' });
    await u.follow();
    const prep = bubbleTexts(bubbles(await u.says('Lazada'))[0]!).join('\n');
    expect(prep).toContain('The company certificate');
    expect(prep).toContain('VAT registration papers');
    expect(prep).toContain("A bank account in the company's name");
    await u.taps("Ready, let's start");
    let a = await u.taps('Yes, registered');
    expect(a.text).toContain('LazMall');
    const titles: string[] = [];
    for (let i = 0; i < 7; i++) {
      titles.push(bubbleTexts(expectTaskCard(a, bubbleTexts(bubbles(a)[0]!)[0]!, 'https://', EN))[0]!);
      a = await u.taps('Done ✅');
    }
    expect(titles).toEqual([
      '1. Sign up as a seller',
      '2. Choose your seller type',
      '3. Name your shop and add addresses',
      '4. Upload your ID card',
      '5. Add your bank account',
      '6. List your first product',
      '7. Take the new-seller lessons',
    ]);
    expect(a.text).toContain('paste your Lazada shop link');
    expect((await u.says('Pa Daeng Herbs')).text).toContain('Are you interested in selling to Chinese buyers?');
    const done = await u.taps('Not now');
    expect(done.text).toContain('Your shop is saved: Pa Daeng Herbs');
    expect(bubbleTexts(bubbles(done)[0]!).join('\n')).toContain('Lazada Partner Support Center, 02-018-0200');
    const p = await producerOf(u.id);
    expect(p!.marketplace.alibabaInterest).toMatchObject({ interested: false });
    expect((await progressOf(u.id))!.result).toMatchObject({ trademark: 'yes' });
  });
});

describe('starting', () => {
  it.each(['ลาซาด้า', 'อยากเปิดร้านลาซาด้าค่ะ', 'สมัคร lazada', 'LAZADA'])('when a user types "%s", then the Lazada journey opens', async (typed) => {
    const u = bot.user();
    await u.follow();
    const a = await u.says(typed);
    expect(bubbleTexts(bubbles(a)[0]!)[0]).toBe('ก่อนเริ่ม เตรียมของให้พร้อม');
    expect(bubbleTexts(bubbles(a)[0]!).join('\n')).toContain('Lazada');
  });
});
