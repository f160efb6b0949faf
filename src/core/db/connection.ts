import mongoose, { type Connection } from 'mongoose';
import { withTimeout } from '../async.js';

export interface DatabaseHandle {
  conn: Connection;
  /** True when the server answers a ping within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens a dedicated mongoose connection with a normal pool, the same against MongoDB and the
 * embedded database (whose front makes every command atomic across connections). Short
 * server-selection timeout so that a database outage turns webhooks into quick 5xx (LINE
 * redelivers) instead of hanging past LINE's 2 s.
 */
export async function connectDatabase(uri: string, opts: { monitorCommands?: boolean } = {}): Promise<DatabaseHandle> {
  const conn = mongoose.createConnection(uri, {
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: 1_000,
    heartbeatFrequencyMS: 2_000,
    maxPoolSize: 20,
    bufferCommands: false,
    monitorCommands: opts.monitorCommands ?? false,
  });
  await conn.asPromise();
  return {
    conn,
    async ping(timeoutMs = 1_000) {
      try {
        const db = conn.db;
        if (!db) return false;
        await withTimeout(db.admin().command({ ping: 1 }), timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await conn.close();
    },
  };
}
