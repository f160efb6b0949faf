import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/crypto.js';
import { projectRoot } from '../../src/core/paths.js';
import { FakeLine } from '../../dev/fake-line/server.js';
import { freePort, runCommand, runProgram, type Run } from '../support/process.js';
import { freshDatabase, type FreshDatabase } from '../support/db.js';
import { ev, signedBody } from '../support/events.js';

// The built program as the Procfile runs it: start-up checks, logs, graceful shutdown.
const node = process.execPath;
const main = join(projectRoot, 'dist', 'src', 'main.js');
const SECRET = 'process-secret-value';
const TOKEN = 'process-token-value';
const KEY = Buffer.alloc(32, 21).toString('base64');

let fake: FakeLine;
let fresh: FreshDatabase;

beforeAll(async () => {
  execFileSync(node, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.json')], { stdio: 'pipe' });
  // What `npm run build` leaves: `npm start` then runs without compiling again.
  writeFileSync(join(projectRoot, 'dist', '.built'), new Date().toISOString());
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
    const r = run(['web'], { LINE_CHANNEL_ACCESS_TOKEN: TOKEN, MONGODB_URI: fresh.uri, DATA_ENCRYPTION_KEY: KEY });
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
      DATA_ENCRYPTION_KEY: KEY,
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
    // The event's own log lines name it, so one conversation's trail can be followed.
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l) as { eventId?: string; module?: string });
    const ofEvent = lines.filter((l) => l.module === 'events' || l.module === 'line-gateway' || l.module === 'inbox');
    expect(ofEvent.length).toBeGreaterThan(0);
    for (const l of ofEvent) expect(l.eventId).toBe(e.webhookEventId);
  }, 60_000);

  it('when the encryption key is missing outside local mode (NODE_ENV unset), then it stops with one line naming it', async () => {
    const r = run(['web'], { MONGODB_URI: fresh.uri, LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: TOKEN });
    expect(await r.exited).toBe(1);
    expect(r.out().trim().split('\n')).toEqual(['configuration error: DATA_ENCRYPTION_KEY is required outside local mode (openssl rand -base64 32)']);
  });

  it('when several values are bad, then one start reports every one of them', async () => {
    const r = run(['web'], { MONGODB_URI: 'postgres://nope', PORT: 'eighty', LINE_CHANNEL_ACCESS_TOKEN: TOKEN, DATA_ENCRYPTION_KEY: 'short' });
    expect(await r.exited).toBe(1);
    const lines = r.out().trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const [i, v] of ['PORT', 'MONGODB_URI', 'LINE_CHANNEL_SECRET', 'DATA_ENCRYPTION_KEY'].entries()) {
      expect(lines[i]).toMatch(new RegExp(`^configuration error: .*${v}`));
    }
  });

  it('when a .env file is in the working directory, then its values are used and the environment overrides them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otopbot-dotenv-'));
    try {
      const port = await freePort();
      writeFileSync(
        join(dir, '.env'),
        [`PORT=${port}`, 'HOST=127.0.0.1', `MONGODB_URI=${fresh.uri}`, `LINE_CHANNEL_SECRET=${SECRET}`, `LINE_CHANNEL_ACCESS_TOKEN=${TOKEN}`, `LINE_API_BASE_URL=${fake.url}`, `DATA_ENCRYPTION_KEY=${KEY}`, 'LOG_LEVEL=debug'].join('\n'),
      );
      const r = runProgram(main, ['web'], { LOG_LEVEL: 'info' }, { cwd: dir });
      await r.waitFor(/listening for LINE webhooks/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(r.out()).not.toContain('"level":"debug"');
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('when METRICS_TOKEN is set, then /metrics answers Prometheus text with the token and 401 without it', async () => {
    const port = await freePort();
    const METRICS_TOKEN = 'metrics-token-0123456789';
    const r = run(['web'], { PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: fresh.uri, LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: TOKEN, LINE_API_BASE_URL: fake.url, DATA_ENCRYPTION_KEY: KEY, METRICS_TOKEN });
    await r.waitFor(/listening for LINE webhooks/);
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(await ok.text()).toContain('# TYPE otop_events_waiting gauge');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  }, 60_000);
});

describe('the re-seal command', () => {
  it('when run after a rotation (new key primary, old key listed), then sealed values move to the new key and a second run finds nothing to do', async () => {
    const oldKey = Buffer.alloc(32, 31).toString('base64');
    const newKey = Buffer.alloc(32, 32).toString('base64');
    const owner = 'U' + 'e'.repeat(32);
    const conn = await mongoose.createConnection(fresh.uri).asPromise();
    try {
      const sealed = new Sealer(oldKey).seal('1103700012346', { owner, field: 'nationalId' });
      const now = new Date();
      await conn.collection('sessions').insertOne({ _id: owner as never, flow: { id: 'registration', answers: { nationalId: sealed } }, paused: {}, createdAt: now, updatedAt: now, rev: 1 });
      const reseal = join(projectRoot, 'dist', 'src', 'cli', 'reseal.js');
      const env = { MONGODB_URI: fresh.uri, DATA_ENCRYPTION_KEY: newKey, DATA_ENCRYPTION_KEYS: oldKey };
      const first = runProgram(reseal, [], env);
      expect(await first.exited).toBe(0);
      expect(first.out()).toMatch(/reseal: 1 re-sealed with key \S+, 0 already current, 0 unreadable/);
      expect(first.out()).not.toContain(owner);
      const doc = await conn.collection('sessions').findOne({ _id: owner as never });
      const now2 = (doc?.flow as { answers: { nationalId: string } }).answers.nationalId;
      expect(new Sealer(newKey).unseal(now2, { owner, field: 'nationalId' })).toBe('1103700012346');
      const second = runProgram(reseal, [], env);
      expect(await second.exited).toBe(0);
      expect(second.out()).toMatch(/reseal: 0 re-sealed with key \S+, 1 already current, 0 unreadable/);
      // The old key dropped too early: reported, exit 2, value left untouched.
      const wrong = runProgram(reseal, [], { MONGODB_URI: fresh.uri, DATA_ENCRYPTION_KEY: Buffer.alloc(32, 33).toString('base64') });
      expect(await wrong.exited).toBe(2);
      expect(wrong.out()).toContain('1 unreadable');
    } finally {
      await conn.collection('sessions').deleteOne({ _id: owner as never });
      await conn.close();
    }
  }, 60_000);
});

describe('npm start', () => {
  /** Every process below `pid` (children, grandchildren, …). */
  const descendants = (pid: number): number[] => {
    const rows = execSync('ps -eo pid=,ppid=', { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
    const out: number[] = [];
    const walk = (p: number) => rows.filter(([, pp]) => pp === p).forEach(([c]) => (out.push(c), walk(c)));
    walk(pid);
    return out;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('when npm start (local mode, embedded database) gets SIGTERM as a supervisor sends it, then the bot and its database stop within the grace period', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'otopbot-npm-start-'));
    const port = await freePort();
    const grace = 5_000;
    const r = runCommand('npm', ['start', '--silent'], { HOME: process.env['HOME'] ?? tmpdir(), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SHUTDOWN_GRACE_MS: String(grace), LOG_LEVEL: 'info' }, { cwd: projectRoot });
    try {
      await r.waitFor(/simulator: http/, 60_000);
      const tree = descendants(r.child.pid!);
      // npm's child is the bot itself (no shell in between), and the bot's child the database.
      expect(tree.length).toBeGreaterThanOrEqual(2);
      expect(r.out()).not.toContain('compiling');
      const signalled = Date.now();
      r.child.kill('SIGTERM'); // to npm only, as a container runtime or supervisor does
      await r.exited;
      while (tree.some(alive) && Date.now() - signalled < grace + 2_000) await new Promise((res) => setTimeout(res, 50));
      expect(tree.filter(alive)).toEqual([]);
      expect(Date.now() - signalled).toBeLessThan(grace);
      expect(r.out()).toMatch(/"msg":"stopped"/);
    } finally {
      for (const pid of descendants(r.child.pid!)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the worker process', () => {
  it('when it starts, then it connects, schedules its jobs, serves /metrics on the internal METRICS_PORT, and stops cleanly on SIGTERM', async () => {
    const metricsPort = await freePort();
    const r = run(['worker'], { MONGODB_URI: fresh.uri, LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: TOKEN, LINE_API_BASE_URL: fake.url, DATA_ENCRYPTION_KEY: KEY, METRICS_PORT: String(metricsPort) });
    await r.waitFor(/worker started/);
    const m = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('# TYPE otop_outbox_pending gauge');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.out()).not.toContain('listening for LINE webhooks');
  }, 60_000);
});

