/**
 * One database per test file on the server provided by test/support/global-setup.ts.
 *
 *   const db = await freshDatabase('sessions');
 *   const conn = await mongoose.createConnection(db.uri).asPromise();
 *   afterAll(async () => { await conn.close(); await db.drop(); });
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { inject } from 'vitest';
// Brings in the `ProvidedContext.mongoUri` typing declared next to the global setup.
import type {} from './global-setup.js';

export interface FreshDatabase {
  /** Connection string naming the database (credentials and query options of the base URI kept). */
  uri: string;
  dbName: string;
  /** Drops the database. Safe to call more than once. */
  drop(): Promise<void>;
}

const MAX_DB_NAME = 63;

export async function freshDatabase(label: string): Promise<FreshDatabase> {
  const base = inject('mongoUri');
  if (!base) throw new Error('freshDatabase: no mongoUri provided; is test/support/global-setup.ts the globalSetup?');
  const dbName = databaseName(label);
  const uri = withDatabase(base, dbName);
  return {
    uri,
    dbName,
    drop: async () => {
      const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
      try {
        await client.connect();
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/** `t_<label>_<random>`: only [a-z0-9_], at most 63 characters. */
export function databaseName(label: string): string {
  const suffix = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const clean =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'db';
  const room = MAX_DB_NAME - 't__'.length - suffix.length;
  return `t_${clean.slice(0, room).replace(/_+$/, '')}_${suffix}`;
}

/**
 * Puts `dbName` into the path of a MongoDB connection string, replacing any database already
 * there and keeping credentials, hosts (comma-separated lists, mongodb+srv) and query options.
 * When the base URI named a database but no authSource, that database was the auth source, so
 * it is kept as `authSource` to leave authentication unchanged.
 */
export function withDatabase(baseUri: string, dbName: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/)([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(baseUri);
  if (!m) throw new Error(`freshDatabase: not a MongoDB connection string: ${redact(baseUri)}`);
  const [, scheme, authority, pathPart, query] = m;
  // Keep the query string verbatim (values such as authMechanismProperties must not be re-encoded).
  let qs = (query ?? '').replace(/^\?/, '');
  const oldDb = decodeURIComponent((pathPart ?? '').replace(/^\//, ''));
  const hasAuthSource = /(^|&)authSource=/i.test(qs);
  if (oldDb && authority?.includes('@') && !hasAuthSource) {
    qs = [qs, `authSource=${encodeURIComponent(oldDb)}`].filter(Boolean).join('&');
  }
  return `${scheme}${authority}/${encodeURIComponent(dbName)}${qs ? `?${qs}` : ''}`;
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
