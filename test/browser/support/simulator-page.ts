/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The chat simulator page as a person uses it, for browser tests. Every action waits for what a
 * person would wait for (the bot's answer, or the picker that opens), so a journey reads like a chat:
 *
 *   const sim = await SimulatorPage.open(browser, bot.simulatorUrl);
 *   await sim.addUser('สมศรี ใจดี', 'th');
 *   await sim.tap('ลงทะเบียน OTOP');          // a quick reply, else a Flex/template button
 *   await sim.type('สมศรี ใจดี');
 *   await sim.tapButton('เลือกวันที่');
 *   await sim.pickDate('2025-03-01');
 *   await sim.shareLocation(18.7883, 98.9853);
 *   expect(await sim.lastBotTexts()).toContain('...');
 *   await sim.screenshot('registration-done');
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { projectRoot } from '../../../src/core/paths.js';

export const ARTIFACTS_DIR = path.join(projectRoot, 'test-artifacts');

/** How long the feed must stay quiet before an answer counts as complete. */
const QUIET_MS = 400;
const ANSWER_TIMEOUT_MS = 10_000;

export interface SimUserInfo {
  userId: string;
  displayName: string;
}

export class SimulatorPage {
  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  /** Opens the simulator in a phone-friendly desktop window, Bangkok time, Thai locale. */
  static async open(browser: Browser, url: string): Promise<SimulatorPage> {
    const context = await browser.newContext({
      viewport: { width: 1040, height: 900 },
      deviceScaleFactor: 1,
      locale: 'th-TH',
      timezoneId: 'Asia/Bangkok',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 10_000 }).catch((err: unknown) => {
      throw new Error(`simulator did not get ready (${String(err)}); page errors: ${errors.join('; ') || 'none'}`);
    });
    const sim = new SimulatorPage(page, context);
    sim.pageErrors = errors;
    return sim;
  }

  /** JavaScript errors the page threw (a test can assert there were none). */
  pageErrors: string[] = [];

  async close(): Promise<void> {
    await this.context.close();
  }

  // ------------------------------------------------------------------ users

  /** Adds a simulated user (sends follow) and waits for the bot's greeting. */
  async addUser(displayName: string, language: 'th' | 'en' = 'th'): Promise<SimUserInfo> {
    const before = await this.lastSeq();
    await this.page.fill('#new-name', displayName);
    await this.page.selectOption('#new-lang', language);
    await this.page.click('#add-user-button');
    const active = this.page.locator('#users li.active', { hasText: displayName });
    await active.waitFor({ timeout: 5_000 });
    const userId = (await active.getAttribute('data-user-id')) ?? '';
    await this.waitForAnswer(before);
    return { userId, displayName };
  }

  /** Switches to another user's chat by display name. */
  async selectUser(displayName: string): Promise<void> {
    await this.page.locator('#users li button', { hasText: displayName }).click();
    await this.page.locator('#users li.active', { hasText: displayName }).waitFor();
  }

  /** Unread badge count shown next to a user in the list (0 when none). */
  async unreadCount(displayName: string): Promise<number> {
    const badge = this.page.locator('#users li', { hasText: displayName }).locator('.badge:not(.blocked)');
    return (await badge.count()) === 0 ? 0 : Number(await badge.first().innerText());
  }

  /** Blocks the bot (unfollow): no answer is expected. */
  async block(): Promise<void> {
    await this.page.click('#block');
    await this.page.locator('#blocked-bar').waitFor({ state: 'visible' });
  }

  /** Unblocks the bot (follow again) and waits for whatever the bot says. */
  async unblock(expectAnswer = true): Promise<void> {
    const before = await this.lastSeq();
    await this.page.click('#unblock');
    await this.page.locator('#composer').waitFor({ state: 'visible' });
    if (expectAnswer) await this.waitForAnswer(before);
  }

  // ------------------------------------------------------------------ what the user does

  /** Types a message, sends it with Enter and waits for the answer. */
  async type(text: string): Promise<void> {
    const before = await this.lastSeq();
    await this.page.fill('#message', text);
    await this.page.press('#message', 'Enter');
    await this.waitForAnswer(before);
  }

  /** Taps a quick-reply chip by its label (pickers open; other actions wait for the answer). */
  async tapQuickReply(label: string): Promise<void> {
    const chip = this.page.locator(`#quick-replies [data-testid="quick-reply"][data-label="${cssString(label)}"]`);
    if ((await chip.count()) === 0) {
      throw new Error(`no quick reply "${label}"; shown: ${(await this.quickReplies()).join(' | ') || 'none'}`);
    }
    await this.activate(chip.first());
  }

  /** Taps a quick reply with this label if one is shown, else the most recent button with it. */
  async tap(label: string): Promise<void> {
    if ((await this.quickReplies()).includes(label)) await this.tapQuickReply(label);
    else await this.tapButton(label);
  }

  /** Taps the most recent Flex/template button (or tappable box/image) with this label. */
  async tapButton(label: string): Promise<void> {
    const buttons = this.page.locator(`#chat .row[data-from="bot"] [data-label="${cssString(label)}"]`);
    const n = await buttons.count();
    if (n === 0) throw new Error(`no button "${label}" in the chat; buttons: ${(await this.buttons()).join(' | ') || 'none'}`);
    const last = buttons.nth(n - 1);
    await last.scrollIntoViewIfNeeded();
    await this.activate(last);
  }

  /** Fills the open date/time picker (after tapping a datetimepicker action) and confirms. */
  async pickDate(value: string): Promise<void> {
    const dialog = this.page.locator('#datetime-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5_000 });
    const before = await this.lastSeq();
    await this.page.fill('#datetime-input', value);
    await this.page.click('#datetime-ok');
    await this.waitForAnswer(before);
  }

  /**
   * Shares a location: fills the picker that a location action opened, or opens it from the
   * composer's 📍 button first. `preset` picks one of the preset places by (part of) its name.
   */
  async shareLocation(lat: number, lng: number, opts: { title?: string; address?: string } = {}): Promise<void> {
    const dialog = this.page.locator('#location-dialog');
    if (!(await dialog.isVisible())) await this.page.click('#share-location');
    await dialog.waitFor({ state: 'visible', timeout: 5_000 });
    const before = await this.lastSeq();
    await this.page.fill('#location-lat', String(lat));
    await this.page.fill('#location-lng', String(lng));
    await this.page.fill('#location-title', opts.title ?? '');
    await this.page.fill('#location-address', opts.address ?? '');
    await this.page.click('#location-send');
    await this.waitForAnswer(before);
  }

  /** Shares one of the picker's preset places (e.g. 'Chiang Mai'). */
  async shareLocationPreset(name: string): Promise<void> {
    const dialog = this.page.locator('#location-dialog');
    if (!(await dialog.isVisible())) await this.page.click('#share-location');
    await dialog.waitFor({ state: 'visible', timeout: 5_000 });
    const before = await this.lastSeq();
    await dialog.locator('[data-testid="location-preset"]', { hasText: name }).click();
    await this.page.click('#location-send');
    await this.waitForAnswer(before);
  }

  /** Sends a sticker from the composer. */
  async sendSticker(): Promise<void> {
    const before = await this.lastSeq();
    await this.page.click('#send-sticker');
    await this.waitForAnswer(before);
  }

  // ------------------------------------------------------------------ what the page shows

  /**
   * The bot's messages since the user last did something, one string per message: the text of a
   * text bubble, the visible text of a Flex message or template (alt text when it has none).
   */
  async lastBotTexts(): Promise<string[]> {
    return this.page.evaluate(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('#chat [data-from]')];
      let start = 0;
      rows.forEach((r, i) => {
        if (r.dataset['from'] === 'user') start = i + 1;
      });
      return rows
        .slice(start)
        .filter((r) => r.dataset['from'] === 'bot')
        .map((r) => {
          const content = r.querySelector<HTMLElement>('.line > :first-child');
          return (content?.innerText ?? '').trim() || content?.getAttribute('title') || '';
        });
    });
  }

  /** Every bot text in the chat, oldest first. */
  async allBotTexts(): Promise<string[]> {
    return this.page.locator('#chat .row[data-from="bot"] .line > :first-child').allInnerTexts();
  }

  /** The user's own bubbles (typed text, postback display texts, locations), oldest first. */
  async userBubbles(): Promise<string[]> {
    return this.page.locator('#chat .row[data-from="user"] .line > :first-child').allInnerTexts();
  }

  /** Labels of the quick replies shown above the input (empty when none). */
  async quickReplies(): Promise<string[]> {
    return this.page.locator('#quick-replies [data-testid="quick-reply"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['label'] ?? ''));
  }

  /** Labels of every tappable button in the bot's messages, oldest first. */
  async buttons(): Promise<string[]> {
    return this.page.locator('#chat .row[data-from="bot"] [data-label]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['label'] ?? ''));
  }

  /** Notes in the chat (follow/unfollow, postbacks without display text, rejected requests). */
  async notes(): Promise<string[]> {
    return this.page.locator('#chat [data-testid="note"]').allInnerTexts();
  }

  /** Saves a PNG of the phone (or the whole page) under test-artifacts/; returns its path. */
  async screenshot(name: string, opts: { fullPage?: boolean; path?: string } = {}): Promise<string> {
    const file = opts.path ?? path.join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9_-]+/gi, '-')}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    // Let fonts and images settle so the picture shows Thai glyphs, not fallbacks.
    await this.page.evaluate(() => document.fonts.ready);
    if (opts.fullPage) await this.page.screenshot({ path: file });
    else await this.page.locator('#phone').screenshot({ path: file });
    return file;
  }

  // ------------------------------------------------------------------ waiting

  /** The highest entry number shown (rows carry data-seq). */
  async lastSeq(): Promise<number> {
    return this.page.evaluate(() => {
      let max = 0;
      for (const r of document.querySelectorAll<HTMLElement>('#chat [data-seq]')) max = Math.max(max, Number(r.dataset['seq']));
      return max;
    });
  }

  /** Waits for a bot message newer than `afterSeq`, then for the feed to stay quiet a moment. */
  async waitForAnswer(afterSeq: number, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
    try {
      await this.page.waitForFunction(
        ({ after, quiet }) => {
          const bots = [...document.querySelectorAll<HTMLElement>('#chat .row[data-from="bot"]')];
          const answered = bots.some((r) => Number(r.dataset['seq']) > after);
          const last = Number(document.body.dataset['lastEntryAt'] ?? 0);
          return answered && Date.now() - last >= quiet;
        },
        { after: afterSeq, quiet: QUIET_MS },
        { timeout: timeoutMs, polling: 100 },
      );
    } catch (err) {
      const shown = await this.allBotTexts().catch(() => []);
      throw new Error(`no answer from the bot within ${timeoutMs} ms; chat so far:\n${shown.map((t) => `  bot: ${t.slice(0, 120)}`).join('\n')}\n${String(err)}`);
    }
  }

  private async activate(target: Locator): Promise<void> {
    const kind = await target.getAttribute('data-action');
    if (kind === 'datetimepicker' || kind === 'location' || kind === 'uri') {
      await target.click(); // a picker opens (or a new tab): the caller goes on with pickDate/shareLocation
      return;
    }
    const before = await this.lastSeq();
    await target.click();
    await this.waitForAnswer(before);
  }
}

/** Escapes a label for use inside a CSS attribute selector's double quotes. */
function cssString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
