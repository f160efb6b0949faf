import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileSeats } from '../../../src/features/training/seat-reconciler.js';
import { TrainingService, type Promotion } from '../../../src/features/training/training-service.js';
import { failWrite, type Fault } from './faults.js';
import { addTraining, openTrainingDb, type TrainingTestDb } from './helpers.js';

/**
 * Seat operations cut short between their writes (issue 9): through the real service and the
 * real database, with a transient failure injected into the models the service was given. A retry
 * of the same cause must converge with exactly-once effects; without a retry, the reconciler
 * repairs the training to what the sign-ups say and reports it.
 */
let tdb: TrainingTestDb;
let service: TrainingService;
let told: Promotion[];
let fault: Fault | undefined;
const now = new Date();
let seq = 0;
const user = () => `U${(++seq).toString(16).padStart(32, 'c')}`;

beforeAll(async () => {
  tdb = await openTrainingDb('seat_crashes');
  service = new TrainingService(tdb.models, undefined, { notify: async (p) => void told.push(p) });
});
afterAll(async () => {
  await tdb?.close();
});
afterEach(() => {
  fault?.disarm();
  fault = undefined;
  told = [];
});
told = [];

/** The outbox key promotion-notice.ts gives each notice: told once means one key. */
const noticeKeys = (userId: string) => new Set(told.filter((p) => p.userId === userId).map((p) => `promo:${p.trainingId}:${p.signupId}:${p.promotedAt.getTime()}`));

async function state(trainingId: string) {
  const t = (await tdb.models.Training.findById(trainingId).lean())!;
  const signups = await tdb.models.TrainingSignup.find({ trainingId }).lean();
  const who = (status: string) => signups.filter((s) => s.status === status).map((s) => s.userId).sort();
  return { t, confirmed: who('confirmed'), waiting: who('waiting'), signups };
}

/** Runs `op` with the `n`-th write failing; expects it to fail. */
async function crashing(n: number, op: () => Promise<unknown>) {
  fault = failWrite(tdb.models, n);
  await expect(op()).rejects.toThrow(/injected fault/);
  expect(fault.fired).toBe(true);
  fault.disarm();
  fault = undefined;
}

const repair = () => reconcileSeats(tdb.models, new Date(), async (p) => void told.push(p), { quietMs: 0 });

/** A training with one seat held by `holder` and people waiting, all through the service. */
async function fullWith(waiting: number) {
  const id = await addTraining(tdb.models, now, { capacity: 1 });
  const holder = user();
  await service.signUp({ trainingId: id, userId: holder, now, key: `k-${holder}` });
  const waiters = Array.from({ length: waiting }, () => user());
  for (const w of waiters) await service.signUp({ trainingId: id, userId: w, now, key: `k-${w}` }, { waitIfFull: true });
  return { id, holder, waiters };
}

describe('when a seat operation is cut short between its writes, then the same cause run again has its effect once', () => {
  it('when a sign-up took the seat but its sign-up record was never written, then the retry confirms it with that one seat', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    const u = user();
    await crashing(2, () => service.signUp({ trainingId: id, userId: u, now, key: 'evt:S1' }));
    for (let i = 0; i < 2; i++) expect((await service.signUp({ trainingId: id, userId: u, now, key: 'evt:S1' })).kind).toBe('confirmed');
    const s = await state(id);
    expect(s.t.seatsTaken).toBe(1);
    expect(s.t.seats).toEqual([u]);
    expect(s.confirmed).toEqual([u]);
  });

  it('when joining the waiting list put the person on the list but not on their record, then the retry leaves them there once, first in line', async () => {
    const { id } = await fullWith(0);
    const u = user();
    await crashing(2, () => service.signUp({ trainingId: id, userId: u, now, key: 'evt:W1' }, { waitIfFull: true }));
    const again = await service.signUp({ trainingId: id, userId: u, now, key: 'evt:W1' }, { waitIfFull: true });
    expect(again).toMatchObject({ kind: 'waiting', position: 1 });
    const s = await state(id);
    expect(s.t.waitlist).toEqual([u]);
    expect(s.t.waitingCount).toBe(1);
    expect(s.waiting).toEqual([u]);
  });

  it('when a cancellation was recorded but its seat not given back, then the retry gives it back once', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    const [a, b] = [user(), user()];
    await service.signUp({ trainingId: id, userId: a, now, key: 'evt:A' });
    await service.signUp({ trainingId: id, userId: b, now, key: 'evt:B' });
    await crashing(2, () => service.cancel({ trainingId: id, userId: a, now, key: 'evt:C1' }));
    for (let i = 0; i < 2; i++) expect(await service.cancel({ trainingId: id, userId: a, now, key: 'evt:C1' })).toMatchObject({ kind: 'cancelled', previousStatus: 'confirmed' });
    const s = await state(id);
    expect(s.t.seatsTaken).toBe(1);
    expect(s.t.seats).toEqual([b]);
    expect(s.confirmed).toEqual([b]);
  });

  for (const n of [2, 3]) {
    it(`when a cancellation that promotes was cut short before write ${n}, then the retry promotes the first waiting person once and tells them once`, async () => {
      const { id, holder, waiters } = await fullWith(2);
      await crashing(n, () => service.cancel({ trainingId: id, userId: holder, now, key: `evt:P${n}` }));
      for (let i = 0; i < 2; i++) {
        const r = await service.cancel({ trainingId: id, userId: holder, now, key: `evt:P${n}` });
        expect(r).toMatchObject({ kind: 'cancelled', promoted: { userId: waiters[0] } });
      }
      const s = await state(id);
      expect(s.confirmed).toEqual([waiters[0]]);
      expect(s.t.seats).toEqual([waiters[0]]);
      expect(s.t.seatsTaken).toBe(1);
      expect(s.t.waitlist).toEqual([waiters[1]]);
      expect(noticeKeys(waiters[0]!).size).toBe(1);
      expect(noticeKeys(waiters[1]!).size).toBe(0);
    });
  }

  for (const n of [2, 3]) {
    it(`when an erasure of a confirmed person was cut short before write ${n}, then the retried erasure promotes the next person once, tells them once and forgets the erased`, async () => {
      const { id, holder, waiters } = await fullWith(2);
      await crashing(n, () => service.withdrawAll(holder, 'erase:E1', now));
      for (let i = 0; i < 2; i++) await service.withdrawAll(holder, 'erase:E1', now);
      const s = await state(id);
      expect(s.signups.some((x) => x.userId === holder)).toBe(false);
      expect(s.t.seats).toEqual([waiters[0]]);
      expect(s.confirmed).toEqual([waiters[0]]);
      expect(s.t.waitlist).toEqual([waiters[1]]);
      expect(noticeKeys(waiters[0]!).size).toBe(1);
      expect(told.filter((p) => p.userId !== waiters[0])).toEqual([]);
    });
  }

  it('when a capacity raise was cut short between moving the first waiting person into a seat and confirming them, then the retry confirms them and tells them once', async () => {
    const { id, waiters } = await fullWith(3);
    await tdb.models.Training.updateOne({ _id: id }, { $set: { capacity: 2 }, $inc: { rev: 1 } });
    await crashing(2, () => service.fillFreeSeats(id, 'edit:X1', now));
    for (let i = 0; i < 2; i++) await service.fillFreeSeats(id, 'edit:X1', now);
    const s = await state(id);
    expect(s.t.seatsTaken).toBe(2);
    expect(s.confirmed).toContain(waiters[0]);
    expect(s.waiting).toEqual([waiters[1], waiters[2]].sort());
    expect(noticeKeys(waiters[0]!).size).toBe(1);
  });

  it('when an old sign-up is retried after the person cancelled, then it takes no seat again', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    const u = user();
    await service.signUp({ trainingId: id, userId: u, now, key: 'evt:O1' });
    await service.cancel({ trainingId: id, userId: u, now, key: 'evt:O2' });
    await service.signUp({ trainingId: id, userId: u, now, key: 'evt:O1' });
    const s = await state(id);
    expect(s.t.seatsTaken).toBe(0);
    expect(s.confirmed).toEqual([]);
  });
});

describe('when a seat operation is cut short and not retried, then the reconciler repairs the training to the sign-ups and reports it', () => {
  it('when a sign-up took a seat and never wrote its record, then the seat is given back and reported; a late retry still gets exactly one seat', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    const u = user();
    await crashing(2, () => service.signUp({ trainingId: id, userId: u, now, key: 'evt:R1' }));
    const r = await repair();
    expect(r.fixed.find((f) => f.trainingId === id)).toMatchObject({ before: { seatsTaken: 1 }, after: { seatsTaken: 0 }, removed: 1 });
    expect((await state(id)).t).toMatchObject({ seatsTaken: 0, seats: [] });
    expect((await repair()).fixed.find((f) => f.trainingId === id)).toBeUndefined(); // nothing left to fix
    expect((await service.signUp({ trainingId: id, userId: u, now, key: 'evt:R1' })).kind).toBe('confirmed');
    const s = await state(id);
    expect(s.t.seatsTaken).toBe(1);
    expect(s.confirmed).toEqual([u]);
  });

  it('when joining the list stopped before the record, then the list no longer names them', async () => {
    const { id } = await fullWith(0);
    const u = user();
    await crashing(2, () => service.signUp({ trainingId: id, userId: u, now, key: 'evt:R2' }, { waitIfFull: true }));
    const r = await repair();
    expect(r.fixed.find((f) => f.trainingId === id)).toMatchObject({ before: { waitingCount: 1 }, after: { waitingCount: 0 }, removed: 1 });
    expect((await state(id)).t).toMatchObject({ waitlist: [], waitingCount: 0, seatsTaken: 1 });
  });

  it('when a cancellation stopped before giving its seat back, then the count is repaired', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    const u = user();
    await service.signUp({ trainingId: id, userId: u, now, key: 'evt:R3a' });
    await crashing(2, () => service.cancel({ trainingId: id, userId: u, now, key: 'evt:R3' }));
    const r = await repair();
    expect(r.fixed.find((f) => f.trainingId === id)).toMatchObject({ before: { seatsTaken: 1 }, after: { seatsTaken: 0 } });
    expect((await state(id)).t).toMatchObject({ seatsTaken: 0, seats: [] });
  });

  for (const n of [2, 3]) {
    it(`when a promoting cancellation stopped before write ${n}, then the first waiting person gets the seat and is told once, and a late retry promotes nobody else`, async () => {
      const { id, holder, waiters } = await fullWith(2);
      await crashing(n, () => service.cancel({ trainingId: id, userId: holder, now, key: `evt:RP${n}` }));
      const r = await repair();
      expect(r.fixed.find((f) => f.trainingId === id)).toMatchObject({ promoted: 1, after: { seatsTaken: 1, waitingCount: 1 } });
      await service.cancel({ trainingId: id, userId: holder, now, key: `evt:RP${n}` });
      await repair();
      const s = await state(id);
      expect(s.confirmed).toEqual([waiters[0]]);
      expect(s.t).toMatchObject({ seats: [waiters[0]], seatsTaken: 1, waitlist: [waiters[1]], waitingCount: 1 });
      expect(noticeKeys(waiters[0]!).size).toBe(1);
      expect(noticeKeys(waiters[1]!).size).toBe(0);
    });
  }

  it('when a promotion was confirmed but its notice never recorded, then the reconciler records it, once', async () => {
    const { id, holder, waiters } = await fullWith(1);
    let failures = 0;
    const flaky = new TrainingService(tdb.models, undefined, {
      notify: async () => {
        failures++;
        throw Object.assign(new Error('injected fault: outbox unreachable'), { name: 'MongoNetworkError' });
      },
    });
    await expect(flaky.cancel({ trainingId: id, userId: holder, now, key: 'evt:N1' })).rejects.toThrow(/injected/);
    expect(failures).toBe(1);
    const r = await repair();
    expect(r.notified).toBeGreaterThanOrEqual(1);
    await repair();
    await service.cancel({ trainingId: id, userId: holder, now, key: 'evt:N1' }); // the cause retried as well
    expect(noticeKeys(waiters[0]!).size).toBe(1);
    expect((await state(id)).confirmed).toEqual([waiters[0]]);
  });
});

describe('the reconciler beside live sign-ups', () => {
  it('when 20 people sign up for the last seat while the reconciler repairs a leaked one, then confirmed sign-ups never exceed capacity and exactly one of them gets it', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 3 });
    for (const u of [user(), user()]) await service.signUp({ trainingId: id, userId: u, now, key: `k-${u}` });
    // The third seat leaks: taken by a sign-up that never wrote its record.
    const leaked = user();
    await crashing(2, () => service.signUp({ trainingId: id, userId: leaked, now, key: 'evt:L' }));
    const people = Array.from({ length: 20 }, () => user());
    let running = true;
    let most = 0;
    const sampler = (async () => {
      while (running) {
        most = Math.max(most, await tdb.models.TrainingSignup.countDocuments({ trainingId: id, status: 'confirmed' }));
      }
    })();
    const reconciler = (async () => {
      while (running) await repair();
    })();
    const results = await Promise.all(people.map((u) => service.signUp({ trainingId: id, userId: u, now, key: `evt:${u}` }, { waitIfFull: true })));
    // Until the leaked seat is repaired, every newcomer waits; then one of them is promoted.
    for (let i = 0; i < 50 && (await state(id)).confirmed.length < 3; i++) await repair();
    running = false;
    await Promise.all([sampler, reconciler]);
    await repair();
    const s = await state(id);
    expect(most).toBeLessThanOrEqual(3);
    expect(s.confirmed).toHaveLength(3);
    expect(s.confirmed).not.toContain(leaked);
    expect(people.filter((u) => s.confirmed.includes(u))).toHaveLength(1);
    expect(s.waiting).toHaveLength(19);
    expect([...s.t.seats!].sort()).toEqual(s.confirmed);
    expect(s.t.seatsTaken).toBe(3);
    expect([...s.t.waitlist].sort()).toEqual(s.waiting);
    expect(s.t.waitingCount).toBe(19);
    expect(results.every((r) => r.kind === 'confirmed' || r.kind === 'waiting')).toBe(true);
  });
});
