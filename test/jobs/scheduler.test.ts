import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../../src/app/worker.js';
import type { Job } from '../../src/jobs/housekeeping.js';
import { JobRuns, jobRunId } from '../../src/jobs/job-runs.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('scheduler');
});
afterAll(async () => {
  await bot?.close();
});

function countingJob(name: string, schedule = '*/5 * * * *', work = async () => undefined as void) {
  const calls: string[] = [];
  const job: Job = {
    name,
    schedule,
    async run(_rt, at) {
      calls.push(at.toISOString());
      await work();
      return { n: calls.length };
    },
  };
  return { job, calls };
}

describe('the scheduler', () => {
  it('when two workers fire the same tick, then the job runs once and the run is recorded with its counts', async () => {
    const { job, calls } = countingJob('two-workers', '* * * * *', () => new Promise((r) => setTimeout(r, 50)));
    const a = startWorker(bot.rt, [job], { schedule: false });
    const b = startWorker(bot.rt, [job], { schedule: false });
    const at = new Date('2026-03-01T02:00:00.000Z');
    const results = await Promise.all([a.tick('two-workers', at), b.tick('two-workers', at), a.tick('two-workers', at)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(calls).toEqual([at.toISOString()]);
    const run = await bot.rt.models.JobRun.findById(jobRunId('two-workers', at)).lean();
    expect(run).toMatchObject({ status: 'done', counts: { n: 1 }, job: 'two-workers' });
    expect(run!.endedAt).toBeInstanceOf(Date);
    await a.stop();
    await b.stop();
  });

  it('when a job fails, then its run is recorded as failed with the error', async () => {
    const job: Job = { name: 'failing', schedule: '* * * * *', run: () => Promise.reject(new Error('boom')) };
    const w = startWorker(bot.rt, [job], { schedule: false });
    const at = new Date('2026-03-01T02:01:00.000Z');
    expect(await w.tick('failing', at)).toBe(true);
    expect(await bot.rt.models.JobRun.findById(jobRunId('failing', at)).lean()).toMatchObject({ status: 'failed', error: 'boom' });
    await w.stop();
  });

  it('when a worker was down for several ticks, then on start the latest missed tick runs once, not one per missed tick', async () => {
    const { job, calls } = countingJob('catch-up', '0 * * * *'); // hourly, on the hour (Bangkok)
    let clock = new Date('2026-03-01T01:00:00.000Z');
    const first = startWorker(bot.rt, [job], { schedule: false, now: () => clock });
    await first.tick('catch-up', clock);
    await first.stop();
    // Down from 01:00 to 05:30 UTC: ticks at 02, 03, 04 and 05 were missed.
    clock = new Date('2026-03-01T05:30:00.000Z');
    const second = startWorker(bot.rt, [job], { schedule: false, now: () => clock });
    await second.catchUp();
    await second.catchUp();
    const third = startWorker(bot.rt, [job], { schedule: false, now: () => clock });
    await third.catchUp();
    expect(calls).toEqual(['2026-03-01T01:00:00.000Z', '2026-03-01T05:00:00.000Z']);
    await second.stop();
    await third.stop();
  });

  it('when a worker is killed during a tick, then after its lease another worker takes the tick over once', async () => {
    const { job, calls } = countingJob('resume');
    const at = new Date('2026-03-01T03:00:00.000Z');
    let clock = new Date('2026-03-01T03:00:01.000Z');
    // The killed worker: it claimed the tick and never finished it.
    const dead = new JobRuns(bot.rt.models, 'dead-worker', 60_000, () => clock);
    expect(await dead.claim('resume', at)).toBe(true);
    const w = startWorker(bot.rt, [job], { schedule: false, now: () => clock, leaseMs: 60_000 });
    await w.catchUp();
    expect(calls).toEqual([]); // the lease still holds
    clock = new Date('2026-03-01T03:02:00.000Z');
    const other = startWorker(bot.rt, [job], { schedule: false, now: () => clock, leaseMs: 60_000 });
    await Promise.all([w.catchUp(), other.catchUp()]);
    expect(calls).toEqual([at.toISOString()]);
    const run = await bot.rt.models.JobRun.findById(jobRunId('resume', at)).lean();
    expect(run).toMatchObject({ status: 'done', attempts: 2 });
    await w.stop();
    await other.stop();
  });

  it('when node-cron fires, then the tick is claimed through job_runs', async () => {
    const { job, calls } = countingJob('every-second', '* * * * * *');
    const w = startWorker(bot.rt, [job]);
    await new Promise((r) => setTimeout(r, 2_500));
    await w.stop();
    // Ticks are per scheduled minute: a per-second pattern still runs at most once a minute.
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(await bot.rt.models.JobRun.countDocuments({ job: 'every-second' })).toBe(calls.length);
  });
});
