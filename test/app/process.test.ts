import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { FakeLine } from '../../dev/fake-line/server.js';
import { freePort, runProgram, type Run } from '../support/process.js';
import { freshDatabase, type FreshDatabase } from '../support/db.js';
import { ev, signedBody } from '../support/events.js';

// The built program as the Procfile runs it: start-up checks, logs, graceful shutdown.
const node = process.execPath;
const main = join(projectRoot, 'dist', 'src', 'main.js');
const SECRET = 'process-secret-value';
const TOKEN = 'process-token-value';

let fake: FakeLine;
let fresh: FreshDatabase;

beforeAll(async () => {
  execFileSync(node, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.json')], { stdio: 'pipe' });
  fake = await FakeLine.start({ channelAccessToken: TOKEN });
  fresh = await freshDatabase('process');
}, 180_000);
afterAll(async () => {
  await fake?.close();
  await fresh?.drop();
});

const run = (args: string[], env: Record<string, string>): Run => runProgram(main, args, env);

describe('the web process', () => {
  it('when a required variable is missing, then it stops with one line naming it', async () => {
    const r = run(['web'], { LINE_CHANNEL_ACCESS_TOKEN: TOKEN, MONGODB_URI: fresh.uri });
    expect(await r.exited).toBe(1);
    expect(r.out().trim().split('\n')).toHaveLength(1);
    expect(r.out()).toContain('LINE_CHANNEL_SECRET');
  });

  it('when it runs, answers a webhook and gets SIGTERM, then it finishes, exits 0, and its logs hold no secrets or personal data', async () => {
    const port = await freePort();
    const r = run(['web'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGODB_URI: fresh.uri,
      LINE_CHANNEL_SECRET: SECRET,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_API_BASE_URL: fake.url,
      LOG_LEVEL: 'debug',
    });
    await r.waitFor(/listening for LINE webhooks/);
    const userId = 'U' + 'a1'.repeat(16);
    const e = ev.text(userId, 'เบอร์ของฉัน 0812345678');
    fake.registerReplyToken(e.replyToken!, userId);
    const { body, signature } = signedBody([e], SECRET);
    const res = await fetch(`http://127.0.0.1:${port}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': signature }, body });
    expect(res.status).toBe(200);
    await fake.waitForSent(userId, 1);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    const logs = r.out();
    expect(logs).toMatch(/"msg":"stopped"/);
    for (const secret of [SECRET, TOKEN, userId, '0812345678', e.replyToken!]) expect(logs).not.toContain(secret);
    for (const line of logs.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  }, 60_000);
});

describe('the worker process', () => {
  it('when it starts, then it connects, schedules its jobs, and stops cleanly on SIGTERM', async () => {
    const r = run(['worker'], { MONGODB_URI: fresh.uri, LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: TOKEN, LINE_API_BASE_URL: fake.url });
    await r.waitFor(/worker started/);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.out()).not.toContain('listening for LINE webhooks');
  }, 60_000);
});

