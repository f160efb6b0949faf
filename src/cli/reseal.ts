/**
 * Re-seals every sealed value with the primary key (key rotation):
 *
 *   npm run reseal          (node dist/src/cli/reseal.js)
 *
 * Rotation: put the new key in DATA_ENCRYPTION_KEY and the old one in DATA_ENCRYPTION_KEYS,
 * restart the processes (they now seal with the new key and still read the old), run this, and
 * once it reports "0 unreadable" remove the old key from DATA_ENCRYPTION_KEYS. Safe to run again.
 * Reads MONGODB_URI, DATA_ENCRYPTION_KEY and DATA_ENCRYPTION_KEYS (from the environment or .env).
 */
import { loadDotEnv } from '../config/dotenv.js';
import { Sealer } from '../core/crypto.js';
import { connectDatabase } from '../core/db/connection.js';
import { createModels } from '../core/db/models.js';
import { resealAll } from '../features/keys/reseal.js';

async function main(): Promise<void> {
  loadDotEnv();
  const problems: string[] = [];
  const uri = process.env['MONGODB_URI']?.trim();
  const key = process.env['DATA_ENCRYPTION_KEY']?.trim();
  const older = (process.env['DATA_ENCRYPTION_KEYS'] ?? '').split(/[\s,]+/).filter(Boolean);
  if (!uri) problems.push('MONGODB_URI is required');
  if (!key) problems.push('DATA_ENCRYPTION_KEY is required (the new primary key)');
  if (problems.length) throw new Error(problems.join('; '));
  const sealer = new Sealer(key!, older);
  const db = await connectDatabase(uri!);
  try {
    const r = await resealAll(createModels(db.conn), sealer);
    process.stdout.write(`reseal: ${r.resealed} re-sealed with key ${sealer.primaryKeyId}, ${r.current} already current, ${r.unreadable.length} unreadable\n`);
    for (const u of r.unreadable) process.stdout.write(`  unreadable: ${u.collection} ${u.field}: ${u.reason}\n`);
    if (r.unreadable.length) process.exitCode = 2;
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`reseal failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
