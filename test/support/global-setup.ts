/**
 * vitest globalSetup: makes one MongoDB-compatible server available to every test file.
 *
 * - MONGODB_URI set: use it as is (nothing is started or stopped).
 * - otherwise: start the embedded database program (dev/embedded-db.ts, the one `npm run db` runs,
 *   as a child process) with its data in a fresh temporary directory (removed at teardown) and the
 *   FerretDB binary cached in <projectRoot>/.cache.
 *
 * Test files read the base URI with `inject('mongoUri')`; test/support/db.ts gives each file its
 * own database on it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDatabase } from '../../dev/embedded-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the test database server (no database name in it). */
    mongoUri: string;
  }
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['MONGODB_URI'];
  if (external) {
    project.provide('mongoUri', external);
    return async () => {};
  }

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'otopbot-test-db-'));
  try {
    const db = await startEmbeddedDatabase({
      dataDir,
      cacheDir: path.join(projectRoot, '.cache'),
      projectRoot,
      onLog: (msg) => console.log(msg),
    });
    project.provide('mongoUri', db.uri);
    return async () => {
      try {
        await db.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
