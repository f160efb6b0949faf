import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Reads `.env` from the working directory into process.env, as Node's --env-file-if-exists does,
 * but from code so every entry point (Procfile, npm scripts, CLIs) gets it. Variables already set
 * in the environment win over the file (a platform's settings override a checked-out .env).
 * Returns the file read, if any.
 */
export function loadDotEnv(dir = process.cwd()): string | undefined {
  const file = resolve(dir, '.env');
  if (!existsSync(file)) return undefined;
  process.loadEnvFile(file);
  return file;
}
