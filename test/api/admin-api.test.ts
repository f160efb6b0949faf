import request from 'supertest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/api/router.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { ApiTokens } from '../../src/api/tokens.js';
import { commands as tokenCommands } from '../../src/cli/admin/tokens.js';
import { parseArgs } from '../../src/cli/admin/types.js';
import { seedSyntheticProducers, syntheticUserId } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let bot: TestBot;
let token: string;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ ...openApiDocument, $id: 'api' } as object, 'api');

beforeAll(async () => {
  bot = await startTestBot('admin-api', { QUIET_HOURS: 'off' });
  await seedSyntheticProducers(bot.rt.models, { count: 60, englishShare: 0.2 });
  token = (await new ApiTokens(bot.rt.models).create('tests', 'admin')).token;
  bot.rt.drainer.start();
}, 60_000);
afterAll(async () => {
  await bot?.close();
});

/** Calls the API and checks the answer against the OpenAPI response schema for that status. */
async function call(method: 'get' | 'post' | 'patch', path: string, body?: unknown, auth = true) {
  let r = request(bot.web.app)[method](`/api/v1${path}`);
  if (auth) r = r.set('authorization', `Bearer ${token}`);
  const res = body === undefined ? await r : await r.send(body as object);
  const template = Object.keys(openApiDocument.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`).test(path.split('?')[0]!));
  expect(template, `${path} is in the OpenAPI document`).toBeDefined();
  const op = (openApiDocument.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>)[template!]![method];
  expect(op, `${method} ${template} is in the OpenAPI document`).toBeDefined();
  const response = op!.responses[String(res.status)];
  expect(response, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
  const schema = response!.content?.['application/json']?.schema;
  if (schema && res.type === 'application/json') {
    const pointer = { $ref: `api#/paths/${template!.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}/content/application~1json/schema` };
    const validate = ajv.compile(pointer);
    expect(validate(res.body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
  return res;
}

const campaign = {
  title: 'Lazada clinic',
  messages: { th: [{ type: 'text', text: 'คลินิกเปิดร้าน Lazada ในจังหวัดของคุณ' }], en: [{ type: 'text', text: 'Lazada onboarding clinic in your province' }] },
  segment: { provinces: ['30', '40'] },
  deepLink: { flow: 'lazada', label: { th: 'เปิดร้าน Lazada', en: 'Open Lazada shop' } },
};

describe('the admin API', () => {
  it('when the router and the OpenAPI document are compared, then every route is documented and every documented operation exists', () => {
    const routes = apiRoutes({} as never).map((r) => `${r.method} ${r.path}`).sort();
    const documented = Object.entries(openApiDocument.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort();
    expect(routes).toEqual(documented);
    expect(openApiDocument.openapi).toBe('3.1.0');
  });

  it('when the document is fetched, then it is served without a token', async () => {
    const res = await request(bot.web.app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('when no token or a wrong or revoked one is sent, then 401', async () => {
    expect((await call('get', '/campaigns', undefined, false)).status).toBe(401);
    const bad = await request(bot.web.app).get('/api/v1/campaigns').set('authorization', 'Bearer otop_nope');
    expect(bad.status).toBe(401);
    const tokens = new ApiTokens(bot.rt.models);
    const other = await tokens.create('soon-revoked', 'admin');
    expect((await request(bot.web.app).get('/api/v1/campaigns').set('authorization', `Bearer ${other.token}`)).status).toBe(200);
    await tokens.revoke('soon-revoked');
    expect((await request(bot.web.app).get('/api/v1/campaigns').set('authorization', `Bearer ${other.token}`)).status).toBe(401);
  });

  it('when a campaign is created, previewed, confirmed and delivered, then get shows its counts', async () => {
    const created = await call('post', '/campaigns', campaign);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ status: 'draft', createdBy: 'tests' });
    const preview = await call('post', `/campaigns/${id}/preview`);
    expect(preview.status).toBe(200);
    const count = await call('post', '/segments/count', campaign.segment);
    expect(preview.body.recipients).toBe(count.body.count);
    expect(preview.body.recipients).toBeGreaterThan(0);
    expect(preview.body.byLanguage.th + preview.body.byLanguage.en).toBe(preview.body.recipients);
    expect(Object.keys(preview.body.byProvince).every((p) => ['30', '40'].includes(p))).toBe(true);
    expect(preview.body.quota).toEqual({ limit: null, used: 0, remaining: null });
    const list = await call('get', '/campaigns');
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await call('post', `/campaigns/${id}/confirm`)).body.status).toBe('scheduled');
    expect((await call('post', `/campaigns/${id}/confirm`)).status).toBe(409);
    await bot.rt.delivery.runDue();
    const got = await call('get', `/campaigns/${id}`);
    expect(got.body.status).toBe('done');
    expect(got.body.counts).toMatchObject({ recipients: count.body.count, sent: count.body.count, failed: 0 });
    const stats = await call('get', `/campaigns/${id}/stats`);
    expect(Object.values(stats.body.byProvince as Record<string, { sent: number }>).reduce((n, r) => n + r.sent, 0)).toBe(count.body.count);
  });

  it('when a campaign breaks the rules, then 400 names the field and why; unknown ids are 404', async () => {
    const bad = await call('post', '/campaigns', { ...campaign, segment: { provinces: ['Bangkok'] }, messages: { th: [{ type: 'text', text: 'x'.repeat(5001) }] } });
    expect(bad.status).toBe(400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toContain('segment.provinces.0');
    expect(fields).toContain('messages.th.0.text');
    const tooBig = await call('post', '/campaigns', { ...campaign, messages: { th: [{ type: 'flex', altText: 'x', contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: 'y'.repeat(40_000) }] } } }] } });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.errors[0]).toMatchObject({ field: 'messages.th' });
    expect((await call('get', '/campaigns/cmp_nope')).status).toBe(404);
    expect((await call('post', '/campaigns/cmp_nope/pause')).status).toBe(404);
    expect((await call('post', '/segments/count', { colour: 'red' })).status).toBe(400);
  });

  it("when a test send is asked for, then the creator's account gets the notice with its buttons", async () => {
    const id = (await call('post', '/campaigns', campaign)).body.id as string;
    const me = syntheticUserId(9_999);
    const res = await call('post', `/campaigns/${id}/test-send`, { userId: me, lang: 'en' });
    expect(res.status).toBe(202);
    await bot.rt.drainer.drainOnce();
    // The background drainer may hold the item: wait for the delivery rather than for this pass.
    await expect.poll(() => bot.fake.sent(me).length, { timeout: 5_000 }).toBe(1);
    const sent = bot.fake.sent(me);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.message as { text: string }).text).toBe('Lazada onboarding clinic in your province');
    expect((await call('post', `/campaigns/${id}/test-send`, { userId: 'me' })).status).toBe(400);
    expect((await call('post', `/campaigns/${id}/pause`)).status).toBe(409);
    expect((await call('post', `/campaigns/${id}/cancel`)).body.status).toBe('cancelled');
  });

  it('when trainings are created, updated and listed, then sign-ups are listed too', async () => {
    const t = {
      code: 'LZ-API-1',
      title: { th: 'คลินิก Lazada', en: 'Lazada clinic' },
      topic: 'lazada',
      mode: 'onsite',
      provinceCode: '30',
      startsAt: '2030-01-10T02:00:00Z',
      endsAt: '2030-01-10T05:00:00Z',
      capacity: 20,
      signupDeadline: '2030-01-08T10:00:00Z',
      office: { th: 'สำนักงานพัฒนาชุมชน', en: 'Community Development Office' },
    };
    const created = await call('post', '/trainings', t);
    expect(created.status).toBe(201);
    expect((await call('post', '/trainings', t)).status).toBe(400); // code taken
    expect((await call('post', '/trainings', { ...t, code: 'LZ-API-2', endsAt: '2030-01-09T00:00:00Z' })).body.errors[0].field).toBe('endsAt');
    const updated = await call('patch', `/trainings/${created.body.id}`, { capacity: 30 });
    expect(updated.body.capacity).toBe(30);
    expect((await call('patch', `/trainings/${created.body.id}`, { capacity: 0 })).status).toBe(400);
    expect((await call('patch', '/trainings/000000000000000000000000', { capacity: 3 })).status).toBe(404);
    expect((await call('get', '/trainings?province=30')).body.items.map((x: { code: string }) => x.code)).toContain('LZ-API-1');
    await bot.rt.models.TrainingSignup.create({ trainingId: created.body.id, userId: syntheticUserId(1), status: 'confirmed', createdAt: new Date() });
    const signups = await call('get', `/trainings/${created.body.id}/signups`);
    expect(signups.body.items).toHaveLength(1);
  });

  it('when producers are listed with filters or exported as CSV, then the rows match and no national ID appears', async () => {
    const list = await call('get', '/producers?province=30&limit=5');
    expect(list.status).toBe(200);
    expect(list.body.items.every((p: { provinceCode: string }) => p.provinceCode === '30')).toBe(true);
    expect((await call('get', '/producers?limit=9999')).status).toBe(400);
    const csv = await request(bot.web.app).get('/api/v1/producers/export.csv?province=30').set('authorization', `Bearer ${token}`);
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv');
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).toContain('userId,fullName');
    expect(lines).toHaveLength(list.body.total + 1);
    expect(csv.text).not.toMatch(/nationalId/i);
  });

  it('when reminder rules are listed and one is disabled, then the list shows it off', async () => {
    const rules = await call('get', '/reminder-rules');
    expect(rules.body.items.map((r: { id: string }) => r.id)).toContain('training-two-hours');
    expect((await call('post', '/reminder-rules/training-two-hours/disable')).body.enabled).toBe(false);
    expect((await call('post', '/reminder-rules/training-two-hours/enable')).body.enabled).toBe(true);
    expect((await call('post', '/reminder-rules/nope/enable')).status).toBe(404);
  });
});

describe('the admin CLI token commands', () => {
  it('when a token is created, then its last line is a token that the API accepts, stored only as a hash; list and revoke work', async () => {
    const lines: string[] = [];
    const ctx = { models: bot.rt.models, out: (l: string) => void lines.push(l) };
    const { command, flags } = parseArgs(['token:create', '--name', 'ops', '--role', 'admin']);
    await tokenCommands[command!]!.run(flags, ctx);
    const created = lines.at(-1)!;
    expect(created).toMatch(/^otop_/);
    expect(JSON.stringify(await bot.rt.models.ApiToken.find({}).lean())).not.toContain(created);
    expect((await request(bot.web.app).get('/api/v1/campaigns').set('authorization', `Bearer ${created}`)).status).toBe(200);
    lines.length = 0;
    await tokenCommands['token:list']!.run({}, ctx);
    expect(lines.join('\n')).toContain('ops');
    await tokenCommands['token:revoke']!.run({ name: 'ops' }, ctx);
    expect((await request(bot.web.app).get('/api/v1/campaigns').set('authorization', `Bearer ${created}`)).status).toBe(401);
    await expect(tokenCommands['token:create']!.run({ name: 'x', role: 'root' }, ctx)).rejects.toThrow(/--role/);
  });
});
