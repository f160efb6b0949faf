/**
 * The database side of the webhook benchmark (bench/webhook.ts): commands per event counted with
 * the driver's command monitoring, CPU seconds of the database processes, and the scale mode
 * (the same load with many existing users in the database).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type express from 'express';
import type { Connection } from 'mongoose';
import type { Config } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { createRuntime } from '../src/app/runtime.js';
import { createWebApp } from '../src/app/web.js';
import type { Result } from './webhook.js';

export interface CommandCount {
  total: number;
  /** The most frequent commands, e.g. "find 3.0, update 2.0, insert 1.0" per event. */
  summary: string;
}

/** Counts the commands this connection sends from now until stop() (needs monitorCommands). */
export function commandCounter(conn: Connection, perEventOf = Number(process.env.BENCH_EVENTS ?? 1000)): { stop(): CommandCount } {
  const client = conn.getClient();
  const counts = new Map<string, number>();
  // Client-observed time per command (queueing at the database included), by name.
  const ms = new Map<string, number>();
  const names = new Map<number, string>();
  const onStarted = (e: { commandName: string; requestId: number }) => {
    counts.set(e.commandName, (counts.get(e.commandName) ?? 0) + 1);
    names.set(e.requestId, e.commandName);
  };
  const onDone = (e: { requestId: number; duration: number }) => {
    const name = names.get(e.requestId);
    names.delete(e.requestId);
    if (name) ms.set(name, (ms.get(name) ?? 0) + e.duration);
  };
  client.on('commandStarted', onStarted);
  client.on('commandSucceeded', onDone);
  client.on('commandFailed', onDone);
  return {
    stop() {
      client.off('commandStarted', onStarted);
      client.off('commandSucceeded', onDone);
      client.off('commandFailed', onDone);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const summary = [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${(n / perEventOf).toFixed(1)} (mean ${((ms.get(name) ?? 0) / n).toFixed(0)} ms)`)
        .join(', ');
      return { total, summary: `per event: ${summary}` };
    },
  };
}

/**
 * CPU seconds (user + system, including reaped children such as PostgreSQL backends) of the
 * process `pid` and all its descendants, from /proc. NaN without a pid or without /proc.
 */
export function databaseCpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const ticksPerSecond = 100; // USER_HZ on Linux
  const stats = new Map<number, { ppid: number; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return NaN;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state ppid ... utime(14) stime cutime cstime
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const num = (i: number) => Number(rest[i - 3]);
      stats.set(Number(entry), { ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17) });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, s] of stats) {
      if (!wanted.has(p) && wanted.has(s.ppid)) {
        wanted.add(p);
        grew = true;
      }
    }
  }
  for (const p of wanted) ticks += stats.get(p)?.ticks ?? 0;
  return ticks / ticksPerSecond;
}

// ---------------------------------------------------------------------------------------------
// Scale mode

export interface ScaleOptions {
  config: Config;
  /** Server URI without a database (the embedded database's, or MONGODB_URI). */
  dbBaseUri: string;
  dbPid: number | undefined;
  echo: Result;
  run: (url: string) => Promise<Result>;
  listen: (app: express.Express) => Promise<{ server: Server; url: string }>;
}

interface ScalePoint {
  existing: number;
  result: Result;
  commandsPerEvent: number;
  cpu: number;
  seedSeconds: number;
}

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const USERS = Number(process.env.BENCH_USERS ?? 200);

/** `BENCH_SCALE_USERS` (comma-separated) overrides the existing-user counts. */
function scaleSteps(): number[] {
  const raw = process.env['BENCH_SCALE_USERS'];
  return raw ? raw.split(',').map((s) => Number(s.trim())) : [0, 10_000, 100_000];
}

export async function runScaleMode(opts: ScaleOptions): Promise<void> {
  const points: ScalePoint[] = [];
  for (const existing of scaleSteps()) {
    const mongoUri = withDatabase(opts.dbBaseUri, `bench_scale_${existing}`);
    const rt = await createRuntime({ config: opts.config, logger: createLogger('silent'), mongoUri, monitorCommands: true });
    try {
      await rt.db.conn.dropDatabase();
      const { ensureIndexes, createModels } = await import('../src/core/db/models.js');
      await ensureIndexes(createModels(rt.db.conn));
      const seedStarted = performance.now();
      await seedExistingUsers(rt.db.conn, existing);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      const web = createWebApp(rt);
      const ours = await opts.listen(web.app);
      const commands = commandCounter(rt.db.conn);
      const cpuBefore = databaseCpuSeconds(opts.dbPid);
      const result = await opts.run(ours.url);
      await rt.processor.idle();
      const cpu = databaseCpuSeconds(opts.dbPid) - cpuBefore;
      const counted = commands.stop();
      ours.server.close();
      points.push({ existing, result, commandsPerEvent: counted.total / EVENTS, cpu, seedSeconds });
      console.error(`scale: ${existing} existing users done (${result.eventsPerSec.toFixed(1)} events/s)`);
      await rt.db.conn.dropDatabase();
    } finally {
      await rt.close();
    }
  }
  printCurve(points, opts.echo);
}

function printCurve(points: ScalePoint[], echo: Result): void {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const base = points[0]?.result.eventsPerSec ?? NaN;
  console.log(
    `webhook benchmark, scale mode: ${EVENTS} events from ${USERS} active users, Node ${process.version}; ` +
      `sdk echo bot ${f(echo.eventsPerSec)} events/s in the same run`,
  );
  console.log('existing users (+ active)  seeded in s  events/s  reply p50 ms  reply p99 ms  commands/event  db CPU s  slowdown  errors');
  for (const p of points) {
    const r = p.result;
    console.log(
      `${`${p.existing} (+${USERS})`.padStart(24)}  ${f(p.seedSeconds).padStart(11)}  ${f(r.eventsPerSec).padStart(8)}  ` +
        `${f(r.reply.p50).padStart(12)}  ${f(r.reply.p99).padStart(12)}  ${f(p.commandsPerEvent).padStart(14)}  ` +
        `${f(p.cpu).padStart(8)}  ${f(base / r.eventsPerSec, 2).padStart(7)}x  ${String(r.errors).padStart(6)}`,
    );
  }
}

/**
 * What an existing user leaves in the database: a session, a producer record and a processed
 * event in the inbox ledger (the collections every event reads or writes).
 */
async function seedExistingUsers(conn: Connection, count: number): Promise<void> {
  const batch = 1_000;
  const now = new Date();
  const later = new Date(now.getTime() + 30 * 86_400_000);
  for (let start = 0; start < count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start) }, (_, i) => start + i);
    const userId = (i: number) => `Useed${i.toString(16).padStart(27, '0')}`;
    await Promise.all([
      conn.collection('sessions').insertMany(
        ids.map((i) => ({
          _id: userId(i) as never,
          lang: 'th',
          langChosen: true,
          reachable: true,
          flow: null,
          paused: {},
          data: { lastMenu: 'main' },
          lastEventAt: now,
          expiresAt: later,
          createdAt: now,
          updatedAt: now,
          rev: 5,
        })),
        { ordered: false },
      ),
      conn.collection('producers').insertMany(
        ids.map((i) => ({
          userId: userId(i),
          fullName: `ผู้ผลิต ${i}`,
          phone: `+6681${String(i).padStart(7, '0')}`,
          producerType: 'single_owner',
          address: {
            province: { code: String(10 + (i % 77)), nameTh: 'จังหวัด', nameEn: 'Province' },
            district: { code: String(1000 + (i % 900)), nameTh: 'อำเภอ', nameEn: 'District' },
            subdistrict: { code: String(100000 + (i % 7000)), nameTh: 'ตำบล', nameEn: 'Subdistrict' },
            postcode: '10200',
          },
          category: 'food',
          products: ['น้ำพริก'],
          shops: [],
          consents: { registration: true, notices: true, sharing: false, noticeVersion: '1' },
          marketplace: {},
          registeredAt: now,
          updatedAt: now,
        })),
        { ordered: false },
      ),
      conn.collection('inbox_events').insertMany(
        ids.map((i) => ({
          _id: `seed${i.toString(16).padStart(22, '0')}` as never,
          userKey: userId(i),
          type: 'message',
          mode: 'active',
          timestamp: now.getTime(),
          receivedAt: now,
          redelivery: false,
          status: 'done',
          attempts: 1,
          processedAt: now,
        })),
        { ordered: false },
      ),
    ]);
  }
}

function withDatabase(uri: string, dbName: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(uri);
  if (!m) throw new Error('bench: not a MongoDB connection string');
  return `${m[1]}/${dbName}${m[3] ?? ''}`;
}
