/**
 * Broadcast benchmark: 100,000 synthetic producers (provinces, categories, languages mixed as in
 * dev/synthetic-producers.ts) on the embedded database, one campaign to all of them through the
 * fake LINE (enforcing LINE's multicast limit of 200 requests/s), sent by a separate sender
 * process as the worker would; then a second campaign whose sender is killed (SIGKILL) halfway
 * and started again. Prints wall time, recipients/s, requests, peak RSS of the sender, segment
 * count time, and duplicates and misses (both must be 0).
 *
 *   npm run bench:broadcast          (BENCH_PRODUCERS to change the size; BENCH_PROFILE=1 prints
 *                                     each sender's database commands by name and collection)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { projectRoot } from '../src/core/paths.js';
import { createRuntime, type Runtime } from '../src/app/runtime.js';
import { connectDatabase } from '../src/core/db/connection.js';
import { FakeLine } from '../dev/fake-line/server.js';
import { seedSyntheticProducers } from '../dev/synthetic-producers.js';

const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 100_000);
const TOKEN = 'bench-token';
const self = fileURLToPath(import.meta.url);

function runtimeFor(mongoUri: string, lineUrl: string, monitorCommands = false): Promise<Runtime> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LINE_CHANNEL_SECRET: 'bench-secret',
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_BASE_URL: lineUrl,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    QUIET_HOURS: 'off',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-data-')),
  });
  return createRuntime({ config, logger: createLogger(config.LOG_LEVEL), mongoUri, monitorCommands, outbox: { baseDelayMs: 200, pollMs: 100, claimMs: 15_000 } });
}

/** The sender process: delivers one campaign, reporting its peak RSS as it goes. */
async function sender(mongoUri: string, lineUrl: string, campaignId: string): Promise<void> {
  const profile = process.env.BENCH_PROFILE === '1';
  const rt = await runtimeFor(mongoUri, lineUrl, profile);
  // BENCH_PROFILE=1: the sender's database commands by name and collection, with total time (stderr).
  const commands = new Map<string, { n: number; ms: number }>();
  const started = new Map<number, string>();
  if (profile) {
    const client = rt.db.conn.getClient();
    client.on('commandStarted', (e: { requestId: number; commandName: string; command: Record<string, unknown> }) => {
      started.set(e.requestId, `${e.commandName} ${String(e.command[e.commandName] ?? '')}`);
    });
    client.on('commandSucceeded', (e: { requestId: number; duration: number }) => {
      const k = started.get(e.requestId) ?? '?';
      started.delete(e.requestId);
      const c = commands.get(k) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += e.duration;
      commands.set(k, c);
    });
  }
  const printProfile = () => {
    if (!profile) return;
    const rows = [...commands.entries()].sort((a, b) => b[1].ms - a[1].ms);
    process.stderr.write(`sender commands (${process.pid}):\n${rows.map(([k, c]) => `  ${k}: ${c.n} commands, ${Math.round(c.ms)} ms (${(c.ms / c.n).toFixed(1)} ms each)`).join('\n')}\n`);
  };
  rt.drainer.start();
  let heapPeak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
  const report = () => {
    const u = process.memoryUsage();
    if (u.heapUsed > heapPeak.heapUsed) heapPeak = { heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers };
    process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
  };
  const timer = setInterval(report, 200);
  // BENCH_MEMLOG=1: the sender's memory each second (stderr), to see what grows when.
  const t0 = Date.now();
  const mb = (n: number) => Math.round(n / 1_048_576);
  const memlog = process.env.BENCH_MEMLOG === '1'
    ? setInterval(() => {
        const u = process.memoryUsage();
        // RssAnon is memory this process allocated; RssFile is mapped files (Node's own binary) paged in.
        const status = readFileSync('/proc/self/status', 'utf8');
        const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
        process.stderr.write(
          `mem ${((Date.now() - t0) / 1000).toFixed(0)}s rss ${mb(u.rss)} (anon ${Math.round(kb('RssAnon') / 1024)}, file ${Math.round(kb('RssFile') / 1024)}) heapTotal ${mb(u.heapTotal)} heapUsed ${mb(u.heapUsed)} external ${mb(u.external)} arrayBuffers ${mb(u.arrayBuffers)}\n`,
        );
      }, 1_000)
    : undefined;
  for (;;) {
    const o = await rt.delivery.run(campaignId);
    if (o.result === 'done') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // The last batches' outcomes are read back by the delivery loop: everything is settled now.
  clearInterval(timer);
  clearInterval(memlog);
  report();
  printProfile();
  if (profile) process.stderr.write(`sender heap at its peak (MB): ${JSON.stringify(Object.fromEntries(Object.entries(heapPeak).map(([k, v]) => [k, Math.round(v / 1048576)])))}\n`);
  await rt.close();
  process.exit(0);
}

interface SendRun {
  child: ChildProcess;
  peakRssKb: number;
  exited: Promise<number | null>;
}

/**
 * The worker's Node flags, from package.json's `start:worker` (e.g. a bounded young generation:
 * Node otherwise grows it to tens of MB under a fast allocation rate, which is most of the peak RSS
 * of a sender). The sender runs as the worker is deployed.
 */
function workerNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts['start:worker'] ?? '').split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter((w) => w.startsWith('--'));
}

function startSender(mongoUri: string, lineUrl: string, campaignId: string): SendRun {
  const child = spawn(process.execPath, [...workerNodeFlags(), self, 'sender', mongoUri, lineUrl, campaignId], { stdio: ['ignore', 'pipe', 'inherit'] });
  const run: SendRun = { child, peakRssKb: 0, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        run.peakRssKb = Math.max(run.peakRssKb, (JSON.parse(line) as { maxRssKb: number }).maxRssKb);
      } catch {
        /* not ours */
      }
    }
  });
  return run;
}

async function main(): Promise<void> {
  const { startEmbeddedDatabase } = await import('../dev/embedded-db.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-broadcast-'));
  const db = await startEmbeddedDatabase({ dataDir, cacheDir: join(projectRoot, '.cache'), projectRoot });
  // Message history off: the fake LINE keeps counts only (it runs in this process, not the sender's).
  const fake = await FakeLine.start({ channelAccessToken: TOKEN, historyLimit: 0, openapiDir: null });
  const received = new Uint8Array(PRODUCERS);
  const byCampaign = new Map<string, Uint8Array>();
  let current: Uint8Array = received;
  fake.on('sent', (m: { userId: string }) => {
    const i = parseInt(m.userId.slice(1), 16);
    if (i < PRODUCERS) current[i] = Math.min(255, current[i]! + 1);
  });
  const rt = await runtimeFor(db.uri, fake.url);
  try {
    const t = Date.now();
    await seedSyntheticProducers(rt.models, { count: PRODUCERS });
    const seedMs = Date.now() - t;
    // On the embedded database a count reads every producer, one command at a time for all
    // connections: one slower than the driver's heartbeat timeout (30 s) fails with a server
    // selection error. Reported as such (with the time it took), and the runs go on.
    // Another client pings the database while a count runs: its slowest answer shows whether the
    // count's commands starve everybody else (the embedded database serves one command at a time).
    const other = await connectDatabase(`${db.uri}/bench_probe`);
    const probe = () => {
      let worst = 0;
      let on = true;
      const loop = (async () => {
        while (on) {
          const t1 = Date.now();
          await other.conn.db!.admin().command({ ping: 1 }).catch(() => undefined);
          worst = Math.max(worst, Date.now() - t1);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      return async () => {
        on = false;
        await loop;
        return worst;
      };
    };
    const timed = async (segment: Parameters<typeof rt.segments.count>[0]) => {
      const t0 = Date.now();
      const stop = probe();
      try {
        const count = await rt.segments.count(segment);
        const ms = Date.now() - t0;
        return { count, ms, slowestOtherPingMs: await stop() };
      } catch (err) {
        const ms = Date.now() - t0;
        for (let i = 0; i < 600 && !(await rt.db.ping(2_000)); i++) await new Promise((r) => setTimeout(r, 500));
        return { count: NaN, ms, slowestOtherPingMs: await stop(), error: (err as Error).message };
      }
    };
    const countAll = await timed({});
    const all = Number.isNaN(countAll.count) ? PRODUCERS : countAll.count;
    const countSome = await timed({ provinces: ['30', '40', '41'], categories: ['food', 'textile'] });
    const countEn = await timed({ languages: ['en'] });
    await other.close();

    const run = async (title: string, killAt?: number) => {
      const c = await rt.campaigns.create({
        title,
        messages: { th: [{ type: 'text', text: 'สัปดาห์ไลฟ์ขายของ TikTok Shop เริ่มวันจันทร์' }], en: [{ type: 'text', text: 'TikTok Shop live-selling week starts Monday' }] },
        deepLink: { flow: 'tiktok-shop', label: { th: 'เปิดร้าน', en: 'Open shop' } },
      });
      await rt.campaigns.confirm(c._id);
      current = new Uint8Array(PRODUCERS);
      byCampaign.set(title, current);
      const requestsBefore = fake.requestCount;
      const limitedBefore = fake.rateLimited.multicast;
      const started = Date.now();
      let firstSendAt = 0;
      const onFirst = () => (firstSendAt ||= Date.now());
      fake.once('sent', onFirst);
      let peak = 0;
      let killed = false;
      let s = startSender(db.uri, fake.url, c._id);
      if (killAt !== undefined) {
        const counted = () => current.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
        let gone = false;
        void s.exited.then(() => (gone = true));
        // A sender that fails before halfway (its exit code says so) is not waited for.
        while (!gone && counted() < killAt) await new Promise((r) => setTimeout(r, 5));
        s.child.kill('SIGKILL');
        await s.exited;
        killed = true;
        peak = Math.max(peak, s.peakRssKb);
        s = startSender(db.uri, fake.url, c._id);
      }
      const code = await s.exited;
      peak = Math.max(peak, s.peakRssKb);
      const wallMs = Date.now() - started;
      const sendMs = Date.now() - (firstSendAt || started);
      let dup = 0;
      let miss = 0;
      let got = 0;
      for (const v of current) {
        if (v === 0) miss++;
        else got++;
        if (v > 1) dup += v - 1;
      }
      return {
        title,
        exit: code,
        killed,
        recipients: got,
        wallS: +(wallMs / 1000).toFixed(1),
        sendingS: +(sendMs / 1000).toFixed(1),
        recipientsPerS: Math.round(got / (sendMs / 1000)),
        requests: fake.requestCount - requestsBefore,
        rateLimited429: fake.rateLimited.multicast - limitedBefore,
        senderPeakRssMb: Math.round(peak / 1024),
        duplicates: dup,
        misses: miss,
      };
    };

    const whole = await run('all producers');
    const resumed = await run('killed halfway and resumed', Math.floor(all / 2));
    const out = {
      producers: PRODUCERS,
      database: db.kind,
      seedS: +(seedMs / 1000).toFixed(1),
      segmentCount: { all: countAll, provincesAndCategories: countSome, english: countEn },
      runs: [whole, resumed],
      // This process: the benchmark itself, the fake LINE (counts only) and the seeding/counting runtime.
      benchProcessPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    for (const r of out.runs) {
      process.stdout.write(
        `${r.title}: ${r.recipients} recipients, wall ${r.wallS} s (sending ${r.sendingS} s), ${r.recipientsPerS} recipients/s, ${r.requests} requests (${r.rateLimited429} rate-limited), sender peak RSS ${r.senderPeakRssMb} MB, duplicates ${r.duplicates}, misses ${r.misses}\n`,
      );
    }
    const shown = (c: { ms: number; count: number; slowestOtherPingMs: number; error?: string }) =>
      `${c.count} in ${c.ms} ms (another client's slowest ping meanwhile ${c.slowestOtherPingMs} ms)${c.error ? ' (failed: no answer within the heartbeat timeout)' : ''}`;
    process.stdout.write(`segment count (${db.kind}): all ${shown(countAll)}; provinces+categories ${shown(countSome)}; english ${shown(countEn)}\n`);
    process.stdout.write(`peak RSS: sender (the bot's process) in the runs above; this benchmark process (fake LINE, seeding, counts) ${out.benchProcessPeakRssMb} MB\n`);
  } finally {
    await rt.close();
    await fake.close();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'sender') {
  void sender(process.argv[3]!, process.argv[4]!, process.argv[5]!).catch((err: unknown) => {
    process.stderr.write(`sender failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
