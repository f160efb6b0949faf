import { join, resolve } from 'node:path';
import { loadDotEnv } from './config/dotenv.js';
import { ConfigError, loadConfig, type Config } from './config/env.js';
import { startMetricsServer } from './app/metrics-server.js';
import { createLogger, type Logger } from './core/logger.js';
import { projectRoot } from './core/paths.js';
import { createRuntime } from './app/runtime.js';
import { createWebApp } from './app/web.js';
import { startWorker } from './app/worker.js';
import { housekeepingJobs } from './jobs/housekeeping.js';
import { campaignJobs } from './jobs/campaigns.js';
import { localModeWanted } from './config/mode.js';

// Dev tools (LINE stand-in, simulator, embedded database) are loaded only when used, so a
// production-only install (npm ci --omit=dev) never needs their dependencies.
type EmbeddedDatabase = import('../dev/embedded-db.js').EmbeddedDatabase;

type Role = 'web' | 'worker' | 'all';

/**
 * Entry point: `node dist/src/main.js [web|worker|all]` (Procfile runs web and worker apart;
 * `npm start` runs both in one process on the embedded database).
 *
 * Local mode: `all` with neither LINE_CHANNEL_SECRET nor LINE_CHANNEL_ACCESS_TOKEN set, and
 * NODE_ENV not production, starts a LINE stand-in (dev/standin.ts) with generated
 * credentials and serves the chat simulator at /simulator. Everything else is unchanged.
 */
async function main(): Promise<void> {
  // .env in the working directory, under what the environment already sets (see .env.example).
  loadDotEnv();
  const role = (process.argv[2] ?? 'all') as Role;
  if (!['web', 'worker', 'all'].includes(role)) fail(`unknown role "${role}" (use web, worker or all)`);

  // Local mode: no LINE account needed; the stand-in plays LINE (the bot's code path is unchanged).
  const local = role === 'all' && localModeWanted(process.env) ? await (await import('../dev/standin.js')).LocalLine.start({}, process.env) : undefined;

  let config: Config;
  try {
    config = loadConfig(local ? local.configEnv(process.env) : process.env, { localMode: Boolean(local) });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // Simulated users and their chats survive restarts (delete the file to start afresh).
  const simulatorWarning = local?.useStateFile(resolve(projectRoot, config.DATA_DIR, 'simulator.json'));
  if (simulatorWarning) logger.warn(simulatorWarning);

  let embedded: EmbeddedDatabase | undefined;
  let mongoUri = config.MONGODB_URI;
  if (!mongoUri) {
    const dataDir = resolve(projectRoot, config.DATA_DIR);
    const { startEmbeddedDatabase } = await import('../dev/embedded-db.js');
    embedded = await startEmbeddedDatabase({
      dataDir,
      cacheDir: join(projectRoot, '.cache'),
      projectRoot,
      onLog: (msg) => logger.info(msg),
    });
    mongoUri = embedded.uri;
  }

  const rt = await createRuntime({ config, logger, mongoUri });
  if (local) {
    const { seedLocalSamples } = await import('../dev/sample-data.js');
    const seeded = await seedLocalSamples(rt.models);
    if (seeded.trainings > 0) logger.info({ trainings: seeded.trainings }, 'local mode: added the sample trainings to the empty database');
    // The stand-in starts empty: give it the rich menus, as `npm run admin -- richmenu:sync` does for LINE.
    await syncLocalRichMenus(rt).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'local mode: rich menus not synced'));
  }
  const metricsServer = config.METRICS_PORT ? await startMetricsServer(rt.metrics, config.METRICS_PORT, config.METRICS_HOST, logger) : undefined;
  if (metricsServer) logger.info({ port: config.METRICS_PORT, host: config.METRICS_HOST }, 'metrics on /metrics');
  const web = role === 'worker' ? undefined : createWebApp(rt);
  const simulator = local ? await import('../dev/simulator/router.js') : undefined;
  if (web && local && simulator) simulator.mountSimulator(web.app, local);
  const worker = role === 'web' ? undefined : startWorker(rt, [...housekeepingJobs, ...campaignJobs]);
  if (web) {
    const server = await web.listen(config.PORT, config.HOST);
    web.startSweeper();
    logger.info({ port: config.PORT, role }, 'listening for LINE webhooks on /webhook');
    if (local) {
      const { origin } = local.attach(server, config.HOST);
      const page = `${origin}${simulator?.SIMULATOR_PATH ?? '/simulator'}`;
      logger.info({ simulator: page, lineStandIn: local.apiUrl }, `local mode (no LINE credentials): simulator: ${page}`);
      if (process.stderr.isTTY) process.stderr.write(`\n  LINE chat simulator: ${page}\n\n`);
    }
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
    local?.endStreams(); // open simulator pages would keep the web server from closing
    await web?.stop();
    metricsServer?.close();
    await worker?.stop();
    await rt.close();
    await local?.close();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  // A failure while stopping still ends the process (with 1), never an unhandled rejection.
  const stop = (signal: string) =>
    void shutdown(signal).catch((err: unknown) => {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
      process.exit(1);
    });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function syncLocalRichMenus(rt: import('./app/runtime.js').Runtime): Promise<void> {
  const { syncRichMenus } = await import('./features/richmenu/sync.js');
  const officers = await rt.models.Officer.find({ status: 'active', lineUserId: { $exists: true } }, { lineUserId: 1 }).lean();
  await syncRichMenus(rt.richMenus, rt.translator, officers.map((o) => o.lineUserId ?? '').filter(Boolean));
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
