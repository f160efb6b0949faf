import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/core/db/connection.js';
import { createModels, ensureIndexes, type Models } from '../../src/core/db/models.js';
import { SessionConflictError, SessionStore } from '../../src/sessions/session-store.js';
import { freshDatabase, type FreshDatabase } from '../support/db.js';

let fresh: FreshDatabase;
let db: DatabaseHandle;
let models: Models;
let store: SessionStore;
const DAY = 86_400_000;

beforeAll(async () => {
  fresh = await freshDatabase('sessions');
  db = await connectDatabase(fresh.uri);
  models = createModels(db.conn);
  await ensureIndexes(models);
  store = new SessionStore(models, 30);
});
afterAll(async () => {
  await db?.close();
  await fresh?.drop();
});

const flow = (step: string) => ({ id: 'registration', version: 1, step, answers: { name: 'Somsri' }, history: [], retries: 0, turn: 1, display: {}, startedAt: '', updatedAt: '' });

describe('SessionStore', () => {
  it('when a user has no session, then a Thai default is returned and the first write creates it', async () => {
    const s = await store.read('Unew');
    expect(s).toMatchObject({ lang: 'th', isNew: true, flow: null, rev: 0 });
    await store.write(s);
    expect((await store.read('Unew')).rev).toBe(1);
  });

  it('when two writers saved the same read, then the second gets a conflict and the first wins', async () => {
    await store.write(await store.read('Urace'));
    const a = await store.read('Urace');
    const b = await store.read('Urace');
    a.flow = flow('name');
    b.flow = flow('phone');
    await store.write(a);
    await expect(store.write(b)).rejects.toBeInstanceOf(SessionConflictError);
    expect((await store.read('Urace')).flow?.step).toBe('name');
  });

  it('when two first writes race for a new user, then one conflicts', async () => {
    const a = await store.read('Unewrace');
    const b = await store.read('Unewrace');
    await store.write(a);
    await expect(store.write(b)).rejects.toBeInstanceOf(SessionConflictError);
  });

  it('when a session is idle past its expiry, then its journey is forgotten but language and reachability stay', async () => {
    const s = await store.read('Uidle');
    s.lang = 'en';
    s.reachable = false;
    s.flow = flow('phone');
    const longAgo = new Date(Date.now() - 31 * DAY);
    await store.write(s, longAgo);
    const later = await store.read('Uidle');
    expect(later.flow).toBeNull();
    expect(later.lang).toBe('en');
    expect(later.reachable).toBe(false);

    expect(await store.clearExpired(new Date())).toBeGreaterThanOrEqual(1);
    const raw = await models.Session.findById('Uidle').lean();
    expect(raw?.flow).toBeNull();
  });

  it('when a session was active within the idle window, then a returning user finds their journey', async () => {
    const s = await store.read('Ureturn');
    s.flow = flow('province');
    await store.write(s, new Date(Date.now() - 20 * DAY));
    expect((await store.read('Ureturn')).flow?.step).toBe('province');
  });
});
