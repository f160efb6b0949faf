/**
 * Embedded database (dev/embedded-db.ts) and the per-file test databases (test/support/db.ts).
 *
 * ── FerretDB 1.24.2 (PostgreSQL 17 backend, behind tools/ferretdb's command-serialising front)
 *    compatibility probe, through mongoose 9.12 / mongodb driver 7.8 ──
 * The "compatibility probe" tests below pin this down; when the server is FerretDB they assert exactly
 * this, so a FerretDB upgrade that changes any of it shows up as a failing test.
 *
 * Works like MongoDB:
 *   - unique index (single and compound): duplicate insert rejects with code 11000
 *   - findOneAndUpdate + upsert + $setOnInsert (insert sets the field, later updates keep it);
 *     returnDocument:'after'; sort option on findOneAndUpdate
 *   - findOneAndUpdate with filter { n: { $lt: X } } + $inc + returnDocument:'after'
 *     (returns the updated doc; returns null when the filter no longer matches)
 *   - updateOne with a version filter + $inc (optimistic concurrency) - single connection, see below
 *   - bulkWrite ordered:false with duplicates: the others are inserted; throws MongoBulkWriteError
 *     code 11000 whose writeErrors give the failed indexes; result.insertedCount / insertedIds correct
 *   - insertMany ordered:false with duplicates: same (err.writeErrors[].index, err.insertedDocs)
 *   - updateMany, deleteMany, $in, $or, $ne, $exists, regex, $elemMatch, array equality,
 *     sort / skip / limit, countDocuments, distinct
 *   - update operators $set/$unset (dotted paths), $inc, $max, $currentDate, $push (plain and $each),
 *     $pull (plain value), $addToSet (plain and $each), $pop
 *   - aggregate with $match, $group (_id by field, $sum), $sort, $count
 *     (implemented stages: $match $group $sort $count $project $set $addFields $unset $skip $limit
 *     $unwind $collStats)
 *   - renameCollection
 *
 * Differs from MongoDB - do NOT rely on these:
 *   - bare FerretDB is NOT ATOMIC ACROSS CONNECTIONS: concurrent updates of one document from
 *     different connections lose writes (50 parallel $inc with a pool of 10 -> 4..9; 20 parallel
 *     findOneAndUpdate claims -> 4..10 winners; 20 rev compare-and-sets -> 5..9). The front in
 *     tools/ferretdb relays every connection's commands over one upstream connection, one at a time,
 *     which makes each command atomic: the tests below and test/core/concurrency-probe.test.ts
 *     (several processes) hold that.
 *   - a unique index does not treat a missing field as null: two docs without the field are accepted
 *     (MongoDB: 11000). `sparse: true` is accepted.
 *   - $push modifiers $slice and $position are silently IGNORED (element appended at the end, array
 *     not trimmed).
 *   - $pull with a condition ({ $pull: { tags: { $in: [...] } } }) silently does NOTHING.
 *   - no transactions (session.withTransaction -> error 9 'unknown field "autocommit"').
 *   - no TTL indexes (expireAfterSeconds -> 238 NotImplemented), no partial indexes
 *     (partialFilterExpression -> 238).
 *   - no change streams: collection.watch() -> 238 '$changeStream is not implemented yet'.
 *   - aggregation: $lookup, $facet missing; $group accumulators other than $sum/$count ($max, $first,
 *     $push, $avg...) -> 238; expression operators ($toUpper, $dateToString, $gt in $expr...) -> 238;
 *     so `$expr` queries fail too.
 *   - pipeline-style updates (updateOne(filter, [{ $set }])) -> error 14.
 *   - concurrent upserts on a unique key: 9 of 10 succeed, 1 rejects with 11000 (retry it).
 *   - the launcher runs FerretDB at --log-level error (error responses are not logged).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../dev/embedded-db.js';
import { databaseName, freshDatabase, withDatabase, type FreshDatabase } from '../support/db.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = path.join(projectRoot, '.cache');

interface MongoLikeError {
  code?: number;
  message: string;
  writeErrors?: Array<{ index: number; code: number }>;
  insertedDocs?: Array<{ k?: string }>;
  result?: { insertedCount: number };
}

async function rejection(p: Promise<unknown>): Promise<MongoLikeError> {
  try {
    await p;
  } catch (err) {
    return err as MongoLikeError;
  }
  throw new Error('expected the operation to fail, it succeeded');
}

function writeErrorIndexes(err: MongoLikeError): number[] {
  const list = err.writeErrors;
  return (Array.isArray(list) ? list : list ? [list] : []).map((w) => w.index).sort();
}

async function isFerretDB(conn: Connection): Promise<boolean> {
  const info = await conn.db!.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info || 'ferretdbFeatures' in info;
}

function portOf(uri: string): number {
  return Number(new URL(uri).port);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function waitUntilClosed(port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!(await canConnect(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('test database helpers', () => {
  it('when a label is turned into a database name, then it is unique, short and only [a-z0-9_]', () => {
    const a = databaseName('Sessions: Über-long label '.repeat(10));
    const b = databaseName('Sessions: Über-long label '.repeat(10));
    expect(a).not.toBe(b);
    for (const name of [a, b, databaseName(''), databaseName('x')]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9_]+$/);
    }
  });

  it('when the base URI has no path, a path, credentials or a query string, then the database is put in the path', () => {
    expect(withDatabase('mongodb://127.0.0.1:1234', 'd1')).toBe('mongodb://127.0.0.1:1234/d1');
    expect(withDatabase('mongodb://127.0.0.1:1234/', 'd1')).toBe('mongodb://127.0.0.1:1234/d1');
    expect(withDatabase('mongodb://h1:1,h2:2/old?replicaSet=rs', 'd1')).toBe('mongodb://h1:1,h2:2/d1?replicaSet=rs');
    expect(withDatabase('mongodb+srv://u:p@cluster.example.net/?retryWrites=true&w=majority', 'd1')).toBe(
      'mongodb+srv://u:p@cluster.example.net/d1?retryWrites=true&w=majority',
    );
    // The old database was the auth source; keep authenticating there.
    expect(withDatabase('mongodb://u:p@h/app', 'd1')).toBe('mongodb://u:p@h/d1?authSource=app');
    expect(withDatabase('mongodb://u:p@h/app?authSource=admin', 'd1')).toBe('mongodb://u:p@h/d1?authSource=admin');
    expect(() => withDatabase('http://nope', 'd1')).toThrow(/not a MongoDB connection string/);
  });
});

describe('the global setup database', () => {
  let db: FreshDatabase;
  let conn: Connection;

  const itemSchema = new mongoose.Schema({
    key: { type: String, required: true, unique: true },
    n: { type: Number, default: 0 },
    rev: { type: Number, default: 1 },
    createdBy: String,
  });

  beforeAll(async () => {
    db = await freshDatabase('embedded basics');
    conn = await mongoose.createConnection(db.uri).asPromise();
  });

  afterAll(async () => {
    await conn?.close();
    await db?.drop();
  });

  it('when connecting with mongoose, then the connection uses the fresh database', () => {
    expect(conn.db!.databaseName).toBe(db.dbName);
  });

  it('when a duplicate is inserted into a unique index, then it is rejected with code 11000', async () => {
    const Item = conn.model('Item', itemSchema);
    await Item.init();
    await Item.create({ key: 'a' });
    const err = await rejection(Item.create({ key: 'a' }));
    expect(err.code).toBe(11000);
    expect(await Item.countDocuments({ key: 'a' })).toBe(1);
  });

  it('when findOneAndUpdate upserts, then the first call inserts and the second updates', async () => {
    const Item = conn.model('Item', itemSchema);
    const first = await Item.findOneAndUpdate(
      { key: 'u' },
      { $set: { n: 1 }, $setOnInsert: { createdBy: 'first' } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    const second = await Item.findOneAndUpdate(
      { key: 'u' },
      { $set: { n: 2 }, $setOnInsert: { createdBy: 'second' } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    expect(first).toMatchObject({ key: 'u', n: 1, createdBy: 'first' });
    expect(second).toMatchObject({ key: 'u', n: 2, createdBy: 'first' });
    expect(String(second!._id)).toBe(String(first!._id));
  });

  it('when documents are sorted and counted, then order and counts are right', async () => {
    const Item = conn.model('Item', itemSchema);
    await Item.insertMany([
      { key: 's3', n: 30 },
      { key: 's1', n: 10 },
      { key: 's2', n: 20 },
    ]);
    const asc = await Item.find({ key: /^s/ }).sort({ n: 1 }).lean();
    const desc = await Item.find({ key: /^s/ }).sort({ n: -1 }).limit(2).lean();
    expect(asc.map((d) => d.key)).toEqual(['s1', 's2', 's3']);
    expect(desc.map((d) => d.key)).toEqual(['s3', 's2']);
    expect(await Item.countDocuments({ n: { $gte: 20 } })).toBe(2);
  });

  it('when an $inc update carries a version filter, then only the update with the current version applies', async () => {
    const Item = conn.model('Item', itemSchema);
    await Item.create({ key: 'v', n: 0, rev: 1 });
    const ok = await Item.updateOne({ key: 'v', rev: 1 }, { $inc: { n: 5, rev: 1 } });
    const stale = await Item.updateOne({ key: 'v', rev: 1 }, { $inc: { n: 5, rev: 1 } });
    expect(ok.modifiedCount).toBe(1);
    expect(stale.matchedCount).toBe(0);
    expect(await Item.findOne({ key: 'v' }).lean()).toMatchObject({ n: 5, rev: 2 });
  });

  it('when two fresh databases are used, then neither sees the other one’s data', async () => {
    const other = await freshDatabase('embedded basics');
    expect(other.dbName).not.toBe(db.dbName);
    const otherConn = await mongoose.createConnection(other.uri).asPromise();
    try {
      await conn.collection('shared_name').insertOne({ from: 'first' });
      await otherConn.collection('shared_name').insertOne({ from: 'second' });
      expect(await conn.collection('shared_name').find({}, { projection: { _id: 0 } }).toArray()).toEqual([
        { from: 'first' },
      ]);
      expect(await otherConn.collection('shared_name').find({}, { projection: { _id: 0 } }).toArray()).toEqual([
        { from: 'second' },
      ]);
    } finally {
      await otherConn.close();
      await other.drop();
    }
    const names = (await conn.db!.admin().listDatabases()).databases.map((d) => d.name);
    expect(names).not.toContain(other.dbName);
  });
});

describe('startEmbeddedDatabase', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'otopbot-embedded-test-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // the server may still be writing
  });

  it(
    'when the database is stopped and started again on the same dataDir, then the data is still there',
    async () => {
      const logs: string[] = [];
      const first = await startEmbeddedDatabase({ dataDir, cacheDir, projectRoot, onLog: (m) => logs.push(m) });
      try {
        expect(first.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/);
        expect(logs.at(-1)).toMatch(/^embedded database: .* at mongodb:\/\/127\.0\.0\.1:\d+, data in /);
        const c = await mongoose.createConnection(withDatabase(first.uri, 'persist')).asPromise();
        await c.collection('things').insertOne({ _id: 'kept' as never, v: 42 });
        await c.close();
      } finally {
        await first.stop();
      }
      expect(await waitUntilClosed(portOf(first.uri), 5_000)).toBe(true);
      await first.stop(); // a second stop() is harmless

      const second = await startEmbeddedDatabase({ dataDir, cacheDir, projectRoot });
      try {
        expect(second.kind).toBe(first.kind);
        const c = await mongoose.createConnection(withDatabase(second.uri, 'persist')).asPromise();
        expect(await c.collection('things').findOne({ _id: 'kept' as never })).toEqual({ _id: 'kept', v: 42 });
        await c.close();
      } finally {
        await second.stop();
      }
    },
    360_000,
  );

  it('when a port is given, then the database listens on it', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const db = await startEmbeddedDatabase({ dataDir, cacheDir, projectRoot, port });
    try {
      expect(db.uri).toBe(`mongodb://127.0.0.1:${port}`);
    } finally {
      await db.stop();
    }
  }, 60_000);

  it('when the given port is taken, then starting fails with the server’s own error output', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startEmbeddedDatabase({ dataDir, cacheDir, projectRoot, port })).rejects.toThrow(
        /embedded database: .*(exited|did not).*\n[\s\S]*(address already in use|in use)/i,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  }, 60_000);

  for (const how of ['exits without calling stop()', 'is sent SIGTERM'] as const) {
    it(`when the parent process ${how}, then the database process goes away too`, async () => {
      const script = `
        const { startEmbeddedDatabase } = await import(${JSON.stringify(path.join(projectRoot, 'dev/embedded-db.ts'))});
        const db = await startEmbeddedDatabase(${JSON.stringify({ dataDir: path.join(dataDir, how.replace(/\W+/g, '-')), cacheDir, projectRoot })});
        console.log('URI ' + db.uri);
        ${how === 'is sent SIGTERM' ? 'setInterval(() => {}, 1000);' : 'process.exit(0);'}
      `;
      // Node 24 strips the types of embedded.ts itself (it only imports node: builtins and mongoose).
      const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let errOut = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while (!/URI (\S+)/.test(out) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const uri = /URI (\S+)/.exec(out)?.[1];
      expect(uri, `child output:\n${out}\n${errOut}`).toBeDefined();
      const port = portOf(uri!);
      if (how === 'is sent SIGTERM') {
        expect(await canConnect(port)).toBe(true);
        child.kill('SIGTERM');
      }
      await exited;
      expect(await waitUntilClosed(port, 10_000)).toBe(true);
    }, 60_000);
  }
});

describe('compatibility probe', () => {
  let db: FreshDatabase;
  let conn: Connection;
  let ferret: boolean;

  const probeSchema = new mongoose.Schema(
    {
      k: { type: String, unique: true },
      n: Number,
      a: String,
      b: Number,
      tags: [String],
      created: String,
    },
    { autoIndex: true },
  );
  probeSchema.index({ a: 1, b: 1 }, { unique: true });

  beforeAll(async () => {
    db = await freshDatabase('compat probe');
    conn = await mongoose.createConnection(db.uri).asPromise();
    ferret = await isFerretDB(conn);
    await conn.model('Probe', probeSchema).init();
  });

  afterAll(async () => {
    await conn?.close();
    await db?.drop();
  });

  const Probe = () => conn.model('Probe', probeSchema);

  it('when findOneAndUpdate upserts with $setOnInsert, then the insert-only field is set once', async () => {
    const a = await Probe().findOneAndUpdate(
      { k: 'x' },
      { $setOnInsert: { created: 'first' }, $set: { n: 1 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    const b = await Probe().findOneAndUpdate(
      { k: 'x' },
      { $setOnInsert: { created: 'second' }, $set: { n: 2 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    expect([a?.created, a?.n, b?.created, b?.n]).toEqual(['first', 1, 'first', 2]);
  });

  it('when bulkWrite ordered:false meets a duplicate, then the rest is inserted and the failed index reported', async () => {
    const err = await rejection(
      Probe().bulkWrite(
        [
          { insertOne: { document: { k: 'b1' } } },
          { insertOne: { document: { k: 'x' } } },
          { insertOne: { document: { k: 'b2' } } },
        ],
        { ordered: false },
      ),
    );
    expect(err.code).toBe(11000);
    expect(writeErrorIndexes(err)).toEqual([1]);
    expect(err.result?.insertedCount).toBe(2);
    expect(await Probe().countDocuments({ k: { $in: ['b1', 'b2'] } })).toBe(2);
  });

  it('when insertMany ordered:false meets duplicates, then the rest is inserted and the failed indexes reported', async () => {
    const err = await rejection(
      Probe().insertMany([{ k: 'i1' }, { k: 'x' }, { k: 'i2' }, { k: 'i1' }], { ordered: false }),
    );
    expect(err.code).toBe(11000);
    expect(writeErrorIndexes(err)).toEqual([1, 3]);
    expect(err.insertedDocs?.map((d) => d.k).sort()).toEqual(['i1', 'i2']);
    expect(await Probe().countDocuments({ k: { $in: ['i1', 'i2'] } })).toBe(2);
  });

  it('when updateMany runs with an $in filter, then all matches are updated', async () => {
    const res = await Probe().updateMany({ k: { $in: ['b1', 'b2', 'nope'] } }, { $set: { n: 5 } });
    expect(res.matchedCount).toBe(2);
    expect(res.modifiedCount).toBe(2);
    expect((await Probe().find({ n: 5 }).lean()).map((d) => d.k).sort()).toEqual(['b1', 'b2']);
  });

  it('when a compound unique index is violated, then the insert is rejected with 11000', async () => {
    await Probe().create({ k: 'cu1', a: 'A', b: 1 });
    await Probe().create({ k: 'cu2', a: 'A', b: 2 });
    const err = await rejection(Probe().create({ k: 'cu3', a: 'A', b: 1 }));
    expect(err.code).toBe(11000);
  });

  it('when aggregating with $match/$group/$sort/$count, then the results are right', async () => {
    const groups = await Probe().aggregate<{ _id: number; c: number }>([
      { $match: { n: { $gte: 1 } } },
      { $group: { _id: '$n', c: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ]);
    expect(groups).toEqual([
      { _id: 2, c: 1 },
      { _id: 5, c: 2 },
    ]);
    expect(await Probe().aggregate([{ $match: { n: 5 } }, { $count: 'total' }])).toEqual([{ total: 2 }]);
  });

  it('when aggregating with $max/$lookup/expression operators, then FerretDB says NotImplemented', async () => {
    const attempts = [
      [{ $group: { _id: null, m: { $max: '$n' } } }],
      [{ $lookup: { from: 'other', localField: 'k', foreignField: 'k', as: 'o' } }],
      [{ $project: { up: { $toUpper: '$k' } } }],
      [{ $facet: { all: [{ $match: {} }] } }],
    ];
    for (const pipeline of attempts) {
      const result = await Probe()
        .aggregate(pipeline)
        .then(() => 'ok')
        .catch((e: MongoLikeError) => e.code);
      if (ferret) expect(result, JSON.stringify(pipeline)).toBe(238);
      else expect(result, JSON.stringify(pipeline)).toBe('ok');
    }
  });

  it('when distinct is asked for, then the distinct values come back', async () => {
    expect((await Probe().distinct('n')).sort()).toEqual([2, 5]);
  });

  it('when $push/$pull/$addToSet are used with plain values, then arrays change as in MongoDB', async () => {
    await Probe().updateOne({ k: 'x' }, { $push: { tags: 'a' } });
    await Probe().updateOne({ k: 'x' }, { $push: { tags: { $each: ['b', 'c'] } } });
    await Probe().updateOne({ k: 'x' }, { $addToSet: { tags: 'a' } });
    await Probe().updateOne({ k: 'x' }, { $addToSet: { tags: { $each: ['c', 'd'] } } });
    await Probe().updateOne({ k: 'x' }, { $pull: { tags: 'b' } });
    expect((await Probe().findOne({ k: 'x' }).lean())?.tags).toEqual(['a', 'c', 'd']);
  });

  it('when $push uses $slice/$position or $pull uses a condition, then FerretDB silently ignores it', async () => {
    const c = conn.collection<{ _id: number; t: string[] }>('arrays');
    await c.insertOne({ _id: 1, t: ['a', 'b', 'c'] });
    await c.updateOne({ _id: 1 }, { $push: { t: { $each: ['d'], $slice: -2 } } });
    const afterSlice = (await c.findOne({ _id: 1 }))?.t;
    await c.updateOne({ _id: 1 }, { $push: { t: { $each: ['z'], $position: 0 } } });
    const afterPosition = (await c.findOne({ _id: 1 }))?.t;
    await c.updateOne({ _id: 1 }, { $pull: { t: { $in: ['z', 'a'] } } });
    const afterPull = (await c.findOne({ _id: 1 }))?.t;
    if (ferret) {
      expect(afterSlice).toEqual(['a', 'b', 'c', 'd']);
      expect(afterPosition).toEqual(['a', 'b', 'c', 'd', 'z']);
      expect(afterPull).toEqual(['a', 'b', 'c', 'd', 'z']);
    } else {
      expect(afterSlice).toEqual(['c', 'd']);
      expect(afterPosition).toEqual(['z', 'c', 'd']);
      expect(afterPull).toEqual(['c', 'd']);
    }
  });

  it('when findOneAndUpdate filters on a numeric $lt with returnDocument after, then it updates while the filter matches', async () => {
    await Probe().create({ k: 'lt', n: 3 });
    const a = await Probe().findOneAndUpdate({ k: 'lt', n: { $lt: 5 } }, { $inc: { n: 1 } }, { returnDocument: 'after' }).lean();
    const b = await Probe().findOneAndUpdate({ k: 'lt', n: { $lt: 4 } }, { $inc: { n: 1 } }, { returnDocument: 'after' }).lean();
    expect(a?.n).toBe(4);
    expect(b).toBeNull();
  });

  it('when collection.watch is used, then FerretDB rejects it (no change streams)', async () => {
    const stream = Probe().collection.watch();
    stream.on('error', () => {});
    const outcome = await Promise.race([
      stream.tryNext().then(
        () => 'ok',
        (e: MongoLikeError) => e.code,
      ),
      new Promise((r) => setTimeout(() => r('timeout'), 3_000)),
    ]);
    await stream.close().catch(() => {});
    if (ferret) expect(outcome).toBe(238);
  });

  it('when transactions, TTL or partial indexes are used, then FerretDB rejects them', async () => {
    const ttl = await conn
      .collection('ttl')
      .createIndex({ at: 1 }, { expireAfterSeconds: 60 })
      .then(() => 'ok', (e: MongoLikeError) => e.code);
    const partial = await conn
      .collection('partial')
      .createIndex({ at: 1 }, { unique: true, partialFilterExpression: { at: { $exists: true } } })
      .then(() => 'ok', (e: MongoLikeError) => e.code);
    const session = await conn.startSession();
    const tx = await session
      .withTransaction(async () => {
        await conn.collection('tx').insertOne({ a: 1 }, { session });
      })
      .then(() => 'ok', (e: MongoLikeError) => e.code ?? e.message);
    await session.endSession();
    if (ferret) {
      expect(ttl).toBe(238);
      expect(partial).toBe(238);
      expect(tx).not.toBe('ok');
    } else {
      expect(ttl).toBe('ok');
      expect(partial).toBe('ok');
    }
  });

  it('when two documents lack a uniquely indexed field, then FerretDB accepts both (MongoDB: 11000)', async () => {
    const c = conn.collection('unique_missing');
    await c.createIndex({ u: 1 }, { unique: true });
    await c.insertOne({ a: 1 });
    const second = await c.insertOne({ a: 2 }).then(() => 'ok', (e: MongoLikeError) => e.code);
    expect(second).toBe(ferret ? 'ok' : 11000);
  });

  it('when one connection sends concurrent updates to one document, then none is lost', async () => {
    const single = await mongoose.createConnection(db.uri, { maxPoolSize: 1 }).asPromise();
    try {
      const c = single.collection<{ _id: string; n: number; rev: number }>('counter_single');
      await c.insertOne({ _id: 'c', n: 0, rev: 1 });
      await Promise.all(Array.from({ length: 30 }, () => c.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
      expect((await c.findOne({ _id: 'c' }))?.n).toBe(30);
      const cas = await Promise.all(
        Array.from({ length: 10 }, () => c.updateOne({ _id: 'c', rev: 1 }, { $inc: { rev: 1 } })),
      );
      expect(cas.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
    } finally {
      await single.close();
    }
  });

  it('when many connections send concurrent updates to one document, then none is lost (the front serialises them)', async () => {
    const pooled = await mongoose.createConnection(db.uri, { maxPoolSize: 20 }).asPromise();
    try {
      const c = pooled.collection<{ _id: string; n: number }>('counter_pooled');
      await c.insertOne({ _id: 'c', n: 0 });
      await Promise.all(Array.from({ length: 50 }, () => c.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
      const n = (await c.findOne({ _id: 'c' }))?.n;
      // Bare FerretDB 1.24.2 loses most of them (4-9 of 50 measured).
      expect(n).toBe(50);
    } finally {
      await pooled.close();
    }
  });
});
