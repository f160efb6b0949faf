import type { Runtime } from '../app/runtime.js';
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
