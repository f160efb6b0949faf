/**
 * The machine's Chromium for browser tests, driven by playwright-core (`npx playwright install`
 * cannot download browsers here). When /usr/bin/chromium is missing it is installed from Debian's
 * packages with Thai and emoji fonts (needs root, as on CI); several test files may ask at once,
 * so the install runs under a lock.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const PACKAGES = ['chromium', 'fonts-thai-tlwg', 'fonts-noto-color-emoji'];
const LOCK = path.join(os.tmpdir(), 'otopbot-chromium-install.lock');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Installs Chromium (and Thai fonts) from Debian's packages when it is not there yet. */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another test file is installing; take over a lock left behind by a crash after 15 minutes.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmdirSync(LOCK);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      await sleep(1_000);
    }
  }
  try {
    if (existsSync(CHROMIUM)) return CHROMIUM;
    if (process.getuid?.() !== 0) {
      throw new Error(`${CHROMIUM} is missing; install it: sudo apt-get install -y ${PACKAGES.join(' ')}`);
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]) => execFileSync('apt-get', args, { env, stdio: 'pipe', timeout: 12 * 60_000 });
    run(['update', '-qq']);
    run(['install', '-y', '-qq', ...PACKAGES]);
    if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed ${PACKAGES.join(' ')} but ${CHROMIUM} is still missing`);
    return CHROMIUM;
  } finally {
    rmdirSync(LOCK);
  }
}

/**
 * Headless Chromium with the flags this closed network needs (without the background-networking
 * ones it hangs trying to reach Google). Playwright gives it a fresh temporary profile
 * (--user-data-dir) and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 120_000, // a loaded 2-core machine can take long to start Chromium
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
