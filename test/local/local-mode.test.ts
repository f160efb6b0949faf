/**
 * `npm start` without LINE credentials: the built program (`node dist/src/main.js`) in local mode.
 * Built once into its own folder under .cache/ so that other test files building dist/ at the same
 * time cannot hand this one half-written files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/core/i18n.js';
import { projectRoot } from '../../src/core/paths.js';
import { FakeLine } from '../../dev/fake-line/server.js';
import { freePort, runProgram, type Run } from '../support/process.js';
import { freshDatabase, type FreshDatabase } from '../support/db.js';

const node = process.execPath;
const outDir = path.join(projectRoot, '.cache', 'test-build', `local-mode-${process.pid}`);
const main = path.join(outDir, 'src', 'main.js');
let fresh: FreshDatabase;
let dataDir: string;

beforeAll(async () => {
  const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(node, [tsc, '-p', path.join(projectRoot, 'tsconfig.json'), '--outDir', outDir], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  fresh = await freshDatabase('local_mode');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'otopbot-local-mode-'));
}, 180_000);

afterAll(async () => {
  await fresh?.drop();
  rmSync(outDir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const run = (env: Record<string, string>, args: string[] = []): Run => runProgram(main, args, { DATA_DIR: dataDir, ...env });

describe('npm start without LINE credentials', () => {
  it('when no LINE credentials are set, then it starts in local mode, logs the simulator address, and a simulated user gets the Thai greeting', async () => {
    const port = await freePort();
    const r = run({ PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: fresh.uri, LOG_LEVEL: 'info' });
    try {
      const m = await r.waitFor(/simulator: (http:\/\/localhost:(\d+)\/simulator)/);
      expect(Number(m[2])).toBe(port);
      expect(r.out()).toContain('local mode: added the sample trainings to the empty database');
      const base = `http://127.0.0.1:${port}`;
      const page = await fetch(`${base}/simulator`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('LINE simulator');

      const added = await fetch(`${base}/simulator/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'สมศรี', language: 'th' }) });
      expect(added.status).toBe(201);
      const { user, webhookStatus } = (await added.json()) as { user: { userId: string }; webhookStatus: number };
      expect(webhookStatus).toBe(200);

      const t = await createTranslator(path.join(projectRoot, 'locales'));
      const deadline = Date.now() + 10_000;
      let texts: string[] = [];
      while (Date.now() < deadline) {
        const state = (await (await fetch(`${base}/simulator/api/state`)).json()) as { feed: { userId: string; from: string; message?: { text?: string } }[] };
        texts = state.feed.filter((e) => e.userId === user.userId && e.from === 'bot').map((e) => e.message?.text ?? '');
        if (texts.length > 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(texts[0]).toBe(t.t('th', 'common:welcome'));

      // An open simulator page (event stream) must not hold up a clean shutdown.
      const ac = new AbortController();
      const stream = await fetch(`${base}/simulator/api/stream`, { signal: ac.signal });
      expect(stream.status).toBe(200);
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      ac.abort();
      // The generated credentials stay out of the logs.
      expect(r.out()).not.toMatch(/local-[A-Za-z0-9_-]{20,}/);

      // After a restart the simulated user and the chat are still there (DATA_DIR/simulator.json).
      const again = run({ PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: fresh.uri, LOG_LEVEL: 'info' });
      try {
        await again.waitFor(/simulator: http/);
        const state = (await (await fetch(`${base}/simulator/api/state`)).json()) as { users: { userId: string }[]; feed: { userId: string; from: string }[] };
        expect(state.users.map((u) => u.userId)).toEqual([user.userId]);
        expect(state.feed.filter((e) => e.userId === user.userId && e.from === 'bot').length).toBeGreaterThanOrEqual(texts.length);
        again.child.kill('SIGTERM');
        expect(await again.exited).toBe(0);
      } finally {
        if (again.child.exitCode === null) again.child.kill('SIGKILL');
      }
    } finally {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
    }
  }, 60_000);

  it('when NODE_ENV is production and no LINE credentials are set, then local mode is refused: it stops with one line per missing variable', async () => {
    const r = run({ NODE_ENV: 'production', MONGODB_URI: fresh.uri });
    expect(await r.exited).toBe(1);
    const lines = r.out().trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const [i, v] of ['LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN', 'DATA_ENCRYPTION_KEY'].entries()) expect(lines[i]).toContain(v);
    expect(r.out()).not.toContain('simulator');
  });

  it('when real LINE credentials are set, then the simulator does not exist (404) and nothing mentions it', async () => {
    const fake = await FakeLine.start({ channelAccessToken: 'real-token' });
    const port = await freePort();
    const r = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGODB_URI: fresh.uri,
      LINE_CHANNEL_SECRET: 'real-secret',
      LINE_CHANNEL_ACCESS_TOKEN: 'real-token',
      LINE_API_BASE_URL: fake.url,
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 41).toString('base64'),
    });
    try {
      await r.waitFor(/listening for LINE webhooks/);
      for (const p of ['/simulator', '/simulator/api/state', '/simulator/simulator.js']) {
        expect((await fetch(`http://127.0.0.1:${port}${p}`)).status, p).toBe(404);
      }
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      expect(r.out()).not.toContain('simulator');
    } finally {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await fake.close();
    }
  }, 60_000);
});
