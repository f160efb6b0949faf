import type { Runtime } from '../app/runtime.js';
import { reconcileSeats } from '../features/training/seat-reconciler.js';
import { JobRuns } from './job-runs.js';

/** A scheduled job: a cron pattern in Asia/Bangkok time and what to run. */
export interface Job {
  name: string;
  schedule: string;
  run(rt: Runtime, firedAt: Date): Promise<Record<string, unknown> | void>;
}

export const housekeepingJobs: Job[] = [
  {
    // Dedup only needs recent webhook ids; finished events hold no payload but still take space.
    name: 'purge-inbox',
    schedule: '15 3 * * *',
    async run(rt, firedAt) {
      const before = new Date(firedAt.getTime() - rt.config.INBOX_RETENTION_DAYS * 86_400_000);
      return { deleted: await rt.inbox.purgeFinished(before) };
    },
  },
  {
    // Settled outbox items are kept a while for operators and metrics, then forgotten.
    name: 'purge-outbox',
    schedule: '25 3 * * *',
    async run(rt, firedAt) {
      const before = new Date(firedAt.getTime() - rt.config.INBOX_RETENTION_DAYS * 86_400_000);
      return { deleted: await rt.outbox.purgeSettled(before) };
    },
  },
  {
    // Seat counts and waiting lists put back in line with the sign-ups (what a crash can break).
    name: 'reconcile-seats',
    schedule: '*/10 * * * *',
    async run(rt, firedAt) {
      const r = await reconcileSeats(rt.models, firedAt, rt.notifyPromoted);
      // What was fixed, per training (code, counts before and after): for the operator.
      if (r.fixed.length) rt.logger.warn({ fixed: r.fixed }, 'training seats repaired');
      return {
        checked: r.checked,
        fixed: r.fixed.length,
        busy: r.busy,
        promoted: r.fixed.reduce((n, f) => n + f.promoted, 0),
        notified: r.notified,
        trainings: r.fixed.map((f) => ({ code: f.code, before: f.before.seatsTaken, after: f.after.seatsTaken, waitingBefore: f.before.waitingCount, waitingAfter: f.after.waitingCount })),
      };
    },
  },
  {
    name: 'expire-sessions',
    schedule: '5 * * * *',
    async run(rt, firedAt) {
      return { cleared: await rt.sessions.clearExpired(firedAt) };
    },
  },
  {
    // The job-run record is for operators and for claiming ticks; a month of it is plenty.
    name: 'purge-job-runs',
    schedule: '25 3 * * *',
    async run(rt, firedAt) {
      const runs = new JobRuns(rt.models, 'housekeeping', 0);
      return { deleted: await runs.purge(new Date(firedAt.getTime() - 30 * 86_400_000)) };
    },
  },
];
