import { join, resolve } from 'node:path';
import { projectRoot } from '../core/paths.js';

type EmbeddedDatabase = import('../../dev/embedded-db.js').EmbeddedDatabase;

/**
 * The database a command-line tool works on: MONGODB_URI when set; otherwise the embedded database
 * in DATA_DIR (default `.data`), as `npm start` does (one process at a time: stop the bot first, or
 * point MONGODB_URI at the server it logged at start-up).
 */
export async function openDatabaseUri(env: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<{ uri: string; embedded?: EmbeddedDatabase }> {
  const fromEnv = env['MONGODB_URI']?.trim();
  if (fromEnv) {
    if (!/^mongodb(\+srv)?:\/\//.test(fromEnv)) throw new Error('MONGODB_URI must start with mongodb:// or mongodb+srv://');
    return { uri: fromEnv };
  }
  const { startEmbeddedDatabase } = await import('../../dev/embedded-db.js');
  const embedded = await startEmbeddedDatabase({
    dataDir: resolve(projectRoot, env['DATA_DIR']?.trim() || '.data'),
    cacheDir: join(projectRoot, '.cache'),
    projectRoot,
    onLog: log,
  });
  return { uri: embedded.uri, embedded };
}
