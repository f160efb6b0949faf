/**
 * A producer signs up for a training in the chat simulator, in a real browser: the menu chip, the
 * Flex carousel of courses (local mode adds the sample trainings to an empty database), the sign-up
 * button on a card, the confirm question, and "my trainings". The bot runs in local mode.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { SimulatorPage } from './support/simulator-page.js';
import { saveRegistered } from '../support/producers.js';

let browser: Browser;
let bot: LocalBot;
let sim: SimulatorPage | undefined;

beforeAll(async () => {
  [browser, bot] = await Promise.all([launchChromium(), startLocalBot('browser_training')]);
}, 15 * 60_000);

afterAll(async () => {
  await sim?.close().catch(() => undefined);
  await browser?.close();
  await bot?.close();
});

describe('training sign-up in the simulator', () => {
  it('when a producer opens the trainings, taps sign up on a card and confirms, then the seat is theirs and "my trainings" shows it', async () => {
    sim = await SimulatorPage.open(browser, bot.simulatorUrl);
    const user = await sim.addUser('บุญมี ทองคำ', 'th');
    await saveRegistered(bot.rt.producers, user.userId); // sign-up needs a registration

    await sim.tap('สมัครอบรม');
    await expect.poll(() => sim!.page.locator('[data-testid="flex-carousel"] [data-testid="flex-bubble"]').count()).toBeGreaterThan(1);
    await sim.screenshot('training-01-list');

    await sim.tapButton('สมัคร');
    expect((await sim.lastBotTexts()).join('\n')).toContain('ยืนยันสมัครอบรมนี้');
    await sim.tap('ใช่ สมัครเลย');
    expect((await sim.lastBotTexts()).join('\n')).toContain('สมัครเรียบร้อยแล้ว');
    await sim.screenshot('training-02-confirmed');

    await sim.type('อบรมของฉัน');
    expect(await sim.buttons()).toContain('ยกเลิกการสมัคร');
    await sim.screenshot('training-03-mine');

    expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: user.userId, status: 'confirmed' })).toBe(1);
    expect(bot.local.fake.schemaErrors()).toEqual([]);
    expect(sim.pageErrors).toEqual([]);
  }, 60_000);
});
