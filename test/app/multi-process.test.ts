import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { projectRoot } from '../../src/core/paths.js';
import { FakeLine } from '../../dev/fake-line/server.js';
import { freePort, runProgram, type Run } from '../support/process.js';
import { ev, signedBody } from '../support/events.js';

// Two web processes and a worker, as the Procfile runs them, sharing one embedded database
// started the way `npm run db` starts it (the built dev/embedded-db.js, URI on its first line).
const main = join(projectRoot, 'dist', 'src', 'main.js');
const dbProgram = join(projectRoot, 'dist', 'dev', 'embedded-db.js');
const SECRET = 'multi-process-secret';
const TOKEN = 'multi-process-token';

let fake: FakeLine;
let dataDir: string;
let db: Run;
let dbUri: string;
const webPorts: number[] = [];
const processes: Run[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.json')], { stdio: 'pipe' });
  fake = await FakeLine.start({ channelAccessToken: TOKEN });
  dataDir = await mkdtemp(join(os.tmpdir(), 'otopbot-multi-'));
  db = runProgram(dbProgram, ['--data-dir', dataDir], {});
  const uri = `${(await db.waitFor(/^mongodb:\/\/\S+$/m, 120_000))[0]}/multi`;
  dbUri = uri;
  const env = {
    MONGODB_URI: uri,
    HOST: '127.0.0.1',
    LINE_CHANNEL_SECRET: SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_BASE_URL: fake.url,
    LOG_LEVEL: 'info',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    // The settle window must cover how far apart two processes store one user's events; on a
    // loaded 2-core test machine that is more than the production default.
    INBOX_SETTLE_MS: '300',
    // Short leases and a quick sweeper: a killed process's users are taken over within seconds.
    INBOX_LEASE_MS: '2000',
    INBOX_SWEEP_SECONDS: '1',
  };
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    webPorts.push(port);
    processes.push(runProgram(main, ['web'], { ...env, PORT: String(port) }));
  }
  processes.push(runProgram(main, ['worker'], env));
  await Promise.all(processes.map((p, i) => p.waitFor(i < 2 ? /listening for LINE webhooks/ : /worker started/, 60_000)));
}, 240_000);

afterAll(async () => {
  for (const p of processes) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  db?.child.kill('SIGTERM');
  await db?.exited;
  await fake?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('two web processes and a worker on one embedded database', () => {
  it('when one user sends ten texts at once, split across both web processes, then each is answered exactly once', async () => {
    const userId = 'U' + 'c3'.repeat(16);
    const t0 = Date.now();
    const events = Array.from({ length: 10 }, (_, i) => ev.text(userId, 'ช่วยเหลือ', { timestamp: t0 + i }));
    for (const e of events) fake.registerReplyToken(e.replyToken!, userId);

    const statuses = await Promise.all(
      events.map(async (e, i) => {
        const { body, signature } = signedBody([e], SECRET);
        const res = await fetch(`http://127.0.0.1:${webPorts[i % 2]}/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-line-signature': signature },
          body,
        });
        return res.status;
      }),
    );
    expect(statuses).toEqual(Array(10).fill(200));

    const replyTokensUsed = () =>
      fake.requests
        .filter((r) => r.path === '/v2/bot/message/reply' && r.status === 200)
        .map((r) => (r.body as { replyToken: string }).replyToken)
        .filter((t) => events.some((e) => e.replyToken === t));
    const deadline = Date.now() + 30_000;
    while (replyTokensUsed().length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Give a double answer time to show up.
    await new Promise((r) => setTimeout(r, 500));

    const used = replyTokensUsed();
    expect(new Set(used).size).toBe(10); // all answered
    expect(used).toHaveLength(10); // none twice
    expect(fake.requests.filter((r) => r.path === '/v2/bot/message/push')).toHaveLength(0);
    // In timestamp order although the events reached two processes: the inbox's settle window
    // lets an event stored a few ms late on the other process be claimed with the rest.
    expect(used).toEqual(events.map((e) => e.replyToken));
    for (const p of processes) expect(p.out()).not.toMatch(/"level":(50|60)/);
  }, 60_000);

  it('when a web process is killed after saving a session and before its reply reached LINE, then the other web process replies once with the same token', async () => {
    const userId = 'U' + 'd4'.repeat(16);
    const e = ev.text(userId, 'ช่วยเหลือ');
    fake.registerReplyToken(e.replyToken!, userId);
    // The reply of the process about to die is held 3 s, then dropped unread (it never reaches LINE).
    fake.fail({ path: '/v2/bot/message/reply', delayMs: 3_000, drop: 'before' });
    const conn = await mongoose.createConnection(dbUri).asPromise();
    try {
      const { body, signature } = signedBody([e], SECRET);
      const res = await fetch(`http://127.0.0.1:${webPorts[0]}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': signature }, body });
      expect(res.status).toBe(200);
      // Saved (the answer with it), the reply on its way: now the process dies, as by `kill -9`.
      const saved = async () => Boolean((await conn.db!.collection('sessions').findOne({ _id: userId as never }))?.answer);
      for (const end = Date.now() + 20_000; Date.now() < end && !(await saved()); ) await new Promise((r) => setTimeout(r, 20));
      expect(await saved()).toBe(true);
      processes[0]!.child.kill('SIGKILL');
      await processes[0]!.exited;
      const replies = () => fake.requests.filter((r) => r.path === '/v2/bot/message/reply' && (r.body as { replyToken?: string }).replyToken === e.replyToken);
      for (const end = Date.now() + 30_000; Date.now() < end && !replies().some((r) => r.status === 200); ) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1_500)); // a double would show by now
      expect(replies().map((r) => r.status)).toEqual([0, 200]); // the dead one's (dropped), the other's
      expect(fake.sent(userId)).toHaveLength(1);
      expect(fake.requests.filter((r) => r.path === '/v2/bot/message/push')).toHaveLength(0);
      expect(processes[1]!.out()).toMatch(/answer saved but not confirmed sent/);
      const s = await conn.db!.collection('sessions').findOne({ _id: userId as never });
      expect(s?.answer ?? null).toBeNull();
      expect(s?.applied).toEqual([e.webhookEventId]);
    } finally {
      await conn.close();
    }
  }, 90_000);
});
