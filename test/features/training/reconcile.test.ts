import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type Worker } from '../../../src/app/worker.js';
import { housekeepingJobs } from '../../../src/jobs/housekeeping.js';
import { startTestBot, type TestBot } from '../../support/bot.js';
import { addTraining } from './helpers.js';

let bot: TestBot;
let worker: Worker;
beforeAll(async () => {
  bot = await startTestBot('reconcile');
  worker = startWorker(bot.rt, housekeepingJobs);
});
afterAll(async () => {
  await worker?.stop();
  await bot?.close();
});

const longAgo = () => new Date(Date.now() - 10 * 60_000);
async function signup(trainingId: string, userId: string, status: 'confirmed' | 'waiting' | 'cancelled', minutesAgo: number) {
  const at = new Date(Date.now() - minutesAgo * 60_000);
  await bot.rt.models.TrainingSignup.create({ trainingId, userId, status, createdAt: at, ...(status === 'waiting' ? { waitingSince: at } : { confirmedAt: at }) });
}

describe('seat reconciler (worker job)', () => {
  it('when a crash between the two writes of a cancellation left seatsTaken 2 with 1 confirmed sign-up, then the count is repaired and reported', async () => {
    const id = await addTraining(bot.rt.models, new Date(), { capacity: 5, seatsTaken: 2, updatedAt: longAgo() });
    await signup(id, 'Ua1', 'confirmed', 30);
    await signup(id, 'Ua2', 'cancelled', 20); // the sign-up was cancelled; the seat was never given back
    const r = await worker.runNow('reconcile-seats');
    expect(r).toMatchObject({ fixed: 1 });
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t).toMatchObject({ seatsTaken: 1, waitingCount: 0, waitlist: [] });
    expect(await worker.runNow('reconcile-seats')).toMatchObject({ fixed: 0 }); // idempotent
  });

  it('when a promotion stopped after popping the waiting list, then the first person waiting gets the seat and is told', async () => {
    const waiter = bot.user();
    const id = await addTraining(bot.rt.models, new Date(), { capacity: 1, seatsTaken: 1, waitlist: [], waitingCount: 0, updatedAt: longAgo() });
    await signup(id, 'Ub1', 'cancelled', 30); // cancelled; their seat was to go to the waiter
    await signup(id, waiter.id, 'waiting', 25);
    await signup(id, 'Ub3', 'waiting', 20);
    const r = await worker.runNow('reconcile-seats');
    expect(r).toMatchObject({ fixed: 1, promoted: 1 });
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t).toMatchObject({ seatsTaken: 1, waitingCount: 1, waitlist: ['Ub3'] });
    expect((await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: waiter.id }).lean())?.status).toBe('confirmed');
    await bot.fake.waitForSent(waiter.id, 1); // through the outbox (the worker's drainer)
    expect(bot.fake.sent(waiter.id).map((m) => m.message.text).join()).toContain('มีที่นั่งว่างแล้ว');
  });

  it('when the waiting list names someone no longer waiting and misses someone who is, then the list is rebuilt from the sign-ups in order', async () => {
    const id = await addTraining(bot.rt.models, new Date(), { capacity: 1, seatsTaken: 1, waitlist: ['Uc9', 'Uc3'], waitingCount: 2, updatedAt: longAgo() });
    await signup(id, 'Uc1', 'confirmed', 40);
    await signup(id, 'Uc2', 'waiting', 30);
    await signup(id, 'Uc3', 'waiting', 20);
    await signup(id, 'Uc9', 'cancelled', 10);
    await worker.runNow('reconcile-seats');
    expect(await bot.rt.models.Training.findById(id).lean()).toMatchObject({ seatsTaken: 1, waitlist: ['Uc2', 'Uc3'], waitingCount: 2 });
  });

  it('when a training was changed in the last minute, then it is left alone (an operation may be between its writes)', async () => {
    const id = await addTraining(bot.rt.models, new Date(), { capacity: 5, seatsTaken: 3, updatedAt: new Date() });
    await worker.runNow('reconcile-seats');
    expect((await bot.rt.models.Training.findById(id).lean())?.seatsTaken).toBe(3);
  });
});
