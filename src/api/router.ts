import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../core/logger.js';
import { CampaignStateError, type CampaignService } from '../features/campaigns/campaign-service.js';
import { CampaignInputError, NotFoundErrorLike, type CampaignDoc } from '../features/campaigns/model.js';
import type { ProducerAdmin } from '../features/producers/producer-admin.js';
import type { ReminderService } from '../features/reminders/reminder-service.js';
import type { TrainingAdmin } from '../features/training/training-admin.js';
import { openApiDocument } from './openapi.js';
import type { ApiTokenDoc, ApiTokens } from './tokens.js';
import { officerApiRouter, type OfficerApiDeps } from './officer-routes.js';

export interface ApiDeps {
  tokens: ApiTokens;
  campaigns: CampaignService;
  trainings: TrainingAdmin;
  producers: ProducerAdmin;
  reminders: ReminderService;
  logger: Logger;
  /** Officer tokens: scoped routes (src/api/officer-routes.ts); without it they are refused. */
  officer?: OfficerApiDeps;
}

type Handler = (req: Request, res: Response, actor: ApiTokenDoc) => Promise<unknown>;

/** A route as the OpenAPI document names it ("/campaigns/{id}"); the test checks both agree. */
export interface ApiRoute {
  method: 'get' | 'post' | 'patch';
  path: string;
  handler: Handler;
}

const param = (req: Request, name: string) => String(req.params[name] ?? '');

const campaignView = (c: CampaignDoc) => {
  const { _id, batchSeq: _b, materialized: _m, testUserId: _t, ...rest } = c as CampaignDoc & { rev?: number };
  delete (rest as { rev?: number }).rev;
  return { id: _id, ...rest };
};

export function apiRoutes(d: ApiDeps): ApiRoute[] {
  const sendJson = (res: Response, status: number, body: unknown) => res.status(status).json(body);
  return [
    { method: 'get', path: '/campaigns', handler: async (req, res) => sendJson(res, 200, { items: (await d.campaigns.list({ status: req.query.status as never })).map(campaignView) }) },
    { method: 'post', path: '/campaigns', handler: async (req, res, actor) => sendJson(res, 201, campaignView(await d.campaigns.create(req.body, actor.name))) },
    {
      method: 'get',
      path: '/campaigns/{id}',
      handler: async (req, res) => {
        const c = await d.campaigns.get(param(req, 'id'));
        sendJson(res, 200, { ...campaignView(c), counts: await d.campaigns.counts(c._id) });
      },
    },
    { method: 'get', path: '/campaigns/{id}/stats', handler: async (req, res) => sendJson(res, 200, await d.campaigns.stats(param(req, 'id'))) },
    { method: 'post', path: '/campaigns/{id}/preview', handler: async (req, res) => sendJson(res, 200, await d.campaigns.preview(param(req, 'id'))) },
    { method: 'post', path: '/campaigns/{id}/confirm', handler: async (req, res) => sendJson(res, 200, campaignView(await d.campaigns.confirm(param(req, 'id')))) },
    { method: 'post', path: '/campaigns/{id}/pause', handler: async (req, res) => sendJson(res, 200, campaignView(await d.campaigns.pause(param(req, 'id')))) },
    { method: 'post', path: '/campaigns/{id}/cancel', handler: async (req, res) => sendJson(res, 200, campaignView(await d.campaigns.cancel(param(req, 'id')))) },
    {
      method: 'post',
      path: '/campaigns/{id}/test-send',
      handler: async (req, res) => {
        const b = (req.body ?? {}) as { userId?: unknown; lang?: unknown };
        const lang = b.lang === 'en' ? 'en' : 'th';
        sendJson(res, 202, await d.campaigns.testSend(param(req, 'id'), typeof b.userId === 'string' ? b.userId : '', lang));
      },
    },
    { method: 'post', path: '/segments/count', handler: async (req, res) => sendJson(res, 200, { count: await d.campaigns.countSegment(req.body) }) },
    {
      method: 'get',
      path: '/trainings',
      handler: async (req, res) =>
        sendJson(res, 200, { items: await d.trainings.list({ status: req.query.status as string | undefined, provinceCode: req.query.province as string | undefined }) }),
    },
    { method: 'post', path: '/trainings', handler: async (req, res) => sendJson(res, 201, await d.trainings.create(req.body)) },
    {
      method: 'patch',
      path: '/trainings/{id}',
      // The request's Idempotency-Key (when sent) is the cause of any promotion a capacity raise makes.
      handler: async (req, res) => sendJson(res, 200, await d.trainings.update(param(req, 'id'), req.body, { key: req.get('idempotency-key')?.slice(0, 100) })),
    },
    { method: 'get', path: '/trainings/{id}/signups', handler: async (req, res) => sendJson(res, 200, { items: await d.trainings.signups(param(req, 'id')) }) },
    { method: 'get', path: '/producers', handler: async (req, res) => sendJson(res, 200, await d.producers.list({ ...req.query })) },
    {
      method: 'get',
      path: '/producers/export.csv',
      handler: async (req, res) => {
        const lines = d.producers.csv({ ...req.query });
        const first = await lines.next(); // validates the filters before any byte is sent
        res.status(200).type('text/csv; charset=utf-8').setHeader('content-disposition', 'attachment; filename="producers.csv"');
        res.write(`\uFEFF${first.value ?? ''}`);
        for await (const line of lines) if (!res.write(line)) await new Promise((r) => res.once('drain', r));
        res.end();
      },
    },
    { method: 'get', path: '/reminder-rules', handler: async (_req, res) => sendJson(res, 200, { items: (await d.reminders.list()).map(ruleView) }) },
    { method: 'post', path: '/reminder-rules/{id}/enable', handler: async (req, res) => sendJson(res, 200, await setRule(d, param(req, 'id'), true)) },
    { method: 'post', path: '/reminder-rules/{id}/disable', handler: async (req, res) => sendJson(res, 200, await setRule(d, param(req, 'id'), false)) },
  ];
}

const ruleView = (r: Awaited<ReturnType<ReminderService['list']>>[number]) => {
  const { enabledNow, ...rest } = r;
  return { ...rest, enabled: enabledNow };
};

async function setRule(d: ApiDeps, id: string, enabled: boolean) {
  if (!(await d.reminders.setEnabled(id, enabled))) throw new NotFoundErrorLike(`reminder rule ${id}`);
  return ruleView((await d.reminders.list()).find((r) => r.id === id)!);
}

/**
 * The admin API under /api/v1: bearer tokens (hashed in api_tokens), JSON in and out, errors as
 * `{error, message, errors: [{field, reason}]}` — 400 invalid, 401 no or bad token, 404 unknown id,
 * 409 not allowed in the current state.
 */
export function apiRouter(d: ApiDeps): Router {
  const router = express.Router();
  const log = d.logger.child({ module: 'api' });
  router.use(express.json({ limit: '512kb' }));
  router.get('/openapi.json', (_req, res) => void res.json(openApiDocument));

  router.use((req, res, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) return void res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized', message: 'Authorization: Bearer <token> required' });
    void d.tokens.verify(m[1]!).then(
      (actor) => {
        if (!actor) return void res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized', message: 'unknown or revoked token' });
        res.locals.actor = actor;
        next();
      },
      (err: unknown) => next(err),
    );
  });

  // Officer tokens never reach the national routes below: scoped routes or 403.
  if (d.officer) router.use(officerApiRouter(d.officer));
  router.use((_req, res, next) => {
    if ((res.locals.actor as ApiTokenDoc).role !== 'admin') return void res.status(403).json({ error: 'forbidden', message: 'this token may not use the national routes' });
    next();
  });

  for (const route of apiRoutes(d)) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    router[route.method](path, (req, res, next) => {
      void route.handler(req, res, res.locals.actor as ApiTokenDoc).catch(next);
    });
  }

  router.use((_req, res) => void res.status(404).json({ error: 'not_found', message: 'no such endpoint' }));
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof CampaignInputError) return void res.status(400).json({ error: 'invalid_request', message: err.message, errors: err.errors });
    if (err instanceof NotFoundErrorLike) return void res.status(404).json({ error: 'not_found', message: err.message });
    if (err instanceof CampaignStateError) return void res.status(409).json({ error: 'conflict', message: err.message });
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') return void res.status(400).json({ error: 'invalid_request', message: 'body is not valid JSON', errors: [{ field: '(body)', reason: 'not valid JSON' }] });
    if (e?.type === 'entity.too.large') return void res.status(413).json({ error: 'too_large', message: 'body too large' });
    log.error({ err: e?.message }, 'admin API request failed');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  });
  return router;
}
