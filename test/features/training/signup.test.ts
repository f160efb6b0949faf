import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingService, type SignUpResult } from '../../../src/features/training/training-service.js';
import { addTraining, DAY, HOUR, openTrainingDb, type TrainingTestDb } from './helpers.js';

let tdb: TrainingTestDb;
let service: TrainingService;
const now = new Date('2026-11-02T03:00:00Z');

beforeAll(async () => {
  tdb = await openTrainingDb('training_signup');
  service = new TrainingService(tdb.models);
});
afterAll(async () => {
  await tdb?.close();
});

const user = (i: number) => `U${String(i).padStart(32, '0')}`;

async function stored(trainingId: string) {
  const t = await tdb.models.Training.findById(trainingId).lean();
  const signups = await tdb.models.TrainingSignup.find({ trainingId }).lean();
  const count = (status: string) => signups.filter((s) => s.status === status).length;
  return { t: t!, signups, confirmed: count('confirmed'), waiting: count('waiting'), cancelled: count('cancelled') };
}

describe('TrainingService sign-up under concurrency', () => {
  it('when 50 producers sign up at the same moment for 10 seats, then exactly 10 are confirmed and 40 wait in positions 1..40', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 10 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => service.signUp({ trainingId: id, userId: user(i), now }, { waitIfFull: true })),
    );

    const confirmed = results.filter((r) => r.kind === 'confirmed');
    const waiting = results.filter((r): r is Extract<SignUpResult, { kind: 'waiting' }> => r.kind === 'waiting');
    expect(confirmed).toHaveLength(10);
    expect(waiting).toHaveLength(40);
    expect(results.every((r) => !r.promoted)).toBe(true);
    // The positions handed out at sign-up time are exact and unique.
    expect(waiting.map((r) => r.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(10);
    expect(s.t.waitingCount).toBe(40);
    expect(s.t.waitlist).toHaveLength(40);
    expect(new Set(s.t.waitlist).size).toBe(40);
    expect(s.confirmed).toBe(10);
    expect(s.waiting).toBe(40);

    // And they still agree afterwards: every waiting person has a distinct place 1..40.
    const positions = await Promise.all(
      results.map((r, i) => (r.kind === 'waiting' ? service.waitingPosition(id, user(i)) : Promise.resolve(null))),
    );
    expect(positions.filter((p) => p !== null).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('when 50 producers sign up at once without asking for the waiting list, then 10 are confirmed and 40 are told it is full', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 10 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => service.signUp({ trainingId: id, userId: user(100 + i), now })),
    );
    expect(results.filter((r) => r.kind === 'confirmed')).toHaveLength(10);
    expect(results.filter((r) => r.kind === 'full')).toHaveLength(40);
    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(10);
    expect(s.signups).toHaveLength(10);
  });

  it('when the same person taps "sign up" five times at once, then they hold one seat and the rest answer "already"', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 3 });
    const results = await Promise.all(Array.from({ length: 5 }, () => service.signUp({ trainingId: id, userId: user(200), now })));
    expect(results.filter((r) => r.kind === 'confirmed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'already')).toHaveLength(4);
    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(1);
    expect(s.signups).toHaveLength(1);
  });
  it('when sign-ups and cancellations interleave in waves, then seats, the list and the sign-ups always agree', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 7 });
    const people = Array.from({ length: 30 }, (_, i) => user(1500 + i));
    let promotions = 0;
    for (let wave = 0; wave < 4; wave++) {
      const promotedTotal: string[] = [];
      const ops = people.map((u, i) =>
        (i + wave) % 3 === 0
          ? service.cancel({ trainingId: id, userId: u, now }).then((r) => {
              if (r.kind === 'cancelled' && r.promoted) promotedTotal.push(r.promoted.userId);
            })
          : service.signUp({ trainingId: id, userId: u, now }, { waitIfFull: i % 2 === 0 }).then((r) => {
              if (r.promoted) promotedTotal.push(r.promoted.userId);
            }),
      );
      await Promise.all(ops);
      const s = await stored(id);
      expect(s.t.seatsTaken).toBe(s.confirmed);
      expect(s.t.seatsTaken).toBeLessThanOrEqual(7);
      expect(s.t.waitingCount).toBe(s.t.waitlist.length);
      expect(new Set(s.t.waitlist).size).toBe(s.t.waitlist.length);
      expect([...s.t.waitlist].sort()).toEqual(s.signups.filter((x) => x.status === 'waiting').map((x) => x.userId).sort());
      if (s.t.seatsTaken < 7) expect(s.t.waitingCount).toBe(0);
      // Everyone promoted in this wave holds the seat (or cancelled it in this same wave).
      for (const u of promotedTotal) expect(['confirmed', 'cancelled']).toContain(s.signups.find((x) => x.userId === u)?.status);
      promotions += promotedTotal.length;
    }
    expect(promotions).toBeGreaterThan(0);
  });
});

describe('TrainingService cancellation and the waiting list', () => {
  it('when a confirmed person cancels, then the first person waiting (and only they) gets the seat', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 2 });
    for (const i of [1, 2]) expect((await service.signUp({ trainingId: id, userId: user(300 + i), now })).kind).toBe('confirmed');
    for (const i of [3, 4, 5]) {
      const r = await service.signUp({ trainingId: id, userId: user(300 + i), now }, { waitIfFull: true });
      expect(r).toMatchObject({ kind: 'waiting', position: i - 2 });
    }

    const later = new Date(now.getTime() + HOUR);
    const r = await service.cancel({ trainingId: id, userId: user(301), now: later });
    expect(r.kind).toBe('cancelled');
    if (r.kind !== 'cancelled') return;
    expect(r.previousStatus).toBe('confirmed');
    expect(r.promoted).toMatchObject({ userId: user(303), trainingId: id });
    expect(r.promoted?.training.title.th).toMatch(/อบรมทดสอบ/);

    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(2);
    expect(s.t.waitlist).toEqual([user(304), user(305)]);
    expect(s.confirmed).toBe(2);
    expect(s.waiting).toBe(2);
    const promoted = s.signups.find((x) => x.userId === user(303));
    expect(promoted).toMatchObject({ status: 'confirmed' });
    expect(promoted?.promotedAt?.getTime()).toBe(later.getTime());
    expect(await service.waitingPosition(id, user(304))).toBe(1);
    expect(await service.waitingPosition(id, user(305))).toBe(2);
    expect(await service.waitingPosition(id, user(303))).toBeNull();
  });

  it('when two confirmed people cancel at the same moment, then two different people are promoted and seats stay at capacity', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 2 });
    for (const i of [1, 2]) await service.signUp({ trainingId: id, userId: user(400 + i), now });
    for (const i of [3, 4, 5]) await service.signUp({ trainingId: id, userId: user(400 + i), now }, { waitIfFull: true });

    const [a, b] = await Promise.all([
      service.cancel({ trainingId: id, userId: user(401), now }),
      service.cancel({ trainingId: id, userId: user(402), now }),
    ]);
    const promoted = [a, b].map((r) => (r?.kind === 'cancelled' ? r.promoted?.userId : undefined));
    expect(promoted.sort()).toEqual([user(403), user(404)]);

    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(2);
    expect(s.t.waitlist).toEqual([user(405)]);
    expect(s.confirmed).toBe(2);
    expect(s.waiting).toBe(1);
  });

  it('when nobody is waiting and someone cancels, then the seat goes back and no one is promoted', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    await service.signUp({ trainingId: id, userId: user(501), now });
    const r = await service.cancel({ trainingId: id, userId: user(501), now });
    expect(r).toMatchObject({ kind: 'cancelled', previousStatus: 'confirmed' });
    expect(r.kind === 'cancelled' && r.promoted).toBeFalsy();
    expect((await stored(id)).t.seatsTaken).toBe(0);
  });

  it('when someone waiting leaves the list, then the people behind them move up and no seat changes hands', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 1 });
    await service.signUp({ trainingId: id, userId: user(601), now });
    for (const i of [2, 3, 4]) await service.signUp({ trainingId: id, userId: user(600 + i), now }, { waitIfFull: true });
    const r = await service.cancel({ trainingId: id, userId: user(602), now });
    expect(r).toMatchObject({ kind: 'cancelled', previousStatus: 'waiting' });
    expect(r.kind === 'cancelled' && r.promoted).toBeFalsy();
    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(1);
    expect(s.t.waitlist).toEqual([user(603), user(604)]);
    expect(s.t.waitingCount).toBe(2);
    expect(await service.waitingPosition(id, user(603))).toBe(1);
  });

  it('when a cancellation and a new waiting-list sign-up race, then the free seat never stays empty while someone waits', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 3 });
    for (const i of [1, 2, 3]) await service.signUp({ trainingId: id, userId: user(700 + i), now });
    const [cancelled, ...joined] = await Promise.all([
      service.cancel({ trainingId: id, userId: user(701), now }),
      ...[4, 5, 6].map((i) => service.signUp({ trainingId: id, userId: user(700 + i), now }, { waitIfFull: true })),
    ]);
    expect(cancelled?.kind).toBe('cancelled');
    const s = await stored(id);
    expect(s.t.seatsTaken).toBe(3);
    expect(s.confirmed).toBe(3);
    expect(s.t.waitingCount).toBe(2);
    expect(s.waiting).toBe(2);
    expect(joined.filter((r) => r.kind === 'confirmed').length + (cancelled?.kind === 'cancelled' && cancelled.promoted ? 1 : 0)).toBe(1);
  });

  it('when a person cancels and signs up again, then their sign-up document is reused', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 5 });
    await service.signUp({ trainingId: id, userId: user(801), producerId: 'P-1', now });
    const first = (await stored(id)).signups[0]!;
    await service.cancel({ trainingId: id, userId: user(801), now });
    expect((await stored(id)).signups[0]).toMatchObject({ status: 'cancelled' });

    const again = await service.signUp({ trainingId: id, userId: user(801), now: new Date(now.getTime() + HOUR) });
    expect(again.kind).toBe('confirmed');
    const s = await stored(id);
    expect(s.signups).toHaveLength(1);
    expect(String(s.signups[0]!._id)).toBe(String(first._id));
    expect(s.signups[0]).toMatchObject({ status: 'confirmed', producerId: 'P-1' });
    expect(s.signups[0]!.cancelledAt).toBeUndefined();
    expect(s.t.seatsTaken).toBe(1);
  });

  it('when the person is not signed up, then cancel says so and changes nothing', async () => {
    const id = await addTraining(tdb.models, now);
    expect((await service.cancel({ trainingId: id, userId: user(901), now })).kind).toBe('not_signed_up');
    expect((await service.cancel({ trainingId: 'nope', userId: user(901), now })).kind).toBe('not_found');
  });

  it('when the training has started, then it can no longer be cancelled', async () => {
    const id = await addTraining(tdb.models, now, { startsAt: new Date(now.getTime() + DAY), signupDeadline: new Date(now.getTime() + HOUR) });
    await service.signUp({ trainingId: id, userId: user(902), now });
    const r = await service.cancel({ trainingId: id, userId: user(902), now: new Date(now.getTime() + DAY + HOUR) });
    expect(r.kind).toBe('past');
    expect((await stored(id)).t.seatsTaken).toBe(1);
  });
});

describe('TrainingService refusals', () => {
  it('when the sign-up deadline has passed, then the sign-up is refused with deadline_passed', async () => {
    const id = await addTraining(tdb.models, now, { signupDeadline: new Date(now.getTime() - 1) });
    const r = await service.signUp({ trainingId: id, userId: user(1001), now });
    expect(r.kind).toBe('deadline_passed');
    expect(r.kind === 'deadline_passed' && r.training.id).toBe(id);
    expect((await stored(id)).signups).toHaveLength(0);
  });

  it('when the training has already started or ended, then the sign-up is refused with past', async () => {
    const id = await addTraining(tdb.models, now, {
      startsAt: new Date(now.getTime() - 2 * DAY),
      signupDeadline: new Date(now.getTime() - 5 * DAY),
    });
    expect((await service.signUp({ trainingId: id, userId: user(1002), now }, { waitIfFull: true })).kind).toBe('past');
  });

  it('when the organiser cancelled the training, then the sign-up is refused with cancelled', async () => {
    const id = await addTraining(tdb.models, now, { status: 'cancelled' });
    expect((await service.signUp({ trainingId: id, userId: user(1003), now })).kind).toBe('cancelled');
  });

  it('when the training does not exist, then not_found', async () => {
    expect((await service.signUp({ trainingId: '0123456789abcdef01234567', userId: user(1004), now })).kind).toBe('not_found');
    expect((await service.signUp({ trainingId: 'not-an-id', userId: user(1004), now })).kind).toBe('not_found');
    expect(await service.get('not-an-id')).toBeNull();
  });

  it('when the person already has a seat or a place in line, then already with their status (and position)', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 1 });
    await service.signUp({ trainingId: id, userId: user(1101), now });
    await service.signUp({ trainingId: id, userId: user(1102), now }, { waitIfFull: true });
    expect(await service.signUp({ trainingId: id, userId: user(1101), now })).toMatchObject({ kind: 'already', status: 'confirmed' });
    expect(await service.signUp({ trainingId: id, userId: user(1102), now }, { waitIfFull: true })).toMatchObject({
      kind: 'already',
      status: 'waiting',
      position: 1,
    });
    // Already signed up wins over "the deadline has passed" (they tapped an old card).
    const afterDeadline = new Date(now.getTime() + 8 * DAY);
    expect(await service.signUp({ trainingId: id, userId: user(1101), now: afterDeadline })).toMatchObject({ kind: 'already' });
    expect(await service.signupStatus(id, user(1101))).toBe('confirmed');
  });

  it('when seats are free but people are already waiting, then a newcomer does not jump the line', async () => {
    const id = await addTraining(tdb.models, now, { capacity: 2, seatsTaken: 1, waitlist: ['Uahead'], waitingCount: 1 });
    expect((await service.signUp({ trainingId: id, userId: user(1201), now })).kind).toBe('full');
  });
});
