import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens } from '../../../src/api/tokens.js';
import { startWorker, type Worker } from '../../../src/app/worker.js';
import { trainingData } from '../../../src/features/training/cards.js';
import { TrainingService } from '../../../src/features/training/training-service.js';
import { housekeepingJobs } from '../../../src/jobs/housekeeping.js';
import { startTestBot, type ChatUser, type TestBot } from '../../support/bot.js';
import { saveRegistered } from '../../support/producers.js';
import { failWrite, type Fault } from './faults.js';
import { addTraining } from './helpers.js';

/**
 * Seat operations cut short between their writes, through the signed webhook, the processor's
 * retry of the same event and the fake LINE (issue 9): one seat, one promotion, one notice.
 */
let bot: TestBot;
let worker: Worker;
let fault: Fault | undefined;
beforeAll(async () => {
  bot = await startTestBot('seat_retries');
  worker = startWorker(bot.rt, housekeepingJobs);
});
afterAll(async () => {
  await worker?.stop();
  await bot?.close();
});
afterEach(() => {
  fault?.disarm();
  fault = undefined;
  expect(bot.fake.schemaErrors()).toEqual([]);
});

async function registered(): Promise<ChatUser> {
  const u = bot.user();
  await saveRegistered(bot.rt.producers, u.id);
  return u;
}
const said = (u: ChatUser, words: string) => bot.fake.sent(u.id).filter((m) => JSON.stringify(m.message).includes(words));
const PROMOTED = 'มีที่นั่งว่างแล้ว';

/** A one-seat training held by `holder`, with `waiter` first on the list, all through the chat. */
async function fullTraining() {
  const id = await addTraining(bot.rt.models, new Date(), { capacity: 1 });
  const holder = await registered();
  const waiter = await registered();
  const next = await registered();
  expect((await holder.postback(trainingData('join', id))).text).toContain('สมัครเรียบร้อยแล้ว');
  expect((await waiter.postback(trainingData('wait', id))).text).toContain('ลำดับที่ 1');
  expect((await next.postback(trainingData('wait', id))).text).toContain('ลำดับที่ 2');
  return { id, holder, waiter, next };
}

async function waitUntil(check: () => Promise<boolean>, ms = 5_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('seat operations retried by the processor after a failure between their writes', () => {
  it('when the sign-up record fails to be written after the seat was taken, then the retried event holds one seat and the producer is told once', async () => {
    const id = await addTraining(bot.rt.models, new Date(), { capacity: 5 });
    const u = await registered();
    fault = failWrite(bot.rt.models, 2);
    await u.postback(trainingData('join', id));
    expect(fault.fired).toBe(true);
    expect(said(u, 'สมัครเรียบร้อยแล้ว')).toHaveLength(1);
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t?.seatsTaken).toBe(1);
    expect(t?.seats).toEqual([u.id]);
    expect(await bot.rt.models.TrainingSignup.countDocuments({ trainingId: id, status: 'confirmed' })).toBe(1);
  });

  for (const n of [2, 3]) {
    it(`when "delete my data" of a confirmed producer fails before seat write ${n}, then the retried event promotes the first waiting person, who is told exactly once`, async () => {
      const { id, holder, waiter, next } = await fullTraining();
      await holder.says('ลบข้อมูลของฉัน');
      fault = failWrite(bot.rt.models, n);
      const done = await holder.taps('ลบข้อมูลทั้งหมด');
      expect(fault.fired).toBe(true);
      expect(done.text).toContain('ลบข้อมูลส่วนตัวของคุณเรียบร้อยแล้ว');
      await bot.settle();
      expect(said(waiter, PROMOTED)).toHaveLength(1);
      expect(said(waiter, PROMOTED)[0]!.via).toBe('push');
      expect(said(next, PROMOTED)).toHaveLength(0);
      expect(await bot.rt.models.TrainingSignup.countDocuments({ userId: holder.id })).toBe(0);
      const t = await bot.rt.models.Training.findById(id).lean();
      expect(t).toMatchObject({ seatsTaken: 1, seats: [waiter.id], waitlist: [next.id], waitingCount: 1 });
      expect(JSON.stringify(t)).not.toContain(holder.id);
      // Nothing left for the reconciler, and no second notice from it.
      await bot.rt.models.Training.updateOne({ _id: id }, { $set: { updatedAt: new Date(Date.now() - 10 * 60_000) } });
      expect(await worker.runNow('reconcile-seats')).toMatchObject({ fixed: 0 });
      await bot.settle();
      expect(said(waiter, PROMOTED)).toHaveLength(1);
    });
  }

  it('when a cancellation fails between moving the first waiting person into the seat and confirming them, then the retry confirms them and they are told once', async () => {
    const { id, holder, waiter, next } = await fullTraining();
    await holder.postback(trainingData('cancel', id));
    fault = failWrite(bot.rt.models, 3);
    const done = await holder.taps('ใช่ ยกเลิก');
    expect(fault.fired).toBe(true);
    expect(done.text).toContain('ยกเลิกการสมัครเรียบร้อยแล้ว');
    await bot.settle();
    expect(said(waiter, PROMOTED)).toHaveLength(1);
    expect(said(next, PROMOTED)).toHaveLength(0);
    expect((await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: waiter.id }).lean())?.status).toBe('confirmed');
  });
});

describe('the seat reconciler in the worker after an operation that was never retried', () => {
  it('when a promoting cancellation stopped after recording the cancellation, then the job gives the seat to the first waiting person, tells them once and reports the training it fixed', async () => {
    const { id, holder, waiter, next } = await fullTraining();
    const service = new TrainingService(bot.rt.models, undefined, { notify: bot.rt.notifyPromoted });
    fault = failWrite(bot.rt.models, 2);
    await expect(service.cancel({ trainingId: id, userId: holder.id, now: new Date(), key: 'api:C-77' })).rejects.toThrow(/injected/);
    fault.disarm();
    expect((await bot.rt.models.Training.findById(id).lean())?.seatsTaken).toBe(1);
    // Quiet for a while (the job leaves trainings changed in the last minute to their operations).
    await bot.rt.models.Training.updateOne({ _id: id }, { $set: { updatedAt: new Date(Date.now() - 10 * 60_000) } });
    const r = await worker.runNow('reconcile-seats');
    const code = (await bot.rt.models.Training.findById(id).lean())!.code;
    expect(r).toMatchObject({ fixed: 1, promoted: 1, trainings: [{ code, before: 1, after: 1, waitingBefore: 2, waitingAfter: 1 }] });
    await waitUntil(async () => {
      await bot.rt.drainer.drainOnce();
      return said(waiter, PROMOTED).length > 0;
    });
    expect(said(waiter, PROMOTED)).toHaveLength(1);
    expect(await bot.rt.models.Training.findById(id).lean()).toMatchObject({ seatsTaken: 1, seats: [waiter.id], waitlist: [next.id] });
    // The cancellation retried late changes nothing more and tells nobody again.
    await service.cancel({ trainingId: id, userId: holder.id, now: new Date(), key: 'api:C-77' });
    await bot.settle();
    expect(said(waiter, PROMOTED)).toHaveLength(1);
    expect(said(next, PROMOTED)).toHaveLength(0);
  });
});

describe('a capacity raise through the admin API', () => {
  it('when a PATCH raising capacity fails between moving the first waiting person into a seat and confirming them, then the same request again (same Idempotency-Key) confirms them and they are told once', async () => {
    const { id, holder, waiter, next } = await fullTraining();
    const token = (await new ApiTokens(bot.rt.models).create('seats', 'admin')).token;
    const patch = () => request(bot.web.app).patch(`/api/v1/trainings/${id}`).set('authorization', `Bearer ${token}`).set('idempotency-key', 'raise-1').send({ capacity: 2 });
    fault = failWrite(bot.rt.models, 3);
    expect((await patch()).status).toBe(500);
    expect(fault.fired).toBe(true);
    fault.disarm();
    for (let i = 0; i < 2; i++) expect((await patch()).status).toBe(200);
    await bot.settle();
    expect(said(waiter, PROMOTED)).toHaveLength(1);
    expect(said(next, PROMOTED)).toHaveLength(0);
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t?.seatsTaken).toBe(2);
    expect([...(t?.seats ?? [])].sort()).toEqual([holder.id, waiter.id].sort());
    expect(t?.waitlist).toEqual([next.id]);
    expect((await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: waiter.id }).lean())?.status).toBe('confirmed');
  });
});
