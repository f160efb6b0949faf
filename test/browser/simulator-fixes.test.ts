/// <reference lib="dom" />
/**
 * Simulator fixes (issue 11) in a real browser: a new set of quick replies starts at its first
 * chip, read marks survive a reload, and on a 360 px phone the chat comes before the user list.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { SimulatorPage } from './support/simulator-page.js';

let browser: Browser;
let bot: LocalBot;
const pages: SimulatorPage[] = [];

beforeAll(async () => {
  [browser, bot] = await Promise.all([launchChromium(), startLocalBot('browser_simulator_fixes')]);
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

const scrollLeft = (sim: SimulatorPage) => sim.page.$eval('#quick-replies', (el) => el.scrollLeft);

describe('simulator fixes', () => {
  it('when "ดูเพิ่ม ▶" brings the next districts, then the quick replies start at the first one, not at the old sideways scroll', async () => {
    const sim = await openSimulator();
    await sim.addUser('ทองดี มีสุข', 'th');
    await sim.type('ลงทะเบียน');
    await sim.tap('ยินยอม (อายุ 20+)');
    await sim.type('ทองดี มีสุข');
    await sim.type('0812345678');
    await sim.tap('ผู้ผลิตรายเดียว');
    await sim.type('เชียงใหม่');
    expect(await sim.quickReplies()).toContain('ดูเพิ่ม ▶');
    // The user swipes to the end of the chips, where "more" is.
    await sim.page.$eval('#quick-replies', (el) => (el.scrollLeft = el.scrollWidth));
    expect(await scrollLeft(sim)).toBeGreaterThan(0);
    const firstPage = await sim.quickReplies();
    await sim.tapQuickReply('ดูเพิ่ม ▶');
    await expect.poll(() => sim.quickReplies()).not.toEqual(firstPage);
    expect(await scrollLeft(sim)).toBe(0);
    const first = await sim.page.locator('#quick-replies [data-testid="quick-reply"]').first().boundingBox();
    const bar = await sim.page.locator('#quick-replies').boundingBox();
    expect(first!.x).toBeGreaterThanOrEqual(bar!.x);
    expect(sim.pageErrors).toEqual([]);
  }, 90_000);

  it('when the page is reloaded, then chats that were read do not show their messages as unread', async () => {
    const sim = await openSimulator();
    await sim.addUser('มานี ใจงาม', 'th');
    await sim.addUser('ชูใจ รักดี', 'th');
    await sim.page.reload();
    await sim.page.waitForSelector('body[data-ready="1"]');
    expect(await sim.unreadCount('มานี ใจงาม')).toBe(0);
    expect(await sim.unreadCount('ชูใจ รักดี')).toBe(0);
  }, 60_000);

  it('when the simulator is opened on a 360 px phone, then the chat comes before the list of users', async () => {
    const sim = await openSimulator();
    await sim.page.setViewportSize({ width: 360, height: 740 });
    for (const name of ['หนึ่ง', 'สอง', 'สาม', 'สี่']) await sim.addUser(`ผู้ใช้${name}`, 'th');
    const phone = await sim.page.locator('#phone').boundingBox();
    const users = await sim.page.locator('#users').boundingBox();
    expect(phone!.y).toBeLessThan(users!.y);
    expect(phone!.y).toBeLessThan(740);
  }, 60_000);
});
