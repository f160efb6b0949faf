import type { Models } from '../core/db/models.js';

export interface JobRunDoc {
  _id: string;
  job: string;
  scheduledAt: Date;
  status: 'running' | 'done' | 'failed';
  owner: string;
  startedAt: Date;
  leaseUntil: Date;
  endedAt?: Date;
  counts?: Record<string, unknown>;
  error?: string;
  attempts: number;
}

/** `<job>@<scheduled ISO time, to the minute>`: the identity of one tick of one job. */
export const jobRunId = (job: string, scheduledAt: Date) => `${job}@${minute(scheduledAt).toISOString()}`;

export const minute = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);

/**
 * The record of every job tick (collection job_runs). Claiming a tick is inserting its document
 * (unique _id), so two workers never run the same tick; a tick whose holder died (lease expired
 * while still "running") can be taken over once by the next worker that looks.
 */
export class JobRuns {
  constructor(
    private readonly models: Models,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** True when this worker now holds the tick (fresh, or taken over from a dead holder). */
  async claim(job: string, scheduledAt: Date): Promise<boolean> {
    const _id = jobRunId(job, scheduledAt);
    const now = this.now();
    try {
      await this.models.JobRun.create({
        _id,
        job,
        scheduledAt: minute(scheduledAt),
        status: 'running',
        owner: this.owner,
        startedAt: now,
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        attempts: 1,
      });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    return this.takeOver(_id);
  }

  /** Takes over a tick left "running" by a holder whose lease ran out (killed worker). */
  async takeOver(_id: string): Promise<boolean> {
    const now = this.now();
    const held = await this.models.JobRun.findById(_id).lean<JobRunDoc>();
    if (!held || held.status !== 'running' || held.leaseUntil.getTime() >= now.getTime()) return false;
    // Conditional on the exact lease seen: of two workers racing, only one matches.
    const r = await this.models.JobRun.updateOne(
      { _id, owner: held.owner, leaseUntil: held.leaseUntil, status: 'running' },
      { $set: { owner: this.owner, leaseUntil: new Date(now.getTime() + this.leaseMs), startedAt: now }, $inc: { attempts: 1 } },
    );
    return r.modifiedCount === 1;
  }

  async renew(job: string, scheduledAt: Date): Promise<void> {
    await this.models.JobRun.updateOne(
      { _id: jobRunId(job, scheduledAt), owner: this.owner },
      { $set: { leaseUntil: new Date(this.now().getTime() + this.leaseMs) } },
    );
  }

  async finish(job: string, scheduledAt: Date, outcome: { counts?: Record<string, unknown>; error?: string }): Promise<void> {
    await this.models.JobRun.updateOne(
      { _id: jobRunId(job, scheduledAt), owner: this.owner },
      {
        $set: {
          status: outcome.error ? 'failed' : 'done',
          endedAt: this.now(),
          ...(outcome.counts ? { counts: outcome.counts } : {}),
          ...(outcome.error ? { error: outcome.error.slice(0, 500) } : {}),
        },
      },
    );
  }

  /** Ticks of `job` left running by a dead holder. */
  async abandoned(job: string): Promise<JobRunDoc[]> {
    return this.models.JobRun.find({ job, status: 'running', leaseUntil: { $lt: this.now() } }).lean<JobRunDoc[]>();
  }

  async latest(job: string): Promise<JobRunDoc | null> {
    return this.models.JobRun.findOne({ job }).sort({ scheduledAt: -1 }).lean<JobRunDoc>();
  }

  async list(job: string): Promise<JobRunDoc[]> {
    return this.models.JobRun.find({ job }).sort({ scheduledAt: 1 }).lean<JobRunDoc[]>();
  }

  /** Retention: finished runs older than `before`. */
  async purge(before: Date): Promise<number> {
    const r = await this.models.JobRun.deleteMany({ status: { $in: ['done', 'failed'] }, scheduledAt: { $lt: before } });
    return r.deletedCount;
  }
}
