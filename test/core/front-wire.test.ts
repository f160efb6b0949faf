/**
 * The embedded database's front (tools/ferretdb/front.go) at the wire level: raw OP_MSG frames
 * on TCP sockets, to pin the parts no driver exercises on its own — clients whose request ids
 * collide, a checksummed message whose header the front rewrites, and a request that wants no
 * reply (moreToCome).
 */
import net from 'node:net';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../support/db.js';

const { BSON } = mongoose.mongo;
const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;

const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32c(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function opMsg(requestId: number, doc: Record<string, unknown>, flags = 0): Buffer {
  const body = Buffer.from(BSON.serialize(doc));
  const withSum = flags & CHECKSUM_PRESENT ? 4 : 0;
  const msg = Buffer.alloc(16 + 4 + 1 + body.length + withSum);
  msg.writeInt32LE(msg.length, 0);
  msg.writeInt32LE(requestId, 4);
  msg.writeInt32LE(0, 8);
  msg.writeInt32LE(OP_MSG, 12);
  msg.writeUInt32LE(flags, 16);
  msg.writeUInt8(0, 20);
  body.copy(msg, 21);
  if (withSum) msg.writeUInt32LE(crc32c(msg.subarray(0, msg.length - 4)), msg.length - 4);
  return msg;
}

interface Reply {
  responseTo: number;
  flags: number;
  doc: Record<string, unknown>;
}

/** A raw client: send frames, read replies one at a time. */
async function rawClient(uri: string) {
  const url = new URL(uri);
  const sock = net.connect({ host: url.hostname, port: Number(url.port) });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  let buf = Buffer.alloc(0);
  const waiting: Array<(r: Reply) => void> = [];
  const ready: Reply[] = [];
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
      const msg = buf.subarray(0, buf.readInt32LE(0));
      buf = buf.subarray(msg.length);
      const reply = { responseTo: msg.readInt32LE(8), flags: msg.readUInt32LE(16), doc: BSON.deserialize(msg.subarray(21)) };
      const w = waiting.shift();
      if (w) w(reply);
      else ready.push(reply);
    }
  });
  return {
    send: (m: Buffer) => sock.write(m),
    next: () => new Promise<Reply>((resolve) => (ready.length ? resolve(ready.shift()!) : waiting.push(resolve))),
    pending: () => ready.length,
    close: () => sock.destroy(),
  };
}

describe('the embedded database front on the wire', () => {
  let db: FreshDatabase;
  let ferret = false;

  beforeAll(async () => {
    db = await freshDatabase('front wire');
    const client = new mongoose.mongo.MongoClient(inject('mongoUri'));
    try {
      ferret = 'ferretdbVersion' in (await client.db('admin').command({ buildInfo: 1 }));
    } finally {
      await client.close();
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('when two clients send requests with the same request id at once, then each gets its own answer under its own id', async () => {
    const a = await rawClient(inject('mongoUri'));
    const b = await rawClient(inject('mongoUri'));
    try {
      a.send(opMsg(7, { insert: 'wire', documents: [{ _id: 'a' }], $db: db.dbName }));
      b.send(opMsg(7, { insert: 'wire', documents: [{ _id: 'b' }], $db: db.dbName }));
      const [ra, rb] = await Promise.all([a.next(), b.next()]);
      expect([ra.responseTo, rb.responseTo]).toEqual([7, 7]);
      expect([ra.doc['n'], rb.doc['n']]).toEqual([1, 1]);
      a.send(opMsg(8, { count: 'wire', $db: db.dbName }));
      expect((await a.next()).doc['n']).toBe(2);
    } finally {
      a.close();
      b.close();
    }
  });

  it('when a message carries a checksum, then it is accepted (the front re-signs what it rewrites)', async () => {
    const a = await rawClient(inject('mongoUri'));
    try {
      a.send(opMsg(41, { ping: 1, $db: 'admin' }, CHECKSUM_PRESENT));
      const reply = await a.next();
      expect(reply.responseTo).toBe(41);
      expect(reply.doc['ok']).toBe(1);
    } finally {
      a.close();
    }
  });

  it('when a request says moreToCome (no reply wanted), then no reply reaches the client and the write is done', async () => {
    const a = await rawClient(inject('mongoUri'));
    try {
      a.send(opMsg(50, { insert: 'wire_w0', documents: [{ _id: 'x' }], writeConcern: { w: 0 }, $db: db.dbName }, MORE_TO_COME));
      a.send(opMsg(51, { count: 'wire_w0', $db: db.dbName }));
      const reply = await a.next();
      expect(reply.responseTo).toBe(51);
      expect(reply.doc['n']).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(a.pending()).toBe(0);
    } finally {
      a.close();
    }
  });

  it('when the server is FerretDB, then a later hello with client metadata on a shared upstream is accepted', async () => {
    const a = await rawClient(inject('mongoUri'));
    try {
      const metadata = { driver: { name: 'raw', version: '1' }, os: { type: 'Linux' } };
      a.send(opMsg(60, { hello: 1, client: metadata, $db: 'admin' }));
      const reply = await a.next();
      expect(reply.doc['ok']).toBe(1);
      if (ferret) expect(reply.doc['maxWireVersion']).toBeGreaterThan(0);
    } finally {
      a.close();
    }
  });
});
