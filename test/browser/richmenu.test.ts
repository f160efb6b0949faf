/**
 * Rich menus in the simulator: under the chat as LINE shows them (a bar that opens the picture),
 * the producer menu for everyone, the officer menu (two tabs) once an officer links their account;
 * tapping an area does what it shows. The bot runs in local mode (menus synced to the stand-in).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { SimulatorPage } from './support/simulator-page.js';

let browser: Browser;
let bot: LocalBot;
let sim: SimulatorPage | undefined;

beforeAll(async () => {
  [browser, bot] = await Promise.all([launchChromium(), startLocalBot('browser_richmenu')]);
}, 15 * 60_000);

afterAll(async () => {
  await sim?.close().catch(() => undefined);
  await browser?.close();
  await bot?.close();
});

async function tapArea(i: number) {
  const page = sim!.page;
  const before = await sim!.lastSeq();
  await page.locator('#rich-menu-areas [data-testid="rich-menu-area"]').nth(i).click();
  await sim!.waitForAnswer(before);
}

describe('rich menus in the simulator', () => {
  it('when a producer opens the menu and taps TikTok, then the TikTok journey starts; an officer who links gets the officer menu and its tabs work', async () => {
    sim = await SimulatorPage.open(browser, bot.simulatorUrl);
    await sim.addUser('ทองใบ ขายดี', 'th');
    const page = sim.page;
    await expect.poll(() => page.locator('#rich-menu-bar').textContent()).toBe('เมนู OTOP');
    expect(await page.locator('#rich-menu-panel').isHidden()).toBe(true);
    await page.click('#rich-menu-bar');
    await page.locator('#rich-menu-image').evaluate((img: HTMLImageElement) => img.decode());
    expect(await page.locator('#rich-menu-areas [data-testid="rich-menu-area"]').count()).toBe(6);
    await sim.screenshot('richmenu-01-producer');
    await tapArea(1);
    expect((await sim.allBotTexts()).join('\n')).toContain('TikTok');

    const { code } = await bot.rt.officers.invite({ name: 'พัฒนาการทดสอบ', role: 'province', provinceCodes: ['50'], districtCodes: [], areaTh: 'จังหวัดเชียงใหม่', areaEn: 'Chiang Mai' }, new Date());
    await sim.addUser('เจ้าหน้าที่ ทดสอบ', 'th');
    await sim.type(code);
    await expect.poll(() => page.locator('#rich-menu-bar').textContent()).toBe('เมนูพัฒนากร');
    if (await page.locator('#rich-menu-panel').isHidden()) await page.click('#rich-menu-bar');
    await page.locator('#rich-menu-image').evaluate((img: HTMLImageElement) => img.decode());
    await sim.screenshot('richmenu-02-officer');
    await tapArea(0); // สถิติพื้นที่
    expect((await sim.lastBotTexts()).join('\n')).toContain('ลงทะเบียนแล้ว');

    // The "producer" tab (top right) switches the picture to the other officer tab.
    const first = await page.locator('#rich-menu').getAttribute('data-menu-id');
    await page.locator('#rich-menu-areas [data-testid="rich-menu-area"]').nth(5).click();
    await expect.poll(() => page.locator('#rich-menu').getAttribute('data-menu-id')).not.toBe(first);
    expect(bot.local.fake.richMenus.menus.get((await page.locator('#rich-menu').getAttribute('data-menu-id'))!)?.spec['name']).toMatch(/^otop:officer-producer:/);
    await sim.screenshot('richmenu-03-officer-producer-tab');
    expect(bot.local.fake.schemaErrors()).toEqual([]);
    expect(sim.pageErrors).toEqual([]);
  }, 90_000);
});
