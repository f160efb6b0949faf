import type { Models } from '../core/db/models.js';

export type TaskStatus = 'done' | 'help' | 'later';

export interface JourneyProgress {
  steps: Record<string, { status: TaskStatus; at: Date }>;
  completedAt?: Date;
}

/**
 * Checklist progress per user and journey (TikTok Shop, Lazada), kept apart from the session so
 * it outlives session expiry and officers can see where producers are.
 */
export class ProgressStore {
  constructor(private readonly models: Models) {}

  async get(userId: string, flowId: string): Promise<JourneyProgress> {
    const doc = await this.models.JourneyProgress.findById(`${flowId}:${userId}`).lean();
    return { steps: (doc?.steps as JourneyProgress['steps']) ?? {}, completedAt: doc?.completedAt ?? undefined };
  }

  async mark(userId: string, flowId: string, stepId: string, status: TaskStatus, at: Date): Promise<void> {
    await this.models.JourneyProgress.updateOne(
      { _id: `${flowId}:${userId}` },
      { $set: { [`steps.${stepId}`]: { status, at }, userId, flowId, updatedAt: at }, $setOnInsert: { startedAt: at } },
      { upsert: true },
    );
  }

  async complete(userId: string, flowId: string, at: Date, result: Record<string, unknown> = {}): Promise<void> {
    await this.models.JourneyProgress.updateOne(
      { _id: `${flowId}:${userId}` },
      { $set: { completedAt: at, result, userId, flowId, updatedAt: at }, $setOnInsert: { startedAt: at } },
      { upsert: true },
    );
  }

  async forget(userId: string): Promise<void> {
    await this.models.JourneyProgress.deleteMany({ userId });
  }
}
