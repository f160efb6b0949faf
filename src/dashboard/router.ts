import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Lang, Translator } from '../core/i18n.js';
import { projectRoot } from '../core/paths.js';
import { listProvinces } from '../domain/thai-address.js';
import type { Runtime } from '../app/runtime.js';
import { HelpRequests } from '../features/officers/help-requests.js';
import { stepLabel } from '../features/officers/line-cards.js';
import { SESSION_TTL_MS, scopeOf, type Officer } from '../features/officers/officer-service.js';
import { OfficerProducers, toCsv, type ProducerFilters } from '../features/officers/producers.js';
import { ScopeError, type Scope } from '../features/officers/scope.js';
import { areaStats } from '../features/officers/stats.js';
import { OfficerTrainings, TrainingFormError } from '../features/officers/trainings.js';
import { TRAINING_TOPICS, type TrainingDoc } from '../core/db/schemas/training.js';
import { html, jsonScript, raw, type Raw } from './html.js';

export const DASHBOARD_PATH = '/officer';
const COOKIE = 'otop_officer';
const LANG_COOKIE = 'otop_lang';

interface Signed {
  officer: Officer;
  scope: Scope;
  csrf: string;
  lang: Lang;
  t: (k: string, p?: Record<string, unknown>) => string;
}

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

const sameString = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const bangkok = (d: Date | undefined, withTime = true) =>
  d ? new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Bangkok', year: 'numeric', month: '2-digit', day: '2-digit', ...(withTime ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}) }).format(d).replace(',', '') : '';
const bangkokTime = (d: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Bangkok', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);

/**
 * The officers' web dashboard (/officer): an entry point over the officers' use cases. Sign-in is a
 * one-time link the bot sends in LINE (GET shows a button, POST spends it, so a link preview cannot
 * use it up); the session cookie is httpOnly, SameSite=Lax, Secure over https; every POST carries
 * the session's CSRF token and a same-origin Origin. Every page goes through the scope module.
 * Server-rendered HTML (usable on a phone, works without JavaScript except the charts), Thai first.
 */
export function dashboardRouter(rt: Runtime): Router {
  const r = express.Router();
  const tr: Translator = rt.translator;
  const help = new HelpRequests(rt.models, rt.officers);
  const producers = new OfficerProducers(rt.models, rt.officers, rt.sealer, rt.journeys);
  const trainings = new OfficerTrainings(rt.models, rt.officers, rt.notifyPromoted);
  const now = () => rt.services.now();
  const secure = rt.publicBaseUrl.startsWith('https://');

  r.use((req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      // The sign-in secret is in the URL: never pass it on to another site ("no-referrer" would
      // also make browsers send "Origin: null" on our own forms).
      'Referrer-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
    });
    next();
  });
  r.get('/assets/chart.umd.js', (_req, res) => res.sendFile(join(projectRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.js'), { maxAge: '1d', headers: { 'Cache-Control': 'public, max-age=86400' } }));
  r.use('/assets', express.static(join(projectRoot, 'public', 'officer'), { index: false, redirect: false }));
  r.use(express.urlencoded({ extended: false, limit: '64kb' }));

  const langOf = (req: Request, res: Response): Lang => {
    const q = req.query['lang'];
    if (q === 'en' || q === 'th') {
      res.append('Set-Cookie', `${LANG_COOKIE}=${q}; Path=${DASHBOARD_PATH}; Max-Age=31536000; SameSite=Lax${secure ? '; Secure' : ''}`);
      return q;
    }
    return cookies(req)[LANG_COOKIE] === 'en' ? 'en' : 'th';
  };
  const tFor = (lang: Lang) => (k: string, p?: Record<string, unknown>) => tr.t(lang, k, p);

  const bare = (lang: Lang, title: string, body: Raw) =>
    html`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${DASHBOARD_PATH}/assets/dashboard.css"></head><body><main class="narrow">${body}</main></body></html>`.html;

  // --- sign-in ---------------------------------------------------------------------------------
  r.get('/signin', (req, res) => {
    const lang = langOf(req, res);
    const t = tFor(lang);
    const token = typeof req.query['t'] === 'string' ? req.query['t'] : '';
    res.type('html').send(
      bare(lang, t('dashboard:signin.title'), html`<h1>${t('dashboard:signin.title')}</h1><p>${t('dashboard:signin.text')}</p>
        <form method="post" action="${DASHBOARD_PATH}/signin"><input type="hidden" name="t" value="${token}"><button type="submit" class="primary" id="signin">${t('dashboard:signin.button')}</button></form>`),
    );
  });

  r.post('/signin', async (req, res) => {
    const lang = langOf(req, res);
    const t = tFor(lang);
    const token = typeof req.body?.t === 'string' ? (req.body.t as string) : '';
    const s = token ? await rt.officers.signIn(token, now()) : null;
    if (!s) {
      res.status(401).type('html').send(bare(lang, t('dashboard:signin.title'), html`<h1>${t('dashboard:signin.title')}</h1><p class="error">${t('dashboard:signin.failed')}</p>`));
      return;
    }
    res.append('Set-Cookie', `${COOKIE}=${s.cookie}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`);
    res.redirect(303, `${DASHBOARD_PATH}/`);
  });

  // --- everything else needs a session ----------------------------------------------------------
  const signed = async (req: Request, res: Response, next: NextFunction) => {
    const lang = langOf(req, res);
    const cookie = cookies(req)[COOKIE];
    const s = cookie ? await rt.officers.session(cookie, now()) : null;
    if (!s) {
      const t = tFor(lang);
      if (req.accepts(['html', 'text/csv']) === 'html') res.status(401).type('html').send(bare(lang, t('dashboard:signin.title'), html`<h1>${t('dashboard:signin.title')}</h1><p>${t('dashboard:signin.required')}</p>`));
      else res.status(401).type('text').send('sign in required');
      return;
    }
    res.locals['signed'] = { officer: s.officer, scope: scopeOf(s.officer), csrf: s.csrf, lang, t: tFor(lang) } satisfies Signed;
    if (req.method === 'POST') {
      const token = typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : '';
      const origin = req.get('origin');
      const originOk = !origin || (() => {
        try {
          return new URL(origin).host === req.get('host');
        } catch {
          return false;
        }
      })();
      if (!token || !sameString(token, s.csrf) || !originOk) {
        await rt.officers.audit(s.officer._id, 'refused_csrf', 'web', now(), { detail: { path: req.path, origin: origin ?? null, tokenGiven: !!token } });
        res.status(403).type('html').send(bare(lang, '403', html`<p class="error">${tFor(lang)('dashboard:errors.forbidden')}</p>`));
        return;
      }
    }
    next();
  };
  r.use(signed);
  const me = (res: Response) => res.locals['signed'] as Signed;

  const page = (res: Response, active: string, title: string, body: Raw, flash?: string) => {
    const { t, lang, csrf, officer } = me(res);
    const nav = (['overview', 'help', 'trainings', 'campaigns', 'producers'] as const)
      .map((k) => html`<a href="${DASHBOARD_PATH}/${k === 'overview' ? '' : k}" class="${k === active ? 'active' : ''}">${t(`dashboard:nav.${k}`)}</a>`);
    res.type('html').send(
      html`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · ${t('dashboard:title')}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${DASHBOARD_PATH}/assets/dashboard.css"></head>
<body><header><div class="brand">${t('dashboard:title')}</div><div class="who">${officer.name} · ${(lang === 'en' ? officer.areaEn : officer.areaTh) ?? ''}</div>
<nav>${nav}<a href="?lang=${lang === 'th' ? 'en' : 'th'}" class="lang">${t('dashboard:nav.lang')}</a>
<form method="post" action="${DASHBOARD_PATH}/signout" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="link">${t('dashboard:nav.signout')}</button></form></nav></header>
<main><h1>${title}</h1>${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}${body}</main>
<script src="${DASHBOARD_PATH}/assets/chart.umd.js"></script><script src="${DASHBOARD_PATH}/assets/dashboard.js"></script></body></html>`.html,
    );
  };
  const csrfField = (res: Response) => html`<input type="hidden" name="_csrf" value="${me(res).csrf}">`;
  const flashOf = (req: Request, res: Response): string | undefined => {
    const f = req.query['ok'];
    if (typeof f !== 'string' || !/^[a-zA-Z]+$/.test(f)) return undefined;
    const n = Number(req.query['n'] ?? 0);
    return me(res).t(`dashboard:trainings.${f}`, { n });
  };

  r.post('/signout', async (req, res) => {
    const cookie = cookies(req)[COOKIE];
    if (cookie) await rt.officers.signOut(cookie);
    res.append('Set-Cookie', `${COOKIE}=; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`);
    const lang = me(res).lang;
    res.type('html').send(bare(lang, tFor(lang)('dashboard:signin.signedOut'), html`<p>${tFor(lang)('dashboard:signin.signedOut')}</p>`));
  });

  // --- overview: the funnel as charts -----------------------------------------------------------
  r.get('/', async (_req, res) => {
    const { t, lang, scope, officer } = me(res);
    const s = await areaStats(rt.models, scope, rt.journeys, now());
    await rt.officers.audit(officer._id, 'view_stats', 'web', now());
    const jTitle = (id: string) => t(rt.journeys.find((j) => j.id === id)!.titleKey);
    const stages = [
      { label: t('dashboard:overview.registered'), value: s.registered, of: (f: typeof s) => f.registered },
      ...s.journeys.flatMap((j, i) => [
        { label: t('dashboard:overview.started', { journey: jTitle(j.id) }), value: j.started, of: (f: typeof s) => f.journeys[i]!.started },
        { label: t('dashboard:overview.finished', { journey: jTitle(j.id) }), value: j.finished, of: (f: typeof s) => f.journeys[i]!.finished },
      ]),
      { label: t('dashboard:overview.trained'), value: s.trained, of: (f: typeof s) => f.trained },
    ];
    const chartData = {
      byDistrict: {
        labels: s.byDistrict.map((d) => (lang === 'en' ? d.nameEn : d.nameTh)),
        datasets: stages.map((st) => ({ label: st.label, data: s.byDistrict.map((d) => st.of(d as unknown as typeof s)) })),
      },
      overTime: {
        labels: s.weeks.map((w) => w.week),
        datasets: [
          { label: t('dashboard:overview.registered'), data: s.weeks.map((w) => w.registered) },
          ...rt.journeys.flatMap((j) => [
            { label: t('dashboard:overview.started', { journey: t(j.titleKey) }), data: s.weeks.map((w) => w.started[j.id] ?? 0) },
            { label: t('dashboard:overview.finished', { journey: t(j.titleKey) }), data: s.weeks.map((w) => w.finished[j.id] ?? 0) },
          ]),
        ],
      },
    };
    page(
      res,
      'overview',
      t('dashboard:nav.overview'),
      html`<p>${t('dashboard:overview.area', { area: (lang === 'en' ? officer.areaEn : officer.areaTh) ?? '' })}</p>
<div class="cards">${stages.map((st) => html`<div class="card"><div class="n">${st.value.toLocaleString('en-US')}</div><div>${st.label}</div></div>`)}</div>
<section><h2>${t('dashboard:overview.byDistrict')}</h2><div class="chart"><canvas id="chart-district" aria-label="${t('dashboard:overview.byDistrict')}"></canvas></div>
<div class="scroll"><table class="data"><thead><tr><th>${t('dashboard:overview.district')}</th>${stages.map((st) => html`<th>${st.label}</th>`)}</tr></thead>
<tbody>${s.byDistrict.map((d) => html`<tr><td>${lang === 'en' ? d.nameEn : d.nameTh}</td>${stages.map((st) => html`<td>${st.of(d as unknown as typeof s)}</td>`)}</tr>`)}</tbody></table></div></section>
<section><h2>${t('dashboard:overview.overTime')}</h2><div class="chart"><canvas id="chart-time" aria-label="${t('dashboard:overview.overTime')}"></canvas></div></section>
${jsonScript('chart-data', chartData)}`,
    );
  });

  // --- help requests --------------------------------------------------------------------------
  r.get('/help', async (_req, res) => {
    const { t, lang, scope } = me(res);
    const open = await help.listOpen(scope, 'web', now(), 200);
    page(
      res,
      'help',
      t('dashboard:nav.help'),
      open.length === 0
        ? html`<p>${t('dashboard:help.none')}</p>`
        : html`<div class="scroll"><table class="data"><thead><tr><th>${t('dashboard:help.name')}</th><th>${t('dashboard:help.phone')}</th><th>${t('dashboard:help.district')}</th><th>${t('dashboard:help.step')}</th><th>${t('dashboard:help.since')}</th><th></th></tr></thead><tbody>
${open.map((v) => html`<tr><td>${v.name}</td><td><a href="tel:${v.phone}">${v.phone}</a></td><td>${lang === 'en' ? v.districtEn : v.districtTh}</td><td>${stepLabel((k, p) => tr.t(lang, k, p), rt.journeys, v)}</td><td>${bangkok(v.createdAt)}</td>
<td><form method="post" action="${DASHBOARD_PATH}/help/${v.id}/handle">${csrfField(res)}<button type="submit">${t('dashboard:help.handled')}</button></form></td></tr>`)}</tbody></table></div>`,
    );
  });
  r.post('/help/:id/handle', async (req, res) => {
    await help.handle(me(res).scope, String(req.params['id']), 'web', now());
    res.redirect(303, `${DASHBOARD_PATH}/help`);
  });

  // --- trainings ------------------------------------------------------------------------------
  const provincesOf = async (scope: Scope) => (await listProvinces('th')).filter((p) => scope.role === 'admin' || scope.provinceCodes.includes(p.code));
  const trainingForm = async (res: Response, action: string, t0?: TrainingDoc) => {
    const { t, scope } = me(res);
    const v = (name: string, value: string | number | undefined, type = 'text', extra = '') =>
      html`<label>${t(`dashboard:trainings.${name}`)}<input name="${name}" type="${type}" value="${value ?? ''}" ${raw(extra)}></label>`;
    const provinces = await provincesOf(scope);
    return html`<form method="post" action="${action}" class="form" id="training-form">${csrfField(res)}
${v('titleTh', t0?.title.th, 'text', 'required maxlength="120"')}${v('titleEn', t0?.title.en, 'text', 'maxlength="120"')}
<label>${t('dashboard:trainings.topic')}<select name="topic">${TRAINING_TOPICS.map((x) => html`<option value="${x}" ${raw(t0?.topic === x ? 'selected' : '')}>${t(`dashboard:topics.${x}`)}</option>`)}</select></label>
<label>${t('dashboard:trainings.province')}<select name="provinceCode" ${raw(t0 ? 'disabled' : '')}>${provinces.map((p) => html`<option value="${p.code}" ${raw(t0?.provinceCode === p.code ? 'selected' : '')}>${p.nameTh}</option>`)}</select></label>
${t0 ? html`<input type="hidden" name="provinceCode" value="${t0.provinceCode ?? ''}">` : ''}
${v('venueTh', t0?.venue?.th, 'text', 'required')}${v('date', t0 ? bangkok(t0.startsAt, false) : '', 'date', 'required')}
${v('start', t0 ? bangkokTime(t0.startsAt) : '09:00', 'time', 'required')}${v('end', t0 ? bangkokTime(t0.endsAt) : '16:00', 'time', 'required')}
${v('deadline', t0 ? bangkok(t0.signupDeadline, false) : '', 'date', 'required')}${v('capacity', t0?.capacity ?? 30, 'number', 'min="1" required')}
${v('officeTh', t0?.office.th ?? me(res).officer.areaTh ?? '', 'text', 'required')}${v('contactPhone', t0?.contactPhone, 'tel')}
<button type="submit" class="primary">${t(t0 ? 'dashboard:trainings.save' : 'dashboard:trainings.create')}</button></form>`;
  };

  r.get('/trainings', async (req, res) => {
    const { t, lang, scope } = me(res);
    const list = await trainings.list(scope);
    page(
      res,
      'trainings',
      t('dashboard:nav.trainings'),
      html`<p><a class="button primary" href="${DASHBOARD_PATH}/trainings/new" id="new-training">${t('dashboard:trainings.new')}</a></p>
${list.length === 0 ? html`<p>${t('dashboard:trainings.none')}</p>` : html`<table class="data"><thead><tr><th>${t('dashboard:trainings.date')}</th><th>${t('dashboard:trainings.titleTh')}</th><th>${t('dashboard:trainings.province')}</th><th>${t('dashboard:trainings.seats')}</th><th>${t('dashboard:trainings.waiting')}</th></tr></thead><tbody>
${list.map((x) => html`<tr><td>${bangkok(x.startsAt)}</td><td><a href="${DASHBOARD_PATH}/trainings/${String(x._id)}">${lang === 'en' ? x.title.en : x.title.th}</a></td><td>${lang === 'en' ? x.provinceName?.en : x.provinceName?.th}</td><td>${x.seatsTaken}/${x.capacity}</td><td>${x.waitingCount}</td></tr>`)}</tbody></table>`}`,
      flashOf(req, res),
    );
  });
  r.get('/trainings/new', async (_req, res) => page(res, 'trainings', me(res).t('dashboard:trainings.new'), await trainingForm(res, `${DASHBOARD_PATH}/trainings`)));
  r.post('/trainings', async (req, res) => {
    const doc = await trainings.create(me(res).scope, req.body, 'web', now());
    res.redirect(303, `${DASHBOARD_PATH}/trainings/${String(doc._id)}?ok=created`);
  });
  r.get('/trainings/:id', async (req, res) => {
    const { t, lang, scope } = me(res);
    const { training, rows } = await trainings.signups(scope, String(req.params['id']), 'web', now());
    const confirmed = rows.filter((x) => x.status === 'confirmed');
    const waiting = rows.filter((x) => x.status === 'waiting');
    page(
      res,
      'trainings',
      lang === 'en' ? training.title.en : training.title.th,
      html`<p>${t('dashboard:trainings.seats')}: <strong id="seats">${training.seatsTaken}/${training.capacity}</strong> · ${t('dashboard:trainings.waiting')}: <strong id="waiting">${training.waitingCount}</strong></p>
<section><h2>${t('dashboard:trainings.attendance')}</h2>${confirmed.length === 0 ? html`<p>${t('dashboard:trainings.nobody')}</p>` : html`<form method="post" action="${DASHBOARD_PATH}/trainings/${String(training._id)}/attendance">${csrfField(res)}
<table class="data"><thead><tr><th>${t('dashboard:trainings.attended')}</th><th>${t('dashboard:producers.name')}</th><th>${t('dashboard:producers.phone')}</th></tr></thead><tbody>
${confirmed.map((x) => html`<tr><td><input type="checkbox" name="present" value="${x.userId}" ${raw(x.attended ? 'checked' : '')} aria-label="${x.name}"></td><td>${x.name}</td><td>${x.phone}</td></tr>`)}</tbody></table>
<button type="submit">${t('dashboard:trainings.saveAttendance')}</button></form>`}</section>
<section><h2>${t('dashboard:trainings.waitlist')}</h2>${waiting.length === 0 ? html`<p>—</p>` : html`<table class="data"><thead><tr><th>${t('dashboard:trainings.position')}</th><th>${t('dashboard:producers.name')}</th><th>${t('dashboard:producers.phone')}</th></tr></thead><tbody>${waiting.map((x) => html`<tr><td>${x.position ?? ''}</td><td>${x.name}</td><td>${x.phone}</td></tr>`)}</tbody></table>`}</section>
<section><h2>${t('dashboard:trainings.edit')}</h2>${await trainingForm(res, `${DASHBOARD_PATH}/trainings/${String(training._id)}`, training)}</section>`,
      flashOf(req, res),
    );
  });
  r.post('/trainings/:id', async (req, res) => {
    const id = String(req.params['id']);
    const { promoted } = await trainings.update(me(res).scope, id, req.body, 'web', now());
    res.redirect(303, `${DASHBOARD_PATH}/trainings/${id}?ok=${promoted ? 'promoted' : 'saved'}&n=${promoted}`);
  });
  r.post('/trainings/:id/attendance', async (req, res) => {
    const id = String(req.params['id']);
    const present = ([] as unknown[]).concat(req.body?.present ?? []).filter((x): x is string => typeof x === 'string');
    const n = await trainings.attendance(me(res).scope, id, present, 'web', now());
    res.redirect(303, `${DASHBOARD_PATH}/trainings/${id}?ok=attendanceSaved&n=${n}`);
  });

  // --- campaigns (reminders) ------------------------------------------------------------------
  r.get('/campaigns', async (_req, res) => {
    const { t, scope } = me(res);
    // Officers see the reminders they sent; the national admin sees all campaigns.
    const list = await rt.models.Campaign.find(scope.role === 'admin' ? {} : { createdBy: scope.officerId }).sort({ createdAt: -1 }).limit(100).lean<{ _id: string; title: string; status: string; createdAt: Date }[]>();
    const counts = await Promise.all(list.map((c) => rt.campaigns.counts(c._id)));
    page(
      res,
      'campaigns',
      t('dashboard:nav.campaigns'),
      html`<p>${t('dashboard:campaigns.hint')}</p>${list.length === 0 ? html`<p>${t('dashboard:campaigns.none')}</p>` : html`<table class="data"><thead><tr><th>${t('dashboard:campaigns.title')}</th><th>${t('dashboard:campaigns.status')}</th><th>${t('dashboard:campaigns.created')}</th><th>${t('dashboard:campaigns.recipients')}</th><th>${t('dashboard:campaigns.sent')}</th><th>${t('dashboard:campaigns.failed')}</th><th>${t('dashboard:campaigns.opened')}</th></tr></thead><tbody>
${list.map((c, i) => html`<tr><td>${c.title}</td><td>${c.status}</td><td>${bangkok(c.createdAt)}</td><td>${counts[i]!.recipients}</td><td>${counts[i]!.sent}</td><td>${counts[i]!.failed}</td><td>${counts[i]!.opened}</td></tr>`)}</tbody></table>`}`,
    );
  });

  // --- producers ------------------------------------------------------------------------------
  const filtersOf = (req: Request): ProducerFilters => {
    const q = (k: string) => (typeof req.query[k] === 'string' && req.query[k] ? (req.query[k] as string) : undefined);
    return { ...(q('district') ? { districtCode: q('district') } : {}), ...(q('journey') ? { journey: q('journey') } : {}), ...(q('q') ? { q: q('q') } : {}) };
  };
  const journeyWord = (t: Signed['t'], s: string) => t(`dashboard:producers.${s === 'finished' ? 'finished' : s === 'in_progress' ? 'inProgress' : 'notStarted'}`);

  const producersPage = async (req: Request, res: Response, revealed?: { name: string; id: string }) => {
    const { t, lang, scope } = me(res);
    const f = filtersOf(req);
    const rows = await producers.list(scope, f, { channel: 'web', now: now(), limit: 10_000 });
    const districts = (await areaStats(rt.models, scope, [], now(), 1)).byDistrict;
    const qs = new URLSearchParams(Object.entries({ district: f.districtCode ?? '', journey: f.journey ?? '', q: f.q ?? '' }).filter(([, v]) => v)).toString();
    page(
      res,
      'producers',
      t('dashboard:nav.producers'),
      html`<form method="get" class="filters"><label>${t('dashboard:producers.district')}<select name="district"><option value="">${t('dashboard:producers.all')}</option>${districts.map((d) => html`<option value="${d.code}" ${raw(f.districtCode === d.code ? 'selected' : '')}>${lang === 'en' ? d.nameEn : d.nameTh}</option>`)}</select></label>
<label>${t('dashboard:producers.journey')}<select name="journey"><option value="">${t('dashboard:producers.all')}</option>${rt.journeys.flatMap((j) => ['not_started', 'in_progress', 'finished'].map((s) => html`<option value="${j.id}:${s}" ${raw(f.journey === `${j.id}:${s}` ? 'selected' : '')}>${t(j.titleKey)}: ${journeyWord(t, s)}</option>`))}</select></label>
<label>${t('dashboard:producers.search')}<input name="q" value="${f.q ?? ''}"></label><button type="submit">${t('dashboard:producers.filter')}</button>
<a class="button" id="export-csv" href="${DASHBOARD_PATH}/producers.csv${qs ? `?${qs}` : ''}">${t('dashboard:producers.export')}</a></form>
${revealed ? html`<p class="flash" role="status">${t('dashboard:producers.revealed', revealed)}</p>` : ''}
<p>${t('dashboard:producers.count', { n: rows.length })}</p>
<div class="scroll"><table class="data"><thead><tr><th>${t('dashboard:producers.name')}</th><th>${t('dashboard:producers.phone')}</th><th>${t('dashboard:producers.district')}</th>${rt.journeys.map((j) => html`<th>${t(j.titleKey)}</th>`)}<th>${t('dashboard:producers.registered')}</th><th>${t('dashboard:producers.nationalId')}</th></tr></thead><tbody>
${rows.slice(0, 500).map((p) => html`<tr><td>${p.fullName}</td><td><a href="tel:${p.phone}">${p.phone}</a></td><td>${lang === 'en' ? p.districtEn : p.districtTh}</td>${rt.journeys.map((j) => html`<td>${journeyWord(t, p.journeys[j.id]!)}</td>`)}<td>${bangkok(p.registeredAt, false)}</td>
<td>${p.hasNationalId ? html`<form method="post" action="${DASHBOARD_PATH}/producers/${p.userId}/reveal">${csrfField(res)}<button type="submit" class="link">${t('dashboard:producers.reveal')}</button></form>` : t('dashboard:producers.noId')}</td></tr>`)}</tbody></table></div>`,
    );
  };
  r.get('/producers', (req, res) => producersPage(req, res));

  r.get('/producers.csv', async (req, res) => {
    const { t, scope } = me(res);
    const rows = await producers.list(scope, filtersOf(req), { channel: 'web', now: now(), action: 'export_producers' });
    const header = [t('dashboard:producers.name'), t('dashboard:producers.phone'), t('dashboard:producers.province'), t('dashboard:producers.district'), t('dashboard:producers.category'), ...rt.journeys.map((j) => t(j.titleKey)), t('dashboard:producers.registered')];
    const body = toCsv(header, rows.map((p) => [p.fullName, p.phone, p.provinceTh, p.districtTh, p.category, ...rt.journeys.map((j) => journeyWord(t, p.journeys[j.id]!)), bangkok(p.registeredAt, false)]));
    res.set('Content-Disposition', `attachment; filename="producers-${bangkok(now(), false)}.csv"`).type('text/csv; charset=utf-8').send(body);
  });

  r.post('/producers/:userId/reveal', async (req, res) => {
    const { scope } = me(res);
    const userId = String(req.params['userId']);
    const id = await producers.revealNationalId(scope, userId, 'web', now());
    const p = await rt.models.Producer.findOne({ userId }, { fullName: 1 }).lean();
    await producersPage(req, res, { name: p?.fullName ?? '', id: id ?? '—' });
  });

  // --- errors ---------------------------------------------------------------------------------
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const s = res.locals['signed'] as Signed | undefined;
    if (!s) return next(err);
    if (err instanceof ScopeError) {
      res.status(404).type('html').send(bare(s.lang, '404', html`<p class="error">${s.t('dashboard:errors.notFound')}</p><p><a href="${DASHBOARD_PATH}/">${s.t('dashboard:errors.back')}</a></p>`));
      return;
    }
    if (err instanceof TrainingFormError) {
      res.status(400).type('html').send(bare(s.lang, '400', html`<p class="error">${s.t('dashboard:errors.invalid', { fields: err.fields.map((f) => s.t(`dashboard:trainings.${f}`)).join(', ') })}</p><p><a href="${DASHBOARD_PATH}/trainings">${s.t('dashboard:errors.back')}</a></p>`));
      return;
    }
    next(err);
  });
  return r;
}
