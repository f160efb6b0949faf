import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens } from '../../src/api/tokens.js';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { nationalIdSeal } from '../../src/features/producers/producer-store.js';
import { addProducer, admin, inviteCode, officerId } from '../features/officers/helpers.js';

let bot: TestBot;
const users: Record<string, ChatUser> = {};
let cmToken: string;
let lpRequest: string;

async function officer(args: string[]) {
  const r = await admin(bot.rt.models, ['officer:invite', ...args]);
  const user = bot.user();
  await user.says(inviteCode(r.out));
  return officerId(r.out);
}
async function tokenFor(id: string, now = () => new Date(), days = '30') {
  const r = await admin(bot.rt.models, ['officer:token', '--id', id, '--days', days], now);
  expect(r.code).toBe(0);
  return r.out.at(-1)!;
}
const api = (method: 'get' | 'post', path: string, token?: string) => {
  const q = request(bot.web.app)[method](`/api/v1${path}`);
  return token ? q.set('Authorization', `Bearer ${token}`) : q;
};

beforeAll(async () => {
  bot = await startTestBot('officer_api');
  const cm = await officer(['--role', 'province', '--province', 'เชียงใหม่']);
  await officer(['--role', 'province', '--province', 'ลำพูน']);
  for (const [k, place, name] of [['cm', 'maeRim', 'สมชาย เชียงใหม่'], ['lp', 'banThi', 'มานี ลำพูน']] as const) {
    users[k] = bot.user();
    await addProducer(bot.rt.producers, users[k].id, place, name);
    await bot.rt.models.Producer.updateOne({ userId: users[k].id }, { $set: { nationalIdSealed: bot.rt.sealer.seal('3509900012345', nationalIdSeal(users[k].id)) } });
    await users[k].postback('cmd=officer');
  }
  lpRequest = String((await bot.rt.models.HelpRequest.findOne({ userId: users['lp']!.id }).lean())!._id);
  cmToken = await tokenFor(cm);
});
afterAll(async () => bot?.close());

describe('admin API with officer tokens', () => {
  it('when the token is missing, wrong, expired or revoked, then 401; a suspended officer\u2019s token or a national route, then 403', async () => {
    expect((await api('get', '/producers')).status).toBe(401);
    expect((await api('get', '/producers', 'otop_wrong')).status).toBe(401);
    const id = await officer(['--role', 'province', '--province', 'ลำพูน']);
    const expired = await tokenFor(id, () => new Date(Date.now() - 31 * 86_400_000), '30');
    expect((await api('get', '/producers', expired)).status).toBe(401);
    const revoked = await tokenFor(id);
    expect((await api('get', '/producers', revoked)).status).toBe(200);
    const docs = await bot.rt.models.ApiToken.find({ 'scope.officerId': id }).lean();
    await new ApiTokens(bot.rt.models).revoke(String(docs.at(-1)!._id));
    expect((await api('get', '/producers', revoked)).status).toBe(401);
    const suspended = await tokenFor(id);
    await admin(bot.rt.models, ['officer:suspend', '--id', id]);
    expect((await api('get', '/producers', suspended)).status).toBe(403);
    expect((await api('get', '/reminder-rules', cmToken)).status).toBe(403);
    expect((await api('get', '/campaigns/whatever/stats', cmToken)).status).toBe(403);
  });

  it('producers: list and CSV export hold their province only; another province\u2019s district or national ID is 404', async () => {
    const list = await api('get', '/producers', cmToken).expect(200);
    expect(list.body.items.map((p: { fullName: string }) => p.fullName)).toEqual(['สมชาย เชียงใหม่']);
    expect((await api('get', '/producers?district=5107', cmToken)).status).toBe(404);
    const csv = await api('get', '/producers/export.csv', cmToken).expect(200);
    expect(csv.text).toContain('สมชาย เชียงใหม่');
    expect(csv.text).not.toContain('มานี ลำพูน');
    expect((await api('post', `/producers/${users['lp']!.id}/reveal-national-id`, cmToken)).status).toBe(404);
    expect((await api('post', `/producers/${users['cm']!.id}/reveal-national-id`, cmToken)).body.nationalId).toBe('3509900012345');
    const actions = (await bot.rt.models.Audit.find({ channel: 'api' }).lean()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['list_producers', 'export_producers', 'reveal_national_id', 'refused_out_of_scope']));
  });

  it('help requests: only theirs listed; handling another province\u2019s is 404 and leaves it open', async () => {
    const list = await api('get', '/help-requests', cmToken).expect(200);
    expect(list.body.items.map((h: { name: string }) => h.name)).toEqual(['สมชาย เชียงใหม่']);
    expect((await api('post', `/help-requests/${lpRequest}/handle`, cmToken)).status).toBe(404);
    expect((await bot.rt.models.HelpRequest.findById(lpRequest).lean())?.status).toBe('open');
  });

  it('messages: a campaign is confined to their area; naming another province is refused', async () => {
    const count = await api('post', '/segments/count', cmToken).send({}).expect(200);
    expect(count.body.count).toBe(1);
    expect((await api('post', '/segments/count', cmToken).send({ provinces: ['51'] })).status).toBe(404);
    const body = { title: 'ทดสอบ', messages: { th: [{ type: 'text', text: 'สวัสดีค่ะ' }] } };
    const created = await api('post', '/campaigns', cmToken).send(body).expect(201);
    expect(created.body.segment.provinces).toEqual(['50']);
    expect((await api('post', '/campaigns', cmToken).send({ ...body, segment: { provinces: ['51'] } })).status).toBe(404);
    expect((await api('post', `/campaigns/${created.body.id}/confirm`, cmToken)).body.status).toBe('scheduled');
  });
});
