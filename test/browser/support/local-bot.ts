/**
 * The bot in local mode, in-process, wired as src/main.ts wires it when `npm start` finds no LINE
 * credentials: the LINE stand-in with generated credentials, the real runtime and express app, the
 * simulator mounted at /simulator, webhooks signed to the bot's own /webhook, the sample trainings
 * in the empty database. Each call gets a fresh database (test/support/db.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/env.js';
import { createLogger } from '../../../src/core/logger.js';
import { createRuntime, type Runtime } from '../../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../../src/app/web.js';
import { LocalLine } from '../../../dev/standin.js';
import { mountSimulator, SIMULATOR_PATH } from '../../../dev/simulator/router.js';
import { seedLocalSamples } from '../../../dev/sample-data.js';
import { syncRichMenus } from '../../../src/features/richmenu/sync.js';
import { freshDatabase, type FreshDatabase } from '../../support/db.js';

export interface LocalBot {
  local: LocalLine;
  rt: Runtime;
  web: WebApp;
  db: FreshDatabase;
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** e.g. http://127.0.0.1:41234/simulator */
  simulatorUrl: string;
  close(): Promise<void>;
}

export async function startLocalBot(label: string, env: Record<string, string> = {}): Promise<LocalBot> {
  const base: NodeJS.ProcessEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
    ...env,
  };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'otopbot-local-'));
  const local = await LocalLine.start({}, base);
  const db = await freshDatabase(label);
  const config = loadConfig(local.configEnv({ ...base, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }), { localMode: true });
  const rt = await createRuntime({ config, logger: createLogger(config.LOG_LEVEL), mongoUri: db.uri, gateway: { baseDelayMs: 10 } });
  await seedLocalSamples(rt.models);
  // As src/main.ts does in local mode: the stand-in gets the rich menus.
  await syncRichMenus(rt.richMenus, rt.translator, []);
  const web = createWebApp(rt);
  mountSimulator(web.app, local);
  const server = await web.listen(0, '127.0.0.1');
  const origin = new URL(local.attach(server, '127.0.0.1').webhookUrl).origin;
  return {
    local,
    rt,
    web,
    db,
    origin,
    simulatorUrl: `${origin}${SIMULATOR_PATH}`,
    async close() {
      local.endStreams();
      await web.stop();
      await rt.close();
      await local.close();
      await db.drop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
