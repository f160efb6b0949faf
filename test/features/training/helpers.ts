import { connectDatabase, type DatabaseHandle } from '../../../src/core/db/connection.js';
import { ensureIndexes } from '../../../src/core/db/models.js';
import { createTrainingModels, type TrainingDoc, type TrainingModels } from '../../../src/core/db/schemas/training.js';
import { freshDatabase, type FreshDatabase } from '../../support/db.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface TrainingTestDb {
  fresh: FreshDatabase;
  db: DatabaseHandle;
  models: TrainingModels;
  close(): Promise<void>;
}

/** A fresh database for this test file, with the training models and their indexes. */
export async function openTrainingDb(label: string): Promise<TrainingTestDb> {
  const fresh = await freshDatabase(label);
  const db = await connectDatabase(fresh.uri);
  const models = createTrainingModels(db.conn);
  await ensureIndexes(models);
  return {
    fresh,
    db,
    models,
    close: async () => {
      await db.close();
      await fresh.drop();
    },
  };
}

let counter = 0;

/** Inserts a training; defaults: onsite in Chiang Mai, starting in 10 days, deadline in 7 days, 10 seats. */
export async function addTraining(
  models: TrainingModels,
  now: Date,
  over: Partial<Omit<TrainingDoc, '_id'>> = {},
): Promise<string> {
  counter++;
  const startsAt = over.startsAt ?? new Date(now.getTime() + 10 * DAY);
  const doc = await models.Training.create({
    code: `TT-TEST-${String(counter).padStart(3, '0')}-${Math.random().toString(36).slice(2, 6)}`,
    title: { th: `อบรมทดสอบ ${counter}`, en: `Test training ${counter}` },
    topic: 'tiktok_shop',
    mode: 'onsite',
    provinceCode: '50',
    provinceName: { th: 'เชียงใหม่', en: 'Chiang Mai' },
    venue: { th: 'ห้องประชุมศาลากลาง', en: 'City Hall meeting room' },
    endsAt: new Date(startsAt.getTime() + 7 * HOUR),
    capacity: 10,
    seatsTaken: 0,
    waitlist: [],
    waitingCount: 0,
    signupDeadline: new Date(now.getTime() + 7 * DAY),
    office: { th: 'สำนักงานพัฒนาชุมชนจังหวัดเชียงใหม่', en: 'Chiang Mai Provincial Community Development Office' },
    status: 'open',
    createdAt: now,
    ...over,
    startsAt,
  });
  return String(doc._id);
}
