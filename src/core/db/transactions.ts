import type { ClientSession, Connection } from 'mongoose';

/**
 * Multi-document transactions where the database has them (a MongoDB replica set or a sharded
 * cluster behind mongos), and the plain path elsewhere (a standalone server, the embedded FerretDB).
 * Callers write code that is correct without a transaction (ordered, idempotent writes) and run it
 * through {@link inTransaction}: with a session every read and write inside is one atomic unit,
 * without one the same code runs as is.
 */

const support = new WeakMap<object, Promise<boolean>>();

/** True when `hello` says replica set (`setName`) or mongos (`msg: 'isdbgrid'`). Asked once per connection. */
export function supportsTransactions(conn: Connection): Promise<boolean> {
  const known = support.get(conn);
  if (known) return known;
  const db = conn.db;
  if (!db) return Promise.resolve(false); // not connected yet: asked again next time
  const asked = db
    .admin()
    .command({ hello: 1 })
    .then((h) => typeof h.setName === 'string' || h.msg === 'isdbgrid')
    .catch(() => false);
  support.set(conn, asked);
  return asked;
}

/** Thrown inside a transaction to abort it and let the caller start over. */
export class AbortTransaction extends Error {
  constructor() {
    super('transaction aborted to retry');
    this.name = 'AbortTransaction';
  }
}

/**
 * Runs `fn` in a transaction when the database supports one (`session` given), else as is
 * (`session` undefined). Throwing {@link AbortTransaction} inside rolls the transaction back and
 * returns `aborted`.
 */
export async function inTransaction<T, A>(conn: Connection, fn: (session?: ClientSession) => Promise<T>, aborted: A): Promise<T | A> {
  if (!(await supportsTransactions(conn))) {
    try {
      return await fn(undefined);
    } catch (err) {
      if (err instanceof AbortTransaction) return aborted;
      throw err;
    }
  }
  const session = await conn.startSession();
  try {
    let out: T | A = aborted;
    await session.withTransaction(async () => {
      out = await fn(session);
    });
    return out;
  } catch (err) {
    if (err instanceof AbortTransaction) return aborted;
    throw err;
  } finally {
    await session.endSession();
  }
}
