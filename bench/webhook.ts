/**
 * Webhook benchmark: signed LINE webhook events driven at (a) this bot — real database, full
 * pipeline — and (b) a minimal @line/bot-sdk echo bot, both answering through the same fake LINE
 * API. Prints events/s, latency to the 200 and to the reply (p50/p99), peak RSS, and the ratios.
 *
 *   npm run bench:webhook            (BENCH_EVENTS, BENCH_USERS, BENCH_CONCURRENCY to change the load)
 *   npm run bench:webhook -- --scale (the same load with 10,000 and 100,000 existing users: the curve)
 *   npm run bench:webhook -- --faults (LINE answers 20% 500 and 5% 429; two web processes, one killed
 *                                      and restarted mid-run: lost and duplicated answers, see faults.ts)
 *
 * Beside those it prints the database commands per event (the driver's command monitoring: the
 * figure that carries over to MongoDB) and the CPU seconds the database processes used.
 */
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { messagingApi, middleware, type webhook } from '@line/bot-sdk';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { projectRoot } from '../src/core/paths.js';
import { startEmbeddedDatabase } from '../dev/embedded-db.js';
import { createRuntime } from '../src/app/runtime.js';
import { createWebApp } from '../src/app/web.js';
import { FakeLine } from '../dev/fake-line/server.js';
import { sign } from '../src/webhook/signature.js';
import { benchTextEvent } from './text-event.js';
import { commandCounter, databaseCpuSeconds, runScaleMode } from './database-figures.js';
import { runFaultMode } from './faults.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const USERS = Number(process.env.BENCH_USERS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECRET = 'bench-secret';
const TOKEN = 'bench-token';

export interface Result {
  name: string;
  eventsPerSec: number;
  ack: { p50: number; p99: number };
  reply: { p50: number; p99: number };
  peakRssMb: number;
  errors: number;
  /** p99 event-loop delay of the process while it ran (ms). */
  loopDelayP99Ms?: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer(app).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}/webhook` });
    });
  });
}

/** The baseline: the SDK's own middleware and a reply, nothing stored. */
function echoBot(fakeUrl: string): express.Express {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL: fakeUrl });
  const app = express();
  app.post('/webhook', middleware({ channelSecret: SECRET }), (req, res) => {
    const events = (req.body as { events: webhook.Event[] }).events;
    res.status(200).end();
    for (const e of events) {
      if (e.type === 'message' && e.message.type === 'text' && e.replyToken) {
        void client.replyMessage({ replyToken: e.replyToken, messages: [{ type: 'text', text: e.message.text }] }).catch(() => undefined);
      }
    }
  });
  return app;
}

async function drive(name: string, url: string, fake: FakeLine): Promise<Result> {
  // Every event is answered with exactly one message, in order per user (reply, or push when the
  // reply token went stale): match deliveries to sends first-in first-out per user.
  const waiting = new Map<string, number[]>();
  const replyLatency: number[] = [];
  const onSent = (m: { userId: string }) => {
    const q = waiting.get(m.userId);
    const t = q?.shift();
    if (t !== undefined) replyLatency.push(Date.now() - t);
  };
  fake.on('sent', onSent);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

  const ack: number[] = [];
  // How late this process's event loop ran (the bot, the driver and the fake LINE share it).
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= EVENTS) return;
      const userId = `U${(i % USERS).toString(16).padStart(32, '0')}`;
      const event = benchTextEvent(fake, i, userId);
      const body = JSON.stringify({ destination: 'Ubench', events: [event] });
      const t0 = performance.now();
      const q = waiting.get(userId) ?? [];
      q.push(Date.now());
      waiting.set(userId, q);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': sign(body, SECRET) }, body });
      await res.arrayBuffer();
      ack.push(performance.now() - t0);
      if (res.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // Wait until every event has been answered (at most 10 minutes).
  const deadline = Date.now() + 600_000;
  while (replyLatency.length < EVENTS - errors && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  loop.disable();
  fake.off('sent', onSent);
  errors += EVENTS - errors - replyLatency.length;
  return {
    name,
    eventsPerSec: replyLatency.length / wall,
    ack: { p50: pct(ack, 50), p99: pct(ack, 99) },
    reply: { p50: pct(replyLatency, 50), p99: pct(replyLatency, 99) },
    peakRssMb: peak / 1024 / 1024,
    errors,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

async function main() {
  const fake = await FakeLine.start({ channelAccessToken: TOKEN, openapiDir: null });
  const dataDir = mkdtempSync(join(tmpdir(), 'otopbot-bench-'));
  const db = process.env.MONGODB_URI
    ? undefined
    : await startEmbeddedDatabase({ dataDir, cacheDir: join(projectRoot, '.cache'), projectRoot });
  const mongoUri = process.env.MONGODB_URI ?? `${db!.uri.replace(/\/?$/, '')}/bench`;

  const echo = await listen(echoBot(fake.url));
  const baseline = await drive('sdk echo bot', echo.url, fake);
  echo.server.close();

  const config = loadConfig({
    LINE_CHANNEL_SECRET: SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_BASE_URL: fake.url,
    LOG_LEVEL: 'silent',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    INBOX_CONCURRENCY: '32',
  });
  if (process.argv.includes('--faults')) {
    const r = await runFaultMode({ fake, config, mongoUri, events: EVENTS, users: USERS, concurrency: CONCURRENCY });
    console.log(`webhook benchmark, fault mode: ${EVENTS} events, ${USERS} users, ${CONCURRENCY} concurrent senders, database ${db ? db.kind : 'MONGODB_URI'}, Node ${process.version}`);
    console.log('LINE answers 20% of reply/push requests with 500 and 5% with 429; web-1 of two web processes killed at 40% of the events, restarted at 70%');
    console.log(`sdk echo bot (no faults) ${baseline.eventsPerSec.toFixed(1)} events/s; otop bot under faults ${r.eventsPerSec.toFixed(1)} events/s (${(r.eventsPerSec / baseline.eventsPerSec).toFixed(2)}x)`);
    console.log(`lost answers: ${r.lost}   duplicated answers: ${r.duplicated}   webhook redeliveries: ${r.redeliveries}`);
    console.log(`LINE requests: ${Object.entries(r.lineRequests).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    if (r.lost > 0) console.log(`users short of answers, what the database holds for them: ${JSON.stringify(r.where)}`);
    await db?.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(r.lost === 0 && r.duplicated === 0 ? 0 : 1);
  }
  if (process.argv.includes('--scale')) {
    await runScaleMode({ config, dbBaseUri: process.env.MONGODB_URI ?? db!.uri, dbPid: db?.pid, echo: baseline, run: (url) => drive('otop bot', url, fake), listen });
    await db?.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
  const rt = await createRuntime({ config, logger: createLogger('silent'), mongoUri, monitorCommands: true });
  const web = createWebApp(rt);
  const ours = await listen(web.app);
  const commands = commandCounter(rt.db.conn);
  const cpuBefore = databaseCpuSeconds(db?.pid);
  const bot = await drive('otop bot', ours.url, fake);
  await rt.processor.idle();
  const dbFigures = { commands: commands.stop(), cpu: databaseCpuSeconds(db?.pid) - cpuBefore };
  ours.server.close();
  await rt.close();
  await db?.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });

  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  console.log(`webhook benchmark: ${EVENTS} events, ${USERS} users, ${CONCURRENCY} concurrent senders, database ${db ? db.kind : 'MONGODB_URI'}, Node ${process.version}`);
  console.log('name            events/s   ack p50 ms  ack p99 ms  reply p50 ms  reply p99 ms  peak RSS MB  errors');
  for (const r of [baseline, bot]) {
    console.log(
      `${r.name.padEnd(15)} ${f(r.eventsPerSec).padStart(8)}   ${f(r.ack.p50).padStart(10)}  ${f(r.ack.p99).padStart(10)}  ${f(r.reply.p50).padStart(12)}  ${f(r.reply.p99).padStart(12)}  ${f(r.peakRssMb).padStart(11)}  ${String(r.errors).padStart(6)}`,
    );
  }
  console.log(`event-loop delay p99 (bot, driver and fake LINE share one process): echo run ${f(baseline.loopDelayP99Ms ?? NaN)} ms, otop run ${f(bot.loopDelayP99Ms ?? NaN)} ms`);
  console.log(
    `ratio (otop / echo): throughput ${(bot.eventsPerSec / baseline.eventsPerSec).toFixed(2)}x, ack p99 ${(bot.ack.p99 / baseline.ack.p99).toFixed(2)}x, reply p99 ${(bot.reply.p99 / baseline.reply.p99).toFixed(2)}x`,
  );
  console.log(
    `database: ${(dbFigures.commands.total / EVENTS).toFixed(1)} commands per event (${dbFigures.commands.summary}), ` +
      `database processes CPU ${Number.isFinite(dbFigures.cpu) ? `${dbFigures.cpu.toFixed(1)} s` : 'n/a (external MONGODB_URI)'} for ${EVENTS} events`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
