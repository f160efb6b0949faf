/**
 * Local mode starts with something to try: when the database has no trainings at all, the sample
 * trainings (src/features/training/sample-trainings.ts, the same as `npm run seed:trainings`) are
 * added, so "สมัครอบรม" in the simulator lists courses. A database that has trainings is left alone.
 */
import type { Models } from '../src/core/db/models.js';
import { seedTrainings } from '../src/features/training/seed.js';

export async function seedLocalSamples(models: Models, now: Date = new Date()): Promise<{ trainings: number }> {
  if ((await models.Training.countDocuments({})) > 0) return { trainings: 0 };
  const r = await seedTrainings(models, { now });
  return { trainings: r.inserted };
}
