import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Models } from '../core/db/models.js';
import type { CampaignService } from '../features/campaigns/campaign-service.js';
import { HelpRequests } from '../features/officers/help-requests.js';
import { scopeOf, type OfficerService } from '../features/officers/officer-service.js';
import { OfficerProducers, toCsv } from '../features/officers/producers.js';
import { ScopeError, scopedSegment, type Scope } from '../features/officers/scope.js';
import { OfficerTrainings } from '../features/officers/trainings.js';
import type { ApiTokenDoc } from './tokens.js';

export interface OfficerApiDeps {
  models: Models;
  officers: OfficerService;
  producers: OfficerProducers;
  trainings: OfficerTrainings;
  campaigns: CampaignService;
  now: () => Date;
}

/**
 * The admin API for officer tokens (role "officer", scope {officerId}): the same endpoints an
 * officer needs, answered through the scope module (src/features/officers/scope.ts) and audited;
 * everything else is 403. A suspended officer's token is refused (403). Admin tokens pass through.
 */
export function officerApiRouter(d: OfficerApiDeps): Router {
  const r = express.Router();
  const help = new HelpRequests(d.models, d.officers);

  r.use((req, res, next) => {
    const actor = res.locals.actor as ApiTokenDoc | undefined;
    if (!actor || actor.role !== 'officer') return next('router');
    const officerId = (actor.scope as { officerId?: string } | undefined)?.officerId;
    void (officerId ? d.officers.get(officerId) : Promise.resolve(null)).then(
      (o) => {
        if (!o || o.status !== 'active') return void res.status(403).json({ error: 'forbidden', message: 'officer account not active' });
        res.locals.scope = scopeOf(o);
        next();
      },
      (err: unknown) => next(err),
    );
  });
  const scope = (res: Response) => res.locals.scope as Scope;
  const q = (req: Request, k: string) => (typeof req.query[k] === 'string' && req.query[k] ? (req.query[k] as string) : undefined);
  const filters = (req: Request) => ({ ...(q(req, 'district') ? { districtCode: q(req, 'district') } : {}), ...(q(req, 'journey') ? { journey: q(req, 'journey') } : {}), ...(q(req, 'q') ? { q: q(req, 'q') } : {}) });
  const wrap = (fn: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);

  r.get('/producers', wrap(async (req, res) => {
    const rows = await d.producers.list(scope(res), filters(req), { channel: 'api', now: d.now(), limit: 1000 });
    res.json({ items: rows.map(({ hasNationalId: _h, ...p }) => p), total: rows.length });
  }));
  r.get('/producers/export.csv', wrap(async (req, res) => {
    const rows = await d.producers.list(scope(res), filters(req), { channel: 'api', now: d.now(), action: 'export_producers' });
    res.type('text/csv; charset=utf-8').send(toCsv(['name', 'phone', 'province', 'district', 'category', 'registeredAt'], rows.map((p) => [p.fullName, p.phone, p.provinceTh, p.districtTh, p.category, p.registeredAt.toISOString()])));
  }));
  r.post('/producers/:userId/reveal-national-id', wrap(async (req, res) => {
    res.json({ nationalId: await d.producers.revealNationalId(scope(res), String(req.params['userId']), 'api', d.now()) });
  }));
  r.get('/help-requests', wrap(async (_req, res) => res.json({ items: await help.listOpen(scope(res), 'api', d.now(), 200) })));
  r.post('/help-requests/:id/handle', wrap(async (req, res) => res.json({ changed: await help.handle(scope(res), String(req.params['id']), 'api', d.now()) })));
  r.get('/trainings', wrap(async (_req, res) => res.json({ items: (await d.trainings.list(scope(res))).map((t) => ({ id: String(t._id), code: t.code, title: t.title, provinceCode: t.provinceCode, startsAt: t.startsAt, capacity: t.capacity, seatsTaken: t.seatsTaken, waitingCount: t.waitingCount })) })));
  r.get('/trainings/:id/signups', wrap(async (req, res) => res.json({ items: (await d.trainings.signups(scope(res), String(req.params['id']), 'api', d.now())).rows })));
  r.post('/segments/count', wrap(async (req, res) => res.json({ count: await d.campaigns.countSegment(scopedSegment(scope(res), (req.body ?? {}) as { provinces?: string[]; districts?: string[] })) })));
  r.get('/campaigns', wrap(async (_req, res) => res.json({ items: await d.models.Campaign.find({ createdBy: scope(res).officerId }).sort({ createdAt: -1 }).limit(100).lean() })));
  r.post('/campaigns', wrap(async (req, res) => {
    const body = (req.body ?? {}) as { segment?: { provinces?: string[]; districts?: string[] } };
    const c = await d.campaigns.create({ ...body, segment: scopedSegment(scope(res), body.segment ?? {}) }, scope(res).officerId);
    await d.officers.audit(scope(res).officerId, 'create_campaign', 'api', d.now(), { target: c._id });
    res.status(201).json({ id: c._id, status: c.status, segment: c.segment });
  }));
  r.post('/campaigns/:id/confirm', wrap(async (req, res) => {
    const c = await d.models.Campaign.findOne({ _id: String(req.params['id']), createdBy: scope(res).officerId }).lean();
    if (!c) throw new ScopeError();
    const done = await d.campaigns.confirm(String(c._id));
    await d.officers.audit(scope(res).officerId, 'send_campaign', 'api', d.now(), { target: String(c._id) });
    res.json({ id: done._id, status: done.status });
  }));
  r.use((_req, res) => void res.status(403).json({ error: 'forbidden', message: 'not available to officer tokens' }));
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof ScopeError) return void res.status(404).json({ error: 'not_found', message: 'not in your area' });
    next(err);
  });
  return r;
}
