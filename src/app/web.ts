import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { webhookRouter } from '../webhook/route.js';
import { dashboardRouter, DASHBOARD_PATH } from '../dashboard/router.js';
import { apiRouter } from '../api/router.js';
import { OfficerProducers } from '../features/officers/producers.js';
import { OfficerTrainings } from '../features/officers/trainings.js';
import { ApiTokens } from '../api/tokens.js';
import { ProducerAdmin } from '../features/producers/producer-admin.js';
import { TrainingAdmin } from '../features/training/training-admin.js';
import type { Runtime } from './runtime.js';

export interface WebApp {
  app: Express;
  /** Starts the sweeper that picks up events left pending (crash, lost kick). */
  startSweeper(): void;
  /** Stops taking webhooks and sweeping; in-flight work is left to runtime.close(). */
  stop(): Promise<void>;
  listen(port: number, host?: string): Promise<Server>;
}

export function createWebApp(rt: Runtime): WebApp {
  const app = express();
  app.disable('x-powered-by');
  let accepting = true;
  let sweeper: NodeJS.Timeout | undefined;
  let server: Server | undefined;

  // Counted on the way out, whatever answered (signature check, storage, shutdown).
  app.use('/webhook', (_req, res, next) => {
    res.on('finish', () => rt.metrics.webhookAnswered(res.statusCode));
    next();
  });
  app.use(
    webhookRouter({
      channelSecret: rt.config.LINE_CHANNEL_SECRET,
      inbox: rt.inbox,
      logger: rt.logger,
      accepting: () => accepting,
      userMaxPerMinute: rt.config.INBOX_USER_MAX_PER_MINUTE,
      onStoring: (keys) => rt.processor.arriving(keys),
      onStored: (keys) => keys.forEach((k) => rt.processor.kick(k)),
    }),
  );

  app.use(DASHBOARD_PATH, dashboardRouter(rt));
  app.use(
    '/api/v1',
    apiRouter({
      tokens: new ApiTokens(rt.models),
      campaigns: rt.campaigns,
      trainings: new TrainingAdmin(rt.models, undefined, rt.notifyPromoted),
      producers: new ProducerAdmin(rt.models),
      reminders: rt.reminders,
      logger: rt.logger,
      officer: {
        models: rt.models,
        officers: rt.officers,
        producers: new OfficerProducers(rt.models, rt.officers, rt.sealer, rt.journeys),
        trainings: new OfficerTrainings(rt.models, rt.officers, rt.notifyPromoted),
        campaigns: rt.campaigns,
        now: () => rt.services.now(),
      },
    }),
  );

  app.get('/healthz', async (_req, res) => {
    // A normal pool (connection.ts): the ping never waits behind event processing.
    const ok = await rt.db.ping(1_000);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'database unavailable' });
  });

  // Operators' metrics on the public port only with the bearer token (METRICS_TOKEN); without one
  // configured the route does not exist here (use METRICS_PORT, bound to an internal address).
  const token = rt.config.METRICS_TOKEN;
  if (token) {
    app.get('/metrics', async (req, res) => {
      if (!bearerMatches(req.get('authorization'), token)) {
        res.status(401).set('www-authenticate', 'Bearer').json({ message: 'metrics need the bearer token' });
        return;
      }
      try {
        const { contentType, body } = await rt.metrics.render();
        res.type(contentType).send(body);
      } catch (err) {
        rt.logger.warn({ err: (err as Error).message }, 'metrics not collected');
        res.status(503).json({ message: 'metrics unavailable' });
      }
    });
  }

  const sweep = async () => {
    try {
      const olderThan = new Date(Date.now() - 5_000);
      for (const key of await rt.inbox.staleUserKeys(olderThan)) rt.processor.kick(key);
      // Answers saved and never confirmed sent: their sender died between saving and sending.
      for (const key of await rt.sessions.unconfirmedAnswers(olderThan)) rt.processor.kick(key);
    } catch (err) {
      rt.logger.warn({ err: (err as Error).message }, 'inbox sweep failed');
    }
  };

  return {
    app,
    startSweeper() {
      rt.drainer.start();
      void sweep();
      sweeper = setInterval(() => void sweep(), rt.config.INBOX_SWEEP_SECONDS * 1_000);
      sweeper.unref();
    },
    async stop() {
      accepting = false;
      if (sweeper) clearInterval(sweeper);
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      }
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const s = app.listen(port, host ?? '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
        server = s;
      });
    },
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
