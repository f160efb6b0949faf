/**
 * Replays webhook events that failed after their last attempt (their payload is kept sealed for
 * FAILED_EVENT_KEEP_DAYS):
 *
 *   npm run replay -- <eventId> [<eventId> …]     or     npm run replay -- --all
 *
 * Needs MONGODB_URI (the bot's database) and the bot's DATA_ENCRYPTION_KEY (or, in development,
 * DATA_DIR/dev-encryption.key). A running web process picks the events up within
 * INBOX_SWEEP_SECONDS and answers by push.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectDatabase } from '../core/db/connection.js';
import { createModels } from '../core/db/models.js';
import { Sealer } from '../core/crypto.js';
import { projectRoot } from '../core/paths.js';
import { replayFailedEvents } from '../inbox/replay.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 0) throw new Error('usage: npm run replay -- <eventId> … | --all');
  const uri = process.env['MONGODB_URI']?.trim();
  if (!uri) throw new Error('MONGODB_URI is required (the database the bot uses)');
  const key =
    process.env['DATA_ENCRYPTION_KEY']?.trim() ||
    readFileSync(join(resolve(projectRoot, process.env['DATA_DIR']?.trim() || '.data'), 'dev-encryption.key'), 'utf8').trim();
  const db = await connectDatabase(uri);
  try {
    const r = await replayFailedEvents(createModels(db.conn), new Sealer(key), args.includes('--all') ? 'all' : args);
    process.stdout.write(`replayed ${r.replayed.length}: ${r.replayed.join(', ') || '-'}\n`);
    if (r.missing.length) process.stdout.write(`not replayable (unknown, not failed, or payload expired): ${r.missing.join(', ')}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`replay failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
