/**
 * A producer completes the CDD registration in the chat simulator, in a real browser: consent
 * chips, typed name and phone, the location picker for the address, category chips, and the
 * summary card's confirm button. The bot runs in local mode (LINE stand-in, fresh database).
 * SIMULATOR_DOCS_SCREENSHOT=1 also refreshes docs/simulator.png (the README's picture).
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { SimulatorPage } from './support/simulator-page.js';

let browser: Browser;
let bot: LocalBot;
let sim: SimulatorPage | undefined;

beforeAll(async () => {
  [browser, bot] = await Promise.all([launchChromium(), startLocalBot('browser_registration')]);
}, 15 * 60_000);

afterAll(async () => {
  await sim?.close().catch(() => undefined);
  await browser?.close();
  await bot?.close();
});

describe('registration in the simulator', () => {
  it('when a Thai producer registers by tapping, typing and sharing a location, then the profile is saved and the chat ends with the thank-you', async () => {
    sim = await SimulatorPage.open(browser, bot.simulatorUrl);
    await sim.addUser('Somchai Rakthai', 'en'); // another chat in the list, left alone
    const user = await sim.addUser('สมศรี ใจดี', 'th');

    await sim.tap('ลงทะเบียน OTOP');
    expect(await sim.quickReplies()).toEqual(expect.arrayContaining(['ยินยอม (อายุ 20+)', 'ไม่ยินยอม']));
    await sim.screenshot('registration-01-consent');
    await sim.tap('ยินยอม (อายุ 20+)');
    await sim.type('สมศรี ใจดี');
    await sim.type('081-234-5678');
    await sim.tap('ผู้ผลิตรายเดียว');

    // The address from a shared LINE location (LINE sends the address text it resolved).
    await sim.tap('ส่งตำแหน่ง');
    await sim.shareLocation(18.9167, 98.9431, { title: 'บ้านสมศรี', address: '123 Moo 4, Rim Tai, Mae Rim, Chiang Mai 50180, Thailand' });
    expect((await sim.lastBotTexts()).join('\n')).toContain('ริมใต้');
    await sim.tap('ใช่ ถูกต้อง');

    await sim.type('ข้าวกล้องหอมมะลิ, น้ำพริกเผา');
    await sim.tap('อาหาร');
    await sim.tap('ยังไม่มี');
    await sim.tap('ยินยอม');
    await sim.tap('ไม่ยินยอม');
    await sim.screenshot('registration-02-summary');
    await sim.tap('ยืนยัน ถูกต้อง');

    expect((await sim.lastBotTexts()).join('\n')).toContain('ลงทะเบียนเรียบร้อยแล้ว');
    await sim.screenshot('registration-03-done');
    if (process.env['SIMULATOR_DOCS_SCREENSHOT'] === '1') {
      await sim.screenshot('docs', { fullPage: true, path: path.join(projectRoot, 'docs', 'simulator.png') });
    }

    const producer = await bot.rt.models.Producer.findOne({ userId: user.userId }).lean();
    expect(producer).toMatchObject({ fullName: 'สมศรี ใจดี', phone: '+66812345678', producerType: 'single_owner', category: 'food' });
    expect(producer?.address?.subdistrict?.nameTh).toBe('ริมใต้');
    expect(bot.local.fake.schemaErrors()).toEqual([]);
    expect(sim.pageErrors).toEqual([]);
  }, 60_000);
});
