import { join } from 'node:path';
import type { Config } from '../config/env.js';
import { connectDatabase, type DatabaseHandle } from '../core/db/connection.js';
import { createModels, ensureIndexes, type Models } from '../core/db/models.js';
import { createTranslator, type Translator } from '../core/i18n.js';
import type { Logger } from '../core/logger.js';
import { projectRoot } from '../core/paths.js';
import { createEventHandler } from '../bot/bot.js';
import type { BotServices } from '../bot/context.js';
import { fallbackHelp, lifecycle, type MenuProvider } from '../bot/core-handlers.js';
import { Inbox } from '../inbox/inbox.js';
import { InboxProcessor, newOwnerId } from '../inbox/processor.js';
import { UserLocks } from '../inbox/user-lock.js';
import { LineGateway } from '../line/gateway.js';
import { SessionStore } from '../sessions/session-store.js';

/** Everything a process (web or worker) needs, wired once. */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: DatabaseHandle;
  models: Models;
  translator: Translator;
  gateway: LineGateway;
  sessions: SessionStore;
  inbox: Inbox;
  processor: InboxProcessor;
  services: BotServices;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  mongoUri: string;
  /** Overrides for tests and benchmarks (e.g. faster retries). */
  gateway?: { maxAttempts?: number; baseDelayMs?: number };
}

export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = opts;
  const db = await connectDatabase(opts.mongoUri);
  const models = createModels(db.conn);
  await ensureIndexes(models);

  const translator = await createTranslator(join(projectRoot, 'locales'));
  const gateway = new LineGateway({
    channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN,
    baseURL: config.LINE_API_BASE_URL,
    timeoutMs: config.LINE_REQUEST_TIMEOUT_MS,
    logger,
    ...opts.gateway,
    onFailure: async (f) => {
      await models.DeliveryFailure.create({ ...f, at: new Date() });
    },
  });
  const sessions = new SessionStore(models, config.SESSION_IDLE_DAYS);
  const inbox = new Inbox(models);
  const services: BotServices = { gateway, translator, sessions, logger, now: () => new Date() };

  const menu: MenuProvider = (ctx) => [
    { label: ctx.t('common:menu.help'), data: 'cmd=help' },
  ];
  const handler = createEventHandler(services, [lifecycle(menu), fallbackHelp(menu)]);
  const processor = new InboxProcessor({
    inbox,
    locks: new UserLocks(models, newOwnerId(), 30_000),
    handler,
    logger,
    concurrency: config.INBOX_CONCURRENCY,
  });

  return {
    config,
    logger,
    db,
    models,
    translator,
    gateway,
    sessions,
    inbox,
    processor,
    services,
    async close() {
      await processor.stop();
      await db.close();
    },
  };
}
