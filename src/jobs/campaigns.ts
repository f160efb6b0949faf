import type { Job } from './housekeeping.js';

/** Campaign delivery: starts due campaigns and resumes running ones (deferred, paused, killed). */
export const campaignJobs: Job[] = [
  {
    name: 'campaigns',
    schedule: '* * * * *',
    async run(rt) {
      const r = await rt.delivery.runDue();
      return { campaigns: r.campaigns, done: r.outcomes.filter((o) => o.result === 'done').length };
    },
  },
  {
    // Automatic reminders (flows/_reminders.yaml): each at most once per rule, occasion and person.
    name: 'reminders',
    schedule: '*/15 * * * *',
    async run(rt) {
      return rt.reminders.run();
    },
  },
];
