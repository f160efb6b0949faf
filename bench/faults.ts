/**
 * Fault mode of the webhook benchmark (`npm run bench:webhook -- --faults`): two web processes
 * on one database behind a LINE that answers 20% of message requests with 500 and 5% with 429;
 * one web process is killed mid-run (its sockets and database connection cut, nothing shut down
 * gracefully) and restarted later. LINE's side is played as LINE does it: a webhook that got no
 * 200 is delivered again (same webhookEventId, isRedelivery) to a live process. Prints lost and
 * duplicated answers (every event is answered with exactly one message) beside throughput.
 *
 * The kill happens inside this Node process (a process kill would also take the fake LINE and
 * the driver with it): what a killed process leaves behind — unacknowledged webhooks, claimed
 * leases, events stored but not handled, outbox items claimed — is the same.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { createRuntime, type Runtime } from '../src/app/runtime.js';
import { createWebApp } from '../src/app/web.js';
import type { FakeLine } from '../dev/fake-line/server.js';
import { sign } from '../src/webhook/signature.js';
import { benchTextEvent } from './text-event.js';

interface Proc {
  name: string;
  rt: Runtime;
  server: Server;
  url: string;
  alive: boolean;
}

async function startProc(name: string, config: Config, mongoUri: string): Promise<Proc> {
  const rt = await createRuntime({ config, logger: createLogger('silent'), mongoUri, outbox: { baseDelayMs: 200, pollMs: 250 } });
  const web = createWebApp(rt);
  const server = createServer(web.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  web.startSweeper();
  return { name, rt, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, alive: true };
}

/** Cuts a process off: no graceful stop, no lease released, its in-flight work fails. */
async function kill(p: Proc): Promise<void> {
  p.alive = false;
  p.server.closeAllConnections();
  p.server.close();
  void p.rt.processor.stop(); // stops taking new work; what is in flight dies on the cut connection
  void p.rt.drainer.stop();
  await p.rt.db.conn.close(true).catch(() => undefined);
}

export interface FaultResult {
  events: number;
  eventsPerSec: number;
  lost: number;
  duplicated: number;
  redeliveries: number;
  lineRequests: Record<string, number>;
  /** For users short of answers: what the database holds for them. */
  where: Record<string, unknown>;
}

export async function runFaultMode(opts: { fake: FakeLine; config: Config; mongoUri: string; events: number; users: number; concurrency: number }): Promise<FaultResult> {
  const { fake, events: EVENTS, users: USERS } = opts;
  const config = { ...opts.config, INBOX_SWEEP_SECONDS: 2, INBOX_LEASE_MS: 3_000, LINE_REQUEST_TIMEOUT_MS: 2_000 } as Config;
  fake.reset();
  for (const path of ['/v2/bot/message/reply', '/v2/bot/message/push']) {
    fake.fail({ path, status: 500, probability: 0.2, times: Infinity });
    fake.fail({ path, status: 429, headers: { 'retry-after': '1' }, probability: 0.05 / 0.8, times: Infinity });
  }
  const procs: Proc[] = [await startProc('web-1', config, opts.mongoUri), await startProc('web-2', config, opts.mongoUri)];
  const expected = new Map<string, number>();
  let next = 0;
  let redeliveries = 0;
  const started = performance.now();
  const live = () => procs.filter((p) => p.alive);
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= EVENTS) return;
      if (i === Math.floor(EVENTS * 0.4)) void kill(procs[0]!);
      if (i === Math.floor(EVENTS * 0.7)) procs.push(await startProc('web-1 (restarted)', config, opts.mongoUri));
      const userId = `U${(i % USERS).toString(16).padStart(32, 'f')}`;
      const event = benchTextEvent(fake, i, userId);
      expected.set(userId, (expected.get(userId) ?? 0) + 1);
      // LINE delivers until it gets a 200 (to whichever process the load balancer picks).
      for (let attempt = 0; attempt < 50; attempt++) {
        const targets = live();
        const target = targets[(i + attempt) % targets.length]!;
        const body = JSON.stringify({ destination: 'Ubench', events: [event] });
        const ok = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': sign(body, 'bench-secret') }, body })
          .then(async (r) => (await r.arrayBuffer(), r.status === 200))
          .catch(() => false);
        if (ok) break;
        redeliveries++;
        event.deliveryContext = { isRedelivery: true };
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const total = () => fake.sent().filter((m) => expected.has(m.userId)).length;
  // Wait for the answers to settle: all in, or nothing new for 20 s (leases and retries expire).
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() - stableSince < 20_000 && total() < EVENTS) {
    const n = total();
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const wall = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3_000)); // late duplicates would show up here
  let lost = 0;
  let duplicated = 0;
  const short: string[] = [];
  for (const [userId, n] of expected) {
    const got = fake.sent(userId).length;
    if (got < n) {
      lost += n - got;
      short.push(userId);
    }
    if (got > n) duplicated += got - n;
  }
  // Where the missing answers are (for the report): still queued, in the outbox, set aside.
  const m = live()[0]!.rt.models;
  const where = {
    pendingEvents: (await m.Session.find({ _id: { $in: short } }).lean()).reduce((n, s) => n + Number(s.inboxCount ?? 0), 0),
    failedEvents: await m.InboxEvent.countDocuments({ userKey: { $in: short } }),
    outbox: Object.fromEntries(
      await Promise.all((['pending', 'sent', 'failed', 'unknown'] as const).map(async (st) => [st, await m.Outbox.countDocuments({ to: { $in: short }, status: st })])),
    ) as Record<string, number>,
    applied: (await m.Session.find({ _id: { $in: short } }).lean()).reduce((n, s) => n + ((s.applied as string[] | undefined)?.length ?? 0), 0),
    expected: short.reduce((n, u) => n + (expected.get(u) ?? 0), 0),
  };
  const lineRequests: Record<string, number> = {};

  for (const r of fake.requests) lineRequests[`${r.path.replace('/v2/bot/message/', '')} ${r.status}`] = (lineRequests[`${r.path.replace('/v2/bot/message/', '')} ${r.status}`] ?? 0) + 1;
  for (const p of procs.filter((x) => x.alive)) {
    p.server.close();
    await p.rt.close().catch(() => undefined);
  }
  fake.reset();
  return { events: EVENTS, eventsPerSec: (EVENTS - lost) / wall, lost, duplicated, redeliveries, lineRequests, where };
}
