import cron, { type ScheduledTask } from 'node-cron';
import { newOwnerId } from '../inbox/processor.js';
import type { Job } from '../jobs/housekeeping.js';
import { JobRuns, minute } from '../jobs/job-runs.js';
import type { Runtime } from './runtime.js';

export const TIME_ZONE = 'Asia/Bangkok';

export interface WorkerOptions {
  /** How long a claimed tick stays ours without renewal (a killed worker's tick is retaken after it). */
  leaseMs?: number;
  /** How far back missed ticks are looked for at start-up. */
  catchUpHours?: number;
  now?: () => Date;
  /** Tests drive ticks themselves. */
  schedule?: boolean;
}

export interface Worker {
  /** Runs a job now, outside the schedule (tests, operators). */
  runNow(name: string): Promise<Record<string, unknown> | void>;
  /** Runs the tick of `name` scheduled at `at` unless another worker has claimed it; false then. */
  tick(name: string, at: Date): Promise<boolean>;
  /** Resumes abandoned ticks and runs the latest missed tick of every job once. */
  catchUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Scheduled jobs in Asia/Bangkok time. Every tick is claimed and recorded in job_runs (unique job +
 * scheduled minute), so with several worker processes a tick runs once; a tick left running by a
 * killed worker is taken over after its lease; after downtime only the latest missed tick runs.
 */
export function startWorker(rt: Runtime, jobs: readonly Job[], opts: WorkerOptions = {}): Worker {
  const log = rt.logger.child({ module: 'worker' });
  const now = opts.now ?? (() => new Date());
  const leaseMs = opts.leaseMs ?? 5 * 60_000;
  const runs = new JobRuns(rt.models, newOwnerId(), leaseMs, now);
  const running = new Set<Promise<unknown>>();
  const byName = new Map(jobs.map((j) => [j.name, j]));
  let stopped = false;
  // Workers deliver the outbox too (campaigns, reminders), also when no web process runs.
  rt.drainer.start();

  const execute = async (job: Job, scheduledAt: Date) => {
    const started = Date.now();
    try {
      const result = await job.run(rt, scheduledAt);
      log.info({ job: job.name, ms: Date.now() - started, ...(result ?? {}) }, 'job finished');
      return result;
    } catch (err) {
      log.error({ job: job.name, err: (err as Error).message }, 'job failed');
      throw err;
    }
  };

  const track = async <T>(p: Promise<T>): Promise<T> => {
    running.add(p);
    try {
      return await p;
    } finally {
      running.delete(p);
    }
  };

  /** Runs a tick this worker holds, renewing its lease while it runs and recording the outcome. */
  const runClaimed = async (job: Job, scheduledAt: Date) => {
    const renew = setInterval(() => void runs.renew(job.name, scheduledAt).catch(() => undefined), Math.max(1_000, leaseMs / 3));
    renew.unref();
    try {
      const counts = (await execute(job, scheduledAt)) ?? undefined;
      await runs.finish(job.name, scheduledAt, { counts });
    } catch (err) {
      await runs.finish(job.name, scheduledAt, { error: (err as Error).message }).catch(() => undefined);
    } finally {
      clearInterval(renew);
    }
  };

  const tick = async (name: string, at: Date): Promise<boolean> => {
    const job = byName.get(name);
    if (!job || stopped) return false;
    if (!(await runs.claim(name, at))) return false; // another worker has this tick
    await track(runClaimed(job, minute(at)));
    return true;
  };

  const tasks: ScheduledTask[] =
    opts.schedule === false
      ? []
      : jobs.map((job) =>
          cron.schedule(
            job.schedule,
            async (ctx) => {
              try {
                await tick(job.name, ctx.date);
                // A tick left by a killed worker is picked up by the next tick of the same job.
                for (const left of await runs.abandoned(job.name)) {
                  if (await runs.takeOver(left._id)) await track(runClaimed(job, left.scheduledAt));
                }
              } catch (err) {
                log.error({ job: job.name, err: (err as Error).message }, 'could not claim job tick');
              }
            },
            { timezone: TIME_ZONE, name: job.name, noOverlap: true },
          ),
        );

  const catchUp = async () => {
    const horizon = (opts.catchUpHours ?? 48) * 60;
    for (const job of jobs) {
      for (const left of await runs.abandoned(job.name)) {
        if (await runs.takeOver(left._id)) await track(runClaimed(job, left.scheduledAt));
      }
      const last = await runs.latest(job.name);
      if (!last) continue; // never ran here: nothing was missed
      const matcher = cron.createTask(job.schedule, () => undefined, { timezone: TIME_ZONE });
      const t = minute(now());
      let missed: Date | undefined;
      for (let i = 0; i < horizon; i++) {
        const at = new Date(t.getTime() - i * 60_000);
        if (at.getTime() <= last.scheduledAt.getTime()) break;
        if (matcher.match(at)) {
          missed = at;
          break;
        }
      }
      await matcher.destroy();
      // Only the latest missed tick: a job catches up once, not once per tick it missed.
      if (missed) {
        log.info({ job: job.name, scheduledAt: missed.toISOString() }, 'catching up a missed tick');
        await tick(job.name, missed);
      }
    }
  };

  if (opts.schedule !== false) {
    void catchUp().catch((err: unknown) => log.error({ err: (err as Error).message }, 'catch-up failed'));
  }
  log.info({ jobs: jobs.map((j) => `${j.name} (${j.schedule})`) }, 'worker started');

  return {
    async runNow(name) {
      const job = byName.get(name);
      if (!job) throw new Error(`no job named ${name}`);
      return execute(job, now());
    },
    tick,
    catchUp,
    async stop() {
      stopped = true;
      for (const t of tasks) await t.stop();
      await Promise.allSettled([...running]);
      for (const t of tasks) await t.destroy();
    },
  };
}
