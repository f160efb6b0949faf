import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingService } from '../../../src/features/training/training-service.js';
import { addTraining, DAY, HOUR, openTrainingDb, type TrainingTestDb } from './helpers.js';

let tdb: TrainingTestDb;
let service: TrainingService;
const now = new Date('2026-11-02T03:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY);

const online = { mode: 'online' as const, onlineUrl: 'https://example.com/live', provinceCode: undefined, provinceName: undefined, venue: undefined };
const khonKaen = { provinceCode: '40', provinceName: { th: 'ขอนแก่น', en: 'Khon Kaen' } };

const ids: Record<string, string> = {};

beforeAll(async () => {
  tdb = await openTrainingDb('training_listing');
  service = new TrainingService(tdb.models);
  const m = tdb.models;
  ids['kkLate'] = await addTraining(m, now, { ...khonKaen, startsAt: at(20), signupDeadline: at(15) });
  ids['onlineLate'] = await addTraining(m, now, { ...online, startsAt: at(12), signupDeadline: at(11) });
  ids['cmLate'] = await addTraining(m, now, { startsAt: at(30), signupDeadline: at(25) });
  ids['kkSoon'] = await addTraining(m, now, { ...khonKaen, startsAt: at(3), signupDeadline: at(2), capacity: 20, seatsTaken: 5 });
  ids['onlineSoon'] = await addTraining(m, now, { ...online, startsAt: at(2), signupDeadline: at(1) });
  ids['cmSoon'] = await addTraining(m, now, { startsAt: at(6), signupDeadline: at(4), capacity: 2, seatsTaken: 2, waitlist: ['Ua', 'Ub', 'Uc'], waitingCount: 3 });
  ids['bkkOther'] = await addTraining(m, now, { provinceCode: '10', provinceName: { th: 'กรุงเทพมหานคร', en: 'Bangkok' }, startsAt: at(1), signupDeadline: at(0.5) });
  // Not listed:
  ids['past'] = await addTraining(m, now, { ...khonKaen, startsAt: at(-1), signupDeadline: at(-3) });
  ids['deadlineGone'] = await addTraining(m, now, { ...khonKaen, startsAt: at(5), signupDeadline: new Date(now.getTime() - HOUR) });
  ids['cancelled'] = await addTraining(m, now, { ...khonKaen, startsAt: at(5), status: 'cancelled' });
});
afterAll(async () => {
  await tdb?.close();
});

const name = (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0];

describe('TrainingService.listUpcoming', () => {
  it('when the producer lives in Khon Kaen, then Khon Kaen onsite comes first, then online, then the rest, each by date', async () => {
    const list = await service.listUpcoming({ provinceCode: '40', now, limit: 20 });
    expect(list.map((t) => name(t.id))).toEqual(['kkSoon', 'kkLate', 'onlineSoon', 'onlineLate', 'bkkOther', 'cmSoon', 'cmLate']);
    expect(list.map((t) => t.relevance)).toEqual(['province', 'province', 'online', 'online', 'other', 'other', 'other']);
  });

  it('when trainings are past, cancelled or closed for sign-up, then they are not listed', async () => {
    const list = await service.listUpcoming({ provinceCode: '40', now, limit: 50 });
    const names = list.map((t) => name(t.id));
    expect(names).not.toContain('past');
    expect(names).not.toContain('deadlineGone');
    expect(names).not.toContain('cancelled');
  });

  it('when a training has seats taken or a waiting list, then seatsLeft and waitingCount say so', async () => {
    const list = await service.listUpcoming({ provinceCode: '50', now, limit: 20 });
    const kk = list.find((t) => t.id === ids['kkSoon']);
    const cm = list.find((t) => t.id === ids['cmSoon']);
    expect(kk).toMatchObject({ capacity: 20, seatsTaken: 5, seatsLeft: 15, waitingCount: 0 });
    expect(cm).toMatchObject({ capacity: 2, seatsLeft: 0, waitingCount: 3, relevance: 'province' });
    expect(cm).not.toHaveProperty('waitlist');
  });

  it('when no province is known, then online trainings come first and the limit is respected', async () => {
    const list = await service.listUpcoming({ now, limit: 3 });
    expect(list.map((t) => name(t.id))).toEqual(['onlineSoon', 'onlineLate', 'bkkOther']);
  });

  it('when time moves on past a deadline, then that training drops out of the list', async () => {
    const list = await service.listUpcoming({ provinceCode: '40', now: at(2.5), limit: 20 });
    expect(list.map((t) => name(t.id))).not.toContain('kkSoon');
    expect(list.map((t) => name(t.id))).toContain('kkLate');
  });
});

describe('TrainingService.mySignups', () => {
  it('when a producer has seats and places in line, then upcoming ones come first with positions, cancelled ones are gone', async () => {
    const me = 'Ume000000000000000000000000000001';
    const m = tdb.models;
    const soon = await addTraining(m, now, { startsAt: at(4), signupDeadline: at(3) });
    const later = await addTraining(m, now, { startsAt: at(9), signupDeadline: at(8), capacity: 1 });
    const dropped = await addTraining(m, now, { startsAt: at(5), signupDeadline: at(4) });
    const ended = await addTraining(m, now, { startsAt: at(2), signupDeadline: at(1) });

    await service.signUp({ trainingId: later, userId: 'Usomeoneelse', now });
    expect((await service.signUp({ trainingId: later, userId: me, now }, { waitIfFull: true })).kind).toBe('waiting');
    await service.signUp({ trainingId: soon, userId: me, now });
    await service.signUp({ trainingId: dropped, userId: me, now });
    await service.cancel({ trainingId: dropped, userId: me, now });
    await service.signUp({ trainingId: ended, userId: me, now });

    const viewNow = at(3); // `ended` started a day ago
    const mine = await service.mySignups(me, viewNow);
    expect(mine.map((s) => s.training.id)).toEqual([soon, later, ended]);
    expect(mine[0]).toMatchObject({ status: 'confirmed', isPast: false, canCancel: true });
    expect(mine[1]).toMatchObject({ status: 'waiting', position: 1, canCancel: true });
    expect(mine[2]).toMatchObject({ status: 'confirmed', isPast: true, canCancel: false });
    expect(await service.mySignups(me, viewNow, { pastLimit: 0 })).toHaveLength(2);
    expect(await service.mySignups('Unobody', now)).toEqual([]);
  });
});
