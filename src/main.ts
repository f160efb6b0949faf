import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/env.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './core/db/embedded.js';
import { createLogger, type Logger } from './core/logger.js';
import { projectRoot } from './core/paths.js';
import { createRuntime } from './app/runtime.js';
import { createWebApp } from './app/web.js';
import { startWorker } from './app/worker.js';
import { housekeepingJobs } from './jobs/housekeeping.js';

type Role = 'web' | 'worker' | 'all';

/**
 * Entry point: `node dist/src/main.js [web|worker|all]` (Procfile runs web and worker apart;
 * `npm start` runs both in one process on the embedded database).
 */
async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!['web', 'worker', 'all'].includes(role)) fail(`unknown role "${role}" (use web, worker or all)`);

  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);

  let embedded: EmbeddedDatabase | undefined;
  let mongoUri = config.MONGODB_URI;
  if (!mongoUri) {
    const dataDir = resolve(projectRoot, config.DATA_DIR);
    embedded = await startEmbeddedDatabase({
      dataDir,
      cacheDir: join(projectRoot, '.cache'),
      projectRoot,
      onLog: (msg) => logger.info(msg),
    });
    mongoUri = embedded.uri;
  }

  const rt = await createRuntime({ config, logger, mongoUri });
  const web = role === 'worker' ? undefined : createWebApp(rt);
  const worker = role === 'web' ? undefined : startWorker(rt, housekeepingJobs);
  if (web) {
    await web.listen(config.PORT, config.HOST);
    web.startSweeper();
    logger.info({ port: config.PORT, role }, 'listening for LINE webhooks on /webhook');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    force.unref();
    await web?.stop();
    await worker?.stop();
    await rt.close();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

main().catch((err: unknown) => {
  const log: Logger = createLogger('error');
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'start-up failed');
  process.exit(1);
});
