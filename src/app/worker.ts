import cron, { type ScheduledTask } from 'node-cron';
import { UserLocks } from '../inbox/user-lock.js';
import { newOwnerId } from '../inbox/processor.js';
import type { Job } from '../jobs/housekeeping.js';
import type { Runtime } from './runtime.js';

export const TIME_ZONE = 'Asia/Bangkok';

export interface Worker {
  /** Runs a job now (tests, operators). */
  runNow(name: string): Promise<Record<string, unknown> | void>;
  stop(): Promise<void>;
}

/**
 * Scheduled jobs in Asia/Bangkok time. With several worker processes each firing is claimed
 * through a lease in the database, so a job runs once per firing.
 */
export function startWorker(rt: Runtime, jobs: readonly Job[]): Worker {
  const log = rt.logger.child({ module: 'worker' });
  const leases = new UserLocks(rt.models, newOwnerId(), 10 * 60_000);
  const running = new Set<Promise<unknown>>();
  const byName = new Map(jobs.map((j) => [j.name, j]));
  // Workers deliver the outbox too (campaigns, reminders), also when no web process runs.
  rt.drainer.start();

  const execute = async (job: Job, firedAt: Date) => {
    const started = Date.now();
    try {
      const result = await job.run(rt, firedAt);
      log.info({ job: job.name, ms: Date.now() - started, ...(result ?? {}) }, 'job finished');
      return result;
    } catch (err) {
      log.error({ job: job.name, err: (err as Error).message }, 'job failed');
      throw err;
    }
  };

  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async (ctx) => {
        const firing = `job:${job.name}:${ctx.date.toISOString().slice(0, 16)}`;
        if (!(await leases.acquire(firing))) return; // another worker took this firing
        const p = execute(job, ctx.date).catch(() => undefined);
        running.add(p);
        await p;
        running.delete(p);
      },
      { timezone: TIME_ZONE, name: job.name, noOverlap: true },
    ),
  );
  log.info({ jobs: jobs.map((j) => `${j.name} (${j.schedule})`) }, 'worker started');

  return {
    async runNow(name) {
      const job = byName.get(name);
      if (!job) throw new Error(`no job named ${name}`);
      return execute(job, new Date());
    },
    async stop() {
      for (const t of tasks) await t.stop();
      await Promise.allSettled([...running]);
      for (const t of tasks) await t.destroy();
    },
  };
}
