/**
 * The officers' dashboard in a real browser (Playwright + Debian's Chromium): an officer signs in
 * with a one-time link, sees the funnel charts (Chart.js served by the app), creates a training and
 * exports the producers as CSV; on a phone-sized screen. Screenshots go to test-artifacts/;
 * DASHBOARD_DOCS_SCREENSHOT=1 also refreshes docs/dashboard.png for the README.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { addProducer } from '../features/officers/helpers.js';
import { launchChromium } from './support/chromium.js';
import { startLocalBot, type LocalBot } from './support/local-bot.js';
import { ARTIFACTS_DIR } from './support/simulator-page.js';

let browser: Browser;
let bot: LocalBot;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];
const DAY = 86_400_000;

beforeAll(async () => {
  [browser, bot] = await Promise.all([launchChromium(), startLocalBot('browser_dashboard')]);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const now = Date.now();
  const places = ['maeRim', 'maeRim', 'maeRim', 'chomThong', 'chomThong', 'banThi'] as const;
  for (let i = 0; i < places.length; i++) {
    const userId = `U${(0xd00 + i).toString(16).padStart(32, '0')}`;
    await addProducer(bot.rt.producers, userId, places[i]!, `ผู้ผลิตทดสอบ ${i + 1}`, new Date(now - (i * 9 + 3) * DAY));
    if (i % 2 === 0) {
      const at = new Date(now - i * 5 * DAY);
      await bot.rt.models.JourneyProgress.create({ _id: `tiktok-shop:${userId}`, userId, flowId: 'tiktok-shop', steps: { sign_up: { status: 'done', at } }, startedAt: at, updatedAt: at, ...(i === 0 ? { completedAt: new Date(now - DAY) } : {}) });
    }
  }
  const { officer } = await bot.rt.officers.invite({ name: 'พัฒนาการจังหวัดเชียงใหม่', role: 'province', provinceCodes: ['50'], districtCodes: [], areaTh: 'จังหวัดเชียงใหม่', areaEn: 'Chiang Mai' }, new Date());
  await bot.rt.models.Officer.updateOne({ _id: officer._id }, { $set: { status: 'active', lineUserId: 'U' + 'e'.repeat(32), linkedAt: new Date() } });
  await bot.rt.models.OfficerLink.create({ _id: 'U' + 'e'.repeat(32), officerId: officer._id, at: new Date() });
  const secret = await bot.rt.officers.newSignin(officer._id, new Date());
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, acceptDownloads: true, locale: 'th-TH' });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  (globalThis as { signinUrl?: string }).signinUrl = `${bot.origin}/officer/signin?t=${secret}`;
}, 15 * 60_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await bot?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });

describe('officers\u2019 dashboard in a browser', () => {
  it('when an officer signs in with the link, then they see the funnel charts of their province', async () => {
    await page.goto((globalThis as { signinUrl?: string }).signinUrl!);
    await page.click('#signin');
    await page.waitForURL(/\/officer\/$/);
    await page.waitForFunction(() => !!(window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart('chart-district'));
    const charts = await page.evaluate(() => {
      const C = (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: { data: number[] }[] } } | undefined } }).Chart;
      return ['chart-district', 'chart-time'].map((id) => {
        const c = C.getChart(id)!;
        return { labels: c.data.labels, total: c.data.datasets[0]!.data.reduce((a, b) => a + b, 0), sets: c.data.datasets.length };
      });
    });
    expect(charts[0]!.labels.sort()).toEqual(['จอมทอง', 'แม่ริม']);
    expect(charts[0]!.total).toBe(5);
    expect(charts[1]!.labels).toHaveLength(12);
    expect(charts[1]!.sets).toBeGreaterThan(1);
    // The canvas has been painted (not blank).
    const painted = await page.evaluate(() => {
      const c = document.getElementById('chart-district') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(1000);
    expect(await page.locator('h1').textContent()).toBe('ภาพรวม');
    await shot('dashboard-01-overview');
    if (process.env['DASHBOARD_DOCS_SCREENSHOT']) copyFileSync(path.join(ARTIFACTS_DIR, 'dashboard-01-overview.png'), path.join(projectRoot, 'docs', 'dashboard.png'));
    // The sign-in link is spent.
    const again = await context.request.post(`${bot.origin}/officer/signin`, { form: { t: new URL((globalThis as { signinUrl?: string }).signinUrl!).searchParams.get('t')! } });
    expect(again.status()).toBe(401);
  }, 60_000);

  it('when the officer creates a training, then it is listed with its seats', async () => {
    await page.click('nav >> text=อบรม');
    await page.click('#new-training');
    await page.fill('input[name=titleTh]', 'ไลฟ์ขายของบน TikTok สำหรับมือใหม่');
    await page.selectOption('select[name=topic]', 'tiktok_shop');
    await page.fill('input[name=venueTh]', 'ห้องประชุมอำเภอแม่ริม');
    await page.fill('input[name=date]', '2031-03-15');
    await page.fill('input[name=deadline]', '2031-03-10');
    await page.fill('input[name=capacity]', '25');
    await shot('dashboard-02-training-form');
    await page.click('#training-form button[type=submit]');
    await page.waitForURL(/\/officer\/trainings\/[0-9a-f]{24}\?ok=created/);
    expect(await page.locator('h1').textContent()).toBe('ไลฟ์ขายของบน TikTok สำหรับมือใหม่');
    expect(await page.locator('#seats').textContent()).toBe('0/25');
    await shot('dashboard-03-training-created');
    const t = await bot.rt.models.Training.findOne({ 'title.th': 'ไลฟ์ขายของบน TikTok สำหรับมือใหม่' }).lean();
    expect(t).toMatchObject({ provinceCode: '50', capacity: 25 });
  }, 60_000);

  it('when the officer exports the producers, then the CSV holds their province only', async () => {
    await page.click('nav >> text=ผู้ประกอบการ');
    expect(await page.locator('table.data tbody tr').count()).toBe(5);
    await shot('dashboard-04-producers');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const file = path.join(ARTIFACTS_DIR, 'dashboard-producers.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(6);
    expect(csv).toContain('ผู้ผลิตทดสอบ 1');
    expect(csv).not.toContain('ผู้ผลิตทดสอบ 6');
    expect(errors).toEqual([]);
  }, 60_000);
});
