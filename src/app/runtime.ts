import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../config/env.js';
import { connectDatabase, type DatabaseHandle } from '../core/db/connection.js';
import { createModels, ensureIndexes, type Models } from '../core/db/models.js';
import { Sealer } from '../core/crypto.js';
import { createTranslator, DEFAULT_LANG, readLocales, type Translator } from '../core/i18n.js';
import { setLogPepper, userRef, type Logger } from '../core/logger.js';
import { Metrics } from '../core/metrics.js';
import { projectRoot } from '../core/paths.js';
import { createEventHandler } from '../bot/bot.js';
import type { BotServices } from '../bot/context.js';
import { fallbackHelp, lifecycle, smallTalk, type MenuProvider } from '../bot/core-handlers.js';
import { failedPayloadSeal, Inbox, isUserKey } from '../inbox/inbox.js';
import { InboxProcessor, newOwnerId } from '../inbox/processor.js';
import { encodeData, text } from '../bot/messages.js';
import { LineGateway } from '../line/gateway.js';
import { RichMenuApi } from '../line/rich-menu-api.js';
import { RateLimiter } from '../line/rate-limit.js';
import { redeliverAnswer } from '../outbox/answer.js';
import { OutboxDrainer } from '../outbox/drainer.js';
import { Outbox, type OutboxDoc } from '../outbox/outbox.js';
import { promotionNotifier } from '../features/training/promotion-notice.js';
import { SessionStore } from '../sessions/session-store.js';
import { FlowEngine } from '../flows/engine.js';
import { loadFlows } from '../flows/loader.js';
import { ProgressStore } from '../flows/progress.js';
import { officerHandler } from '../features/officer/officer.js';
import { journeysOf, type Journey } from '../features/officers/journeys.js';
import { officerLine } from '../features/officers/line-menu.js';
import { outboxPusher, type Pusher } from '../features/officers/notify.js';
import { OfficerService } from '../features/officers/officer-service.js';
import { helpRouter } from '../features/officers/routing.js';
import { OfficerReminders } from '../features/officers/reminders.js';
import { CampaignService } from '../features/campaigns/campaign-service.js';
import { Segments } from '../features/campaigns/segment.js';
import { ProducerStore } from '../features/producers/producer-store.js';
import { buildRegistry, trainingDeps } from '../features/registry.js';
import { trainingButtons } from '../features/training/handler.js';
import { TrainingService, type Promotion } from '../features/training/training-service.js';
import { CampaignDelivery } from '../features/campaigns/delivery.js';
import { loadNoticeWords, NoticeConsent, noticesMiddleware } from '../features/campaigns/notices.js';
import { parseQuietHours } from '../features/campaigns/quiet-hours.js';
import { ReminderService } from '../features/reminders/reminder-service.js';
import { loadReminderRules } from '../features/reminders/rules.js';

/** Everything a process (web or worker) needs, wired once. */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: DatabaseHandle;
  models: Models;
  translator: Translator;
  gateway: LineGateway;
  outbox: Outbox;
  drainer: OutboxDrainer;
  /** Called for every outbox item that settled (sent, failed, unknown): campaigns add theirs here. */
  onOutboxSettled(hook: (doc: OutboxDoc) => Promise<void>): void;
  sessions: SessionStore;
  inbox: Inbox;
  processor: InboxProcessor;
  services: BotServices;
  engine: FlowEngine;
  producers: ProducerStore;
  trainings: TrainingService;
  /** Tells a person promoted from a waiting list (outbox), for jobs such as the seat reconciler. */
  notifyPromoted: (p: Promotion) => Promise<void>;
  sealer: Sealer;
  metrics: Metrics;
  campaigns: CampaignService;
  delivery: CampaignDelivery;
  segments: Segments;
  noticeConsent: NoticeConsent;
  reminders: ReminderService;
  officers: OfficerService;
  /** LINE's rich-menu endpoints (richmenu:sync, officer menu links). */
  richMenus: RichMenuApi;
  officerReminders: OfficerReminders;
  /** Checklist journeys (TikTok Shop, Lazada) and their steps, for officers' statistics. */
  journeys: Journey[];
  pusher: Pusher;
  /** Origin of the dashboard (officers' sign-in links). */
  publicBaseUrl: string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  mongoUri: string;
  /** Overrides for tests and benchmarks (e.g. faster retries). */
  gateway?: { maxAttempts?: number; baseDelayMs?: number };
  /** Inbox processor overrides (tests: quicker handler retries). */
  inbox?: { retryDelaysMs?: number[] };
  /** Outbox drainer overrides (tests: quicker retries and polls). */
  outbox?: { baseDelayMs?: number; pollMs?: number; claimMs?: number };
  /** Where flow files are read from (tests add their own); default: the project's flows/. */
  flowsDir?: string;
  /** Benchmarks count database commands with the driver's command monitoring. */
  monitorCommands?: boolean;
}

export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = opts;
  const db = await connectDatabase(opts.mongoUri, { monitorCommands: opts.monitorCommands ?? false });
  const models = createModels(db.conn);
  await ensureIndexes(models);
  const metrics = new Metrics({ conn: db.conn, quota: () => gateway.messageQuota() });

  const sealer = new Sealer(encryptionKey(config, logger), config.DATA_ENCRYPTION_KEYS, {
    // A value no key opens is shown as hidden; operators hear of it here and in the metrics.
    onUnsealFailure: (f) => {
      logger.error({ user: userRef(f.owner), field: f.field, keyId: f.keyId, err: f.reason }, 'sealed value could not be opened; shown as hidden');
      metrics.unsealFailed(f.field);
    },
  });
  // Log references are keyed by a secret derived from the key: unlinkable without it.
  setLogPepper(sealer.logPepper);

  const translator = await createTranslator(join(projectRoot, 'locales'));
  const gateway = new LineGateway({
    channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN,
    baseURL: config.LINE_API_BASE_URL,
    timeoutMs: config.LINE_REQUEST_TIMEOUT_MS,
    logger,
    limiter: new RateLimiter({ share: config.LINE_RATE_LIMIT_SHARE }),
    ...opts.gateway,
    onRequestDone: (endpoint, status) => metrics.lineRequest(endpoint, status === 0 ? 'network' : status),
    onFailure: async (f) => {
      await models.DeliveryFailure.create({ ...f, at: new Date() });
    },
  });
  const sessions = new SessionStore(models, config.SESSION_IDLE_DAYS);
  const drainer = new OutboxDrainer({
    models,
    gateway,
    logger,
    baseDelayMs: opts.outbox?.baseDelayMs ?? 1_000,
    pollMs: opts.outbox?.pollMs ?? 1_000,
    claimMs: opts.outbox?.claimMs ?? Math.max(5_000, 2 * config.LINE_REQUEST_TIMEOUT_MS),
    onSettled: async (doc) => {
      for (const hook of settledHooks) await hook(doc);
    },
  });
  const settledHooks: ((doc: OutboxDoc) => Promise<void>)[] = [];
  // LINE refused a push because the user blocked the bot: mark them unreachable, as an unfollow does,
  // so campaigns and reminders leave them out.
  settledHooks.push(async (doc) => {
    if (doc.status === 'failed' && doc.failure?.kind === 'blocked' && doc.kind === 'push' && doc.to[0]) {
      await models.Session.updateOne({ _id: doc.to[0], reachable: { $ne: false } }, { $set: { reachable: false, unfollowedAt: new Date() } });
    }
  });
  const outbox = new Outbox(models, () => new Date(), () => drainer.kick());
  const inbox = new Inbox(models, { storeTimeoutMs: config.WEBHOOK_DB_TIMEOUT_MS });
  const services: BotServices = { gateway, outbox, drainer, translator, sessions, logger, now: () => new Date() };

  const producers = new ProducerStore(models);
  const progress = new ProgressStore(models);
  const notifyPromoted = promotionNotifier({ outbox, sessions, translator });
  const trainings = new TrainingService(
    models,
    {
      // The registration consent (1) covers CDD's own programmes, training included.
      eligible: async (userId) => (await producers.get(userId))?.consents.registration === true,
      maxActivePerUser: config.TRAINING_MAX_ACTIVE_SIGNUPS,
    },
    { notify: notifyPromoted },
  );
  const featureDeps = { models, producers, sealer, progress, trainings, sessions, notifyPromoted };
  const registry = buildRegistry(featureDeps);
  // Flow files are checked here: a mistake stops start-up naming the file, step and problem.
  const loaded = loadFlows(opts.flowsDir ?? join(projectRoot, 'flows'), registry, readLocales(join(projectRoot, 'locales')));
  const officers = new OfficerService(models);
  const journeys = journeysOf(loaded);
  const pusher = outboxPusher(outbox);
  const richMenus = new RichMenuApi({ channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN, baseURL: config.LINE_API_BASE_URL, dataBaseURL: config.LINE_DATA_API_BASE_URL, timeoutMs: config.LINE_REQUEST_TIMEOUT_MS });
  const publicBaseUrl = (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  const engine = new FlowEngine({
    loaded,
    registry,
    sealer,
    progress,
    onOfficer: officerHandler(models, producers, helpRouter({ models, officers, translator, journeys, pusher, logger })),
  });
  const flowsDir = opts.flowsDir ?? join(projectRoot, 'flows');
  const segments = new Segments(models);
  const noticeConsent = new NoticeConsent(models);
  const campaigns = new CampaignService({ models, segments, outbox, translator, quota: gateway });
  const delivery = new CampaignDelivery({
    models,
    segments,
    outbox,
    translator,
    logger,
    quietHours: parseQuietHours(config.QUIET_HOURS),
    owner: newOwnerId(),
  });
  // Words that stop/restart notices: flows/_notices.yaml (the project's when a test folder has none).
  const noticeWords = loadNoticeWords(existsSync(join(flowsDir, '_notices.yaml')) ? flowsDir : join(projectRoot, 'flows'));
  // Reminder rules are checked here like flows: a mistake stops start-up naming file, rule, problem.
  const rulesDir = existsSync(join(flowsDir, '_reminders.yaml')) ? flowsDir : join(projectRoot, 'flows');
  const rules = loadReminderRules(rulesDir, { hasKey: (k) => translator.has(k, 'th') && translator.has(k, 'en'), flowIds: rulesDir === flowsDir ? new Set(loaded.flows.keys()) : undefined });
  const reminders = new ReminderService({ models, outbox, translator, logger, rules, quietHours: parseQuietHours(config.QUIET_HOURS) });
  const officerReminders = new OfficerReminders({ models, segments, campaigns, officers, translator });
  const menu: MenuProvider = (ctx) => engine.menuChoices(ctx);
  const handle = createEventHandler(services, [
    lifecycle(menu),
    noticesMiddleware({ models, words: noticeWords, consent: noticeConsent }),
    officerLine({
      models,
      officers,
      translator,
      journeys,
      pusher,
      publicBaseUrl,
      reminders: officerReminders,
      logger,
      richMenus,
    }),
    trainingButtons(trainingDeps(featureDeps)),
    engine.middleware(),
    smallTalk(menu, (typed) => (engine.means(typed, 'greeting') ? 'greeting' : engine.means(typed, 'thanks') ? 'thanks' : undefined)),
    fallbackHelp(menu),
  ]);
  const eventLog = logger.child({ module: 'events' });
  const handler: typeof handle = async (event, meta) => {
    const started = Date.now();
    try {
      const handled = await handle(event, meta);
      metrics.eventHandled(handled.outcome);
      // Runs inside the processor's event scope: this line (like every other) carries the event id.
      eventLog.debug({ type: event.type, outcome: handled.outcome, ms: Date.now() - started }, 'event handled');
      return handled;
    } catch (err) {
      metrics.eventHandled('error');
      throw err;
    }
  };
  const processor = new InboxProcessor({
    inbox,
    sessions,
    owner: newOwnerId(),
    handler,
    logger,
    concurrency: config.INBOX_CONCURRENCY,
    leaseMs: config.INBOX_LEASE_MS,
    settleMs: config.INBOX_SETTLE_MS,
    now: () => services.now(), // looked up each time: tests move the bot's clock
    ...(opts.inbox?.retryDelaysMs ? { retryDelaysMs: opts.inbox.retryDelaysMs } : {}),
    // An answer saved with its session but never confirmed sent (its sender died): delivered once.
    redeliver: async (userKey, answer) => {
      await redeliverAnswer(services, userKey, answer);
    },
    onGaveUp: async (g) => {
      // The payload is kept sealed for a limited time so an operator can replay it (npm run replay).
      const keepUntil = new Date(Date.now() + config.FAILED_EVENT_KEEP_DAYS * 86_400_000);
      await inbox.setAside(g.doc, g.error, g.attempts, sealer.seal(g.doc.payload, failedPayloadSeal(g.doc._id)), keepUntil);
      if (!isUserKey(g.userKey)) return;
      // The user hears that it failed, with a way to a person, instead of silence.
      const session = await sessions.read(g.userKey).catch(() => undefined);
      const lang = session?.lang ?? DEFAULT_LANG;
      await outbox.enqueue([
        {
          _id: `evt:${g.eventId}:apology`,
          kind: 'push',
          to: [g.userKey],
          messages: [
            text(translator.t(lang, 'common:failure.apology'), [{ label: translator.t(lang, 'common:nav.officer'), data: encodeData({ cmd: 'officer' }) }]),
          ],
          cause: { type: 'event-failed', id: g.eventId },
        },
      ]);
    },
  });

  return {
    config,
    logger,
    db,
    models,
    translator,
    gateway,
    outbox,
    drainer,
    onOutboxSettled: (hook) => void settledHooks.push(hook),
    sessions,
    inbox,
    processor,
    services,
    engine,
    producers,
    trainings,
    notifyPromoted,
    sealer,
    metrics,
    campaigns,
    delivery,
    segments,
    noticeConsent,
    reminders,
    officers,
    richMenus,
    officerReminders,
    journeys,
    pusher,
    publicBaseUrl,
    async close() {
      await processor.stop();
      await drainer.stop();
      await db.close();
    },
  };
}

/**
 * The key that seals national ID numbers. Outside local mode DATA_ENCRYPTION_KEY is required
 * (config refuses to start without it), so instances never invent keys of their own; in local
 * mode a random key is made once and kept beside the local database.
 */
function encryptionKey(config: Config, logger: Logger): string {
  if (config.DATA_ENCRYPTION_KEY) return config.DATA_ENCRYPTION_KEY;
  if (!config.localMode) throw new Error('DATA_ENCRYPTION_KEY is required outside local mode');
  const dir = resolve(projectRoot, config.DATA_DIR);
  const file = join(dir, 'dev-encryption.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    logger.warn({ file }, 'DATA_ENCRYPTION_KEY not set: generated a development key');
  }
  return readFileSync(file, 'utf8').trim();
}
