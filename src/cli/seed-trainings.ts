/**
 * Loads the sample trainings (src/features/training/sample-trainings.ts) for local use:
 *
 *   npm run build && node dist/src/cli/seed-trainings.js      (npm script: seed:trainings)
 *
 * Database: MONGODB_URI when set; otherwise the embedded database in DATA_DIR (default `.data`),
 * like `npm start`. The embedded database allows one process at a time: stop the bot first, or
 * point MONGODB_URI at the server it logged at start-up. Running the seed again updates the
 * samples in place (dates move along with today), it never duplicates them.
 */
import { loadDotEnv } from '../config/dotenv.js';
import { connectDatabase } from '../core/db/connection.js';
import { ensureIndexes } from '../core/db/models.js';
import { createTrainingModels } from '../core/db/schemas/training.js';
import { seedTrainings } from '../features/training/seed.js';
import { openDatabaseUri } from './open-database.js';

async function main(): Promise<void> {
  loadDotEnv(); // the same .env the bot reads
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
  const { uri, embedded } = await openDatabaseUri(process.env, log);
  try {
    const db = await connectDatabase(uri);
    try {
      const models = createTrainingModels(db.conn);
      await ensureIndexes(models);
      const r = await seedTrainings(models, { now: new Date() });
      log(`sample trainings: ${r.inserted} added, ${r.updated} updated (${r.codes.join(', ')})`);
    } finally {
      await db.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed-trainings failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
