/**
 * Renders the rich-menu images from their source (src/features/richmenu/menus.ts → SVG) with
 * Chromium, into assets/richmenu/<id>.png, and records the source's hash beside each image so a
 * test notices an image that no longer matches its source:
 *
 *   npm run richmenu:images        (needs /usr/bin/chromium with Thai fonts: fonts-thai-tlwg)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createTranslator } from '../src/core/i18n.js';
import { projectRoot } from '../src/core/paths.js';
import { MENU_HEIGHT, MENU_WIDTH, MENUS, renderSvg, svgHash } from '../src/features/richmenu/menus.js';

export const RICHMENU_ASSETS = join(projectRoot, 'assets', 'richmenu');

async function main(): Promise<void> {
  const t = await createTranslator(join(projectRoot, 'locales'));
  mkdirSync(RICHMENU_ASSETS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: MENU_WIDTH, height: MENU_HEIGHT }, deviceScaleFactor: 1 });
    for (const def of MENUS) {
      const svg = renderSvg(def, t);
      await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
      await page.evaluate('document.fonts.ready');
      const file = join(RICHMENU_ASSETS, `${def.id}.png`);
      await page.screenshot({ path: file, clip: { x: 0, y: 0, width: MENU_WIDTH, height: MENU_HEIGHT } });
      writeFileSync(join(RICHMENU_ASSETS, `${def.id}.source-sha256`), `${svgHash(svg)}\n`);
      process.stdout.write(`${file}\n`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
