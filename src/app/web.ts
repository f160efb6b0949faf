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

  app.use(
    webhookRouter({
      channelSecret: rt.config.LINE_CHANNEL_SECRET,
      inbox: rt.inbox,
      logger: rt.logger,
      accepting: () => accepting,
      onStored: (keys) => keys.forEach((k) => rt.processor.kick(k)),
    }),
  );

  app.use(DASHBOARD_PATH, dashboardRouter(rt));
  app.use(
    '/api/v1',
    apiRouter({
      tokens: new ApiTokens(rt.models),
      campaigns: rt.campaigns,
      trainings: new TrainingAdmin(rt.models),
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
    const ok = await rt.db.ping(1_000);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'database unavailable' });
  });

  const sweep = async () => {
    try {
      const olderThan = new Date(Date.now() - 5_000);
      for (const key of await rt.inbox.staleUserKeys(olderThan)) rt.processor.kick(key);
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
