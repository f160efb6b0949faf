/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The chat simulator in a real browser (the machine's Chromium through playwright-core), against
 * the bot in local mode: the LINE stand-in signs webhooks to the bot's /webhook, the bot answers
 * through the stand-in's Messaging API, the page shows it like LINE.
 * Screenshots land in test-artifacts/.
 */
import path from 'node:path';
import type { messagingApi } from '@line/bot-sdk';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator, type Translator } from '../../src/core/i18n.js';
import { projectRoot } from '../../src/core/paths.js';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { SimulatorPage } from './support/simulator-page.js';

let browser: Browser;
let bot: LocalBot;
let t: Translator;
const pages: SimulatorPage[] = [];

beforeAll(async () => {
  // Installing Chromium from Debian's packages (first run on a fresh machine) can take minutes.
  [browser, bot, t] = await Promise.all([launchChromium(), startLocalBot('browser_simulator'), createTranslator(path.join(projectRoot, 'locales'))]);
}, 15 * 60_000);

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await bot?.close();
});

async function openSimulator(): Promise<SimulatorPage> {
  const sim = await SimulatorPage.open(browser, bot.simulatorUrl);
  pages.push(sim);
  return sim;
}

const event = (userId: string, i = -1) => bot.local.sentEvents.filter((e) => (e['source'] as { userId?: string })?.userId === userId).at(i)!;

describe('the chat simulator in a browser', () => {
  it('when a Thai user is added, then the Thai greeting and quick replies show; a tapped quick reply and a typed message get answers', async () => {
    const sim = await openSimulator();
    const somsri = await sim.addUser('สมศรี ใจดี', 'th');

    const greeting = await sim.lastBotTexts();
    expect(greeting[0]).toBe(t.t('th', 'common:welcome'));
    expect(greeting.join('\n')).toMatch(/[\u0E00-\u0E7F]/); // Thai script
    const chips = await sim.quickReplies();
    expect(chips.length).toBeGreaterThan(0);
    expect(event(somsri.userId)).toMatchObject({ type: 'follow', follow: { isUnblocked: false } });
    await sim.screenshot('simulator-01-greeting');

    // A quick reply: a postback shows its display text as the user's bubble and reaches the bot.
    const chip = chips[0]!;
    await sim.tapQuickReply(chip);
    expect((await sim.userBubbles()).at(-1)).toBe(chip);
    expect(event(somsri.userId).type).toMatch(/postback|message/);
    expect((await sim.lastBotTexts()).length).toBeGreaterThan(0);

    await sim.type('สวัสดีค่ะ อยากขายของออนไลน์');
    expect((await sim.userBubbles()).at(-1)).toBe('สวัสดีค่ะ อยากขายของออนไลน์');
    expect(event(somsri.userId)).toMatchObject({ type: 'message', message: { type: 'text', text: 'สวัสดีค่ะ อยากขายของออนไลน์' } });
    expect((await sim.lastBotTexts()).join('\n').length).toBeGreaterThan(0);
    await sim.screenshot('simulator-02-chat');

    // Thai glyphs come from the shipped font (Noto Sans Thai), not a fallback.
    expect(await sim.page.evaluate(() => document.fonts.check('16px "Noto Sans Thai"', 'สวัสดี'))).toBe(true);
    expect(sim.pageErrors).toEqual([]);
  }, 60_000);

  it('when the bot pushes Flex, template, image and sticker messages to one user, then only that chat shows them and its buttons, date picker and location picker send LINE events', async () => {
    const sim = await openSimulator();
    const malee = await sim.addUser('มาลี ศรีสุข', 'th');
    const john = await sim.addUser('John Smith', 'en');
    expect((await sim.lastBotTexts())[0]).toBe(t.t('en', 'common:welcome'));

    // A push from the worker's side (reminders, campaigns) while another chat is open.
    await bot.rt.gateway.push(malee.userId, richMessages());
    await expect.poll(() => sim.unreadCount('มาลี ศรีสุข')).toBe(5);
    expect(await sim.allBotTexts()).not.toContain('อบรมขายออนไลน์ รุ่นที่ 3');
    await sim.selectUser('มาลี ศรีสุข');

    const page = sim.page;
    await expect.poll(() => page.locator('[data-testid="flex-bubble"]').count()).toBe(2);
    await expect.poll(() => page.locator('[data-testid="flex-carousel"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="template-confirm"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="sticker"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="image"]').count()).toBe(1);
    const texts = await page.locator('[data-testid="flex-text"]').allInnerTexts();
    expect(texts).toContain('อบรมขายออนไลน์ รุ่นที่ 3');
    // Styles from the Flex JSON reach the page: a bold xl title, a primary button in its colour.
    const title = page.locator('[data-testid="flex-text"]', { hasText: 'อบรมขายออนไลน์ รุ่นที่ 3' });
    expect(await title.evaluate((e) => [getComputedStyle(e).fontWeight, getComputedStyle(e).fontSize])).toEqual(['700', '22px']);
    const primary = page.locator('[data-testid="flex-button"].primary').first();
    expect(await primary.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(6, 199, 85)');
    await sim.screenshot('simulator-03-flex');

    // A Flex postback button: display text as the user's bubble, a postback event to the bot.
    await sim.tapButton('สมัครรุ่นนี้');
    expect((await sim.userBubbles()).at(-1)).toBe('สมัครอบรมรุ่นที่ 3');
    expect(event(malee.userId)).toMatchObject({ type: 'postback', postback: { data: 'cmd=demo&batch=3' } });

    // A datetimepicker button: the native picker, then a postback with params.date.
    await sim.tapButton('เลือกวันที่สะดวก');
    await sim.pickDate('2026-12-05');
    expect(event(malee.userId)).toMatchObject({ type: 'postback', postback: { data: 'cmd=demo&pick=date', params: { date: '2026-12-05' } } });

    // Template confirm: a message action sends its text.
    await sim.tapButton('ใช่');
    expect(event(malee.userId)).toMatchObject({ type: 'message', message: { type: 'text', text: 'ใช่ ต้องการ' } });

    // The location picker: coordinates in, a location message out.
    await sim.shareLocation(18.7883, 98.9853, { title: 'ร้านผ้าทอ' });
    expect(event(malee.userId)).toMatchObject({ type: 'message', message: { type: 'location', latitude: 18.7883, longitude: 98.9853, title: 'ร้านผ้าทอ' } });
    await sim.shareLocationPreset('Khon Kaen');
    expect(event(malee.userId)).toMatchObject({ type: 'message', message: { type: 'location', latitude: 16.4419, longitude: 102.8359 } });
    await sim.screenshot('simulator-04-actions');

    // John's chat got none of it.
    await sim.selectUser('John Smith');
    expect(await page.locator('[data-testid="flex-bubble"]').count()).toBe(0);
    expect(bot.local.botMessages(john.userId).every((m) => m.type === 'text')).toBe(true);
    expect(bot.local.fake.schemaErrors()).toEqual([]);
    expect(sim.pageErrors).toEqual([]);
  }, 60_000);

  it('when a user blocks the bot, then pushes show as not delivered and the input closes; unblocking sends follow again', async () => {
    const sim = await openSimulator();
    const u = await sim.addUser('บุญมี ทองคำ', 'th');
    await sim.block();
    expect(event(u.userId)).toMatchObject({ type: 'unfollow' });
    expect(event(u.userId)['replyToken']).toBeUndefined();
    expect(await sim.page.locator('#message').isVisible()).toBe(false);

    await bot.rt.gateway.push(u.userId, [{ type: 'text', text: 'แจ้งเตือน: อบรมพรุ่งนี้' }]);
    await expect.poll(() => sim.page.locator('.row.undelivered').count()).toBe(1);
    expect(await sim.page.locator('.row.undelivered').innerText()).toContain('not delivered');

    await sim.unblock();
    expect(event(u.userId)).toMatchObject({ type: 'follow', follow: { isUnblocked: true } });
    expect(await sim.quickReplies()).not.toEqual([]);
    await sim.screenshot('simulator-05-unblocked');
    expect(sim.pageErrors).toEqual([]);
  }, 60_000);
});

/** Five messages of the kinds the journeys send: Flex carousel, Flex bubble, template, image, sticker. */
function richMessages(): messagingApi.Message[] {
  const course = (batch: number, date: string): messagingApi.FlexBubble => ({
    type: 'bubble',
    hero: { type: 'image', url: 'https://example.com/training.jpg', size: 'full', aspectRatio: '20:13', aspectMode: 'cover' },
    body: {
      type: 'box',
      layout: 'vertical',
      spacing: 'sm',
      contents: [
        { type: 'text', text: `อบรมขายออนไลน์ รุ่นที่ ${batch}`, weight: 'bold', size: 'xl', wrap: true },
        {
          type: 'box',
          layout: 'baseline',
          spacing: 'sm',
          contents: [
            { type: 'text', text: 'วันที่', color: '#aaaaaa', size: 'sm', flex: 1 },
            { type: 'text', text: date, wrap: true, color: '#666666', size: 'sm', flex: 4 },
          ],
        },
        { type: 'separator', margin: 'md' },
        {
          type: 'text',
          wrap: true,
          size: 'sm',
          contents: [
            { type: 'span', text: 'ที่นั่งว่าง ' },
            { type: 'span', text: '12', weight: 'bold', color: '#06c755' },
          ],
        },
      ],
    },
    footer: {
      type: 'box',
      layout: 'vertical',
      spacing: 'sm',
      contents: [
        { type: 'button', style: 'primary', color: '#06c755', action: { type: 'postback', label: batch === 3 ? 'สมัครรุ่นนี้' : `สมัครรุ่น ${batch}`, data: `cmd=demo&batch=${batch}`, displayText: `สมัครอบรมรุ่นที่ ${batch}` } },
        { type: 'button', style: 'secondary', action: { type: 'datetimepicker', label: batch === 3 ? 'เลือกวันที่สะดวก' : `เลือกวัน ${batch}`, data: 'cmd=demo&pick=date', mode: 'date' } },
        { type: 'button', style: 'link', height: 'sm', action: { type: 'uri', label: 'รายละเอียด', uri: 'https://example.com/training' } },
      ],
    },
  });
  return [
    { type: 'flex', altText: 'รอบอบรม', contents: { type: 'carousel', contents: [course(3, '5 ธ.ค. 2569'), course(4, '12 ธ.ค. 2569')] } },
    {
      type: 'template',
      altText: 'ยืนยัน',
      template: {
        type: 'confirm',
        text: 'ต้องการรับการแจ้งเตือนก่อนวันอบรมไหมคะ?',
        actions: [
          { type: 'message', label: 'ใช่', text: 'ใช่ ต้องการ' },
          { type: 'message', label: 'ไม่', text: 'ไม่ต้องการ' },
        ],
      },
    },
    { type: 'image', originalContentUrl: 'https://example.com/poster.jpg', previewImageUrl: 'https://example.com/poster-small.jpg' },
    { type: 'sticker', packageId: '446', stickerId: '1988' },
    {
      type: 'text',
      text: 'ส่งตำแหน่งร้านของคุณได้เลยค่ะ',
      quickReply: { items: [{ type: 'action', action: { type: 'location', label: 'ส่งตำแหน่ง' } }] },
    },
  ];
}
