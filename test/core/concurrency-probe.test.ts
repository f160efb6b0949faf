/**
 * The embedded database's front (tools/ferretdb/front.go) makes each command atomic across
 * connections and processes. These probes race several processes, each with a pool of 10
 * connections, on one document, and would fail on bare FerretDB 1.24 (measured there: 50 $inc
 * → 4–9, 4–10 findOneAndUpdate winners, 5–9 rev winners). Against MongoDB (MONGODB_URI) they hold too.
 */
import { spawn } from 'node:child_process';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../support/db.js';

const PROCESSES = 3;

/** One racing process: connects with a pool of 10, warms it, waits for "go", runs, prints JSON. */
const WORKER = `
  import mongoose from 'mongoose';
  const [uri, probe, count] = process.argv.slice(-3);
  const client = new mongoose.mongo.MongoClient(uri, { maxPoolSize: 10, minPoolSize: 10 });
  await client.connect();
  const c = client.db().collection('probe');
  await Promise.all(Array.from({ length: 10 }, () => c.findOne({ _id: 'warm' })));
  console.log('ready');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const n = Number(count);
  const runs = Array.from({ length: n }, (_, i) => {
    if (probe === 'inc') return c.updateOne({ _id: 'doc' }, { $inc: { n: 1 } }).then(() => 1);
    if (probe === 'claim')
      return c.findOneAndUpdate({ _id: 'doc', owner: null }, { $set: { owner: process.pid + ':' + i } }).then((d) => (d ? 1 : 0));
    return c.updateOne({ _id: 'doc', rev: 1 }, { $set: { rev: 2, by: process.pid + ':' + i } }).then((r) => r.modifiedCount);
  });
  const wins = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ wins }));
  await client.close();
`;

interface Racer {
  ready: Promise<void>;
  done: Promise<{ wins: number }>;
  go(): void;
}

function racer(uri: string, probe: string, count: number): Racer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER, uri, probe, String(count)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) markReady();
  });
  const done = new Promise<{ wins: number }>((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as { wins: number });
      else reject(new Error(`probe process exited ${code}:\n${out}\n${err}`));
    }),
  );
  done.catch(() => markReady());
  return { ready, done, go: () => child.stdin.end('go\n') };
}

/** Starts PROCESSES racers splitting `total` operations, releases them together, sums their wins. */
async function race(uri: string, probe: string, total: number): Promise<number[]> {
  const share = Array.from({ length: PROCESSES }, (_, i) => Math.floor(total / PROCESSES) + (i < total % PROCESSES ? 1 : 0));
  const racers = share.map((n) => racer(uri, probe, n));
  await Promise.all(racers.map((r) => r.ready));
  for (const r of racers) r.go();
  return (await Promise.all(racers.map((r) => r.done))).map((r) => r.wins);
}

describe('concurrency probes from several processes', () => {
  let db: FreshDatabase;
  let conn: Connection;

  beforeAll(async () => {
    db = await freshDatabase('concurrency probe');
    conn = await mongoose.createConnection(db.uri).asPromise();
  });

  afterAll(async () => {
    await conn?.close();
    await db?.drop();
  });

  const probe = () => conn.collection<{ _id: string; n?: number; owner?: string | null; rev?: number }>('probe');

  it('when three processes send 50 $inc to one document at once, then it ends at 50', async () => {
    await probe().insertOne({ _id: 'doc', n: 0 });
    await race(db.uri, 'inc', 50);
    expect((await probe().findOne({ _id: 'doc' }))?.n).toBe(50);
    await probe().deleteOne({ _id: 'doc' });
  }, 60_000);

  it('when three processes race 20 findOneAndUpdate claims of one unowned document, then exactly one wins', async () => {
    await probe().insertOne({ _id: 'doc', owner: null });
    const wins = await race(db.uri, 'claim', 20);
    expect(wins.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await probe().findOne({ _id: 'doc' }))?.owner).toMatch(/^\d+:\d+$/);
    await probe().deleteOne({ _id: 'doc' });
  }, 60_000);

  it('when three processes race 20 rev 1 → 2 updates of one document, then exactly one modifies it', async () => {
    await probe().insertOne({ _id: 'doc', rev: 1 });
    const wins = await race(db.uri, 'rev', 20);
    expect(wins.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await probe().findOne({ _id: 'doc' }))?.rev).toBe(2);
  }, 60_000);
});
