import mongoose, { type Connection } from 'mongoose';
import { withTimeout } from '../async.js';

export interface DatabaseHandle {
  conn: Connection;
  /**
   * The connection webhook ingestion writes on. Against FerretDB (one-connection pool) it is a
   * second connection, so acknowledging LINE never queues behind event processing; inserts of
   * new documents are safe across connections there. Against MongoDB it is `conn`.
   */
  ingest: Connection;
  /** 'ferretdb' when the server is FerretDB (embedded/dev), else 'mongodb'. */
  server: 'mongodb' | 'ferretdb';
  /** True when the server answers a ping within the timeout. */
  ping(timeoutMs?: number, on?: 'main' | 'ingest'): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Asks the server what it is. FerretDB 1.x does not apply concurrent updates to one document
 * atomically across connections (lost $inc, two winners of a compare-and-set), so against it
 * the pool is a single connection, which serialises this process's operations.
 */
async function detectServer(uri: string): Promise<'mongodb' | 'ferretdb'> {
  const client = new mongoose.mongo.MongoClient(uri, { maxPoolSize: 1, serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return 'ferretdbVersion' in info ? 'ferretdb' : 'mongodb';
  } finally {
    await client.close();
  }
}

/**
 * Opens a dedicated mongoose connection. Short server-selection timeout so that a database
 * outage turns webhooks into quick 5xx (LINE redelivers) instead of hanging past LINE's 2 s.
 */
export async function connectDatabase(uri: string): Promise<DatabaseHandle> {
  const server = await detectServer(uri);
  const open = () =>
    mongoose.createConnection(uri, {
      autoIndex: false,
      autoCreate: false,
      serverSelectionTimeoutMS: 1_000,
      heartbeatFrequencyMS: 2_000,
      maxPoolSize: server === 'ferretdb' ? 1 : 20,
      bufferCommands: false,
    });
  const conn = open();
  await conn.asPromise();
  const ingest = server === 'ferretdb' ? open() : conn;
  await ingest.asPromise();
  return {
    conn,
    ingest,
    server,
    async ping(timeoutMs = 1_000, on: 'main' | 'ingest' = 'main') {
      try {
        const db = (on === 'ingest' ? ingest : conn).db;
        if (!db) return false;
        await withTimeout(db.admin().command({ ping: 1 }), timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (ingest !== conn) await ingest.close();
      await conn.close();
    },
  };
}
