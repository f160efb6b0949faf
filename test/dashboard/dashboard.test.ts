import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { addProducer, admin, inviteCode, officerId } from '../features/officers/helpers.js';
import { addTraining } from '../features/training/helpers.js';
import { nationalIdSeal } from '../../src/features/producers/producer-store.js';
import { signIn, signinSecret, type WebSession } from './support.js';

let bot: TestBot;
let cm: { user: ChatUser; id: string; web: WebSession };
let lp: { user: ChatUser; id: string; web: WebSession };
const users: Record<string, ChatUser> = {};
let lamphunRequest: string;
let cmRequest: string;
let lamphunTraining: string;

async function officer(args: string[]) {
  const r = await admin(bot.rt.models, ['officer:invite', ...args]);
  const user = bot.user();
  await user.says(inviteCode(r.out));
  return { user, id: officerId(r.out) };
}

const get = (path: string, s?: WebSession) => {
  const q = request(bot.web.app).get(path);
  return s ? q.set('Cookie', s.cookie) : q;
};
const post = (path: string, s: WebSession, body: Record<string, string | string[]> = {}, csrf = s.csrf) =>
  request(bot.web.app).post(path).set('Cookie', s.cookie).type('form').send({ _csrf: csrf, ...body });

beforeAll(async () => {
  bot = await startTestBot('dashboard');
  const a = await officer(['--role', 'province', '--province', 'เชียงใหม่', '--name', 'พัฒนาการเชียงใหม่']);
  const b = await officer(['--role', 'province', '--province', 'ลำพูน', '--name', 'พัฒนาการลำพูน']);
  for (const [k, place, name] of [['cm1', 'maeRim', 'สมชาย เชียงใหม่'], ['cm2', 'chomThong', 'สมหญิง จอมทอง'], ['lp1', 'banThi', 'มานี ลำพูน']] as const) {
    users[k] = bot.user();
    await addProducer(bot.rt.producers, users[k].id, place, name);
    await bot.rt.models.Producer.updateOne({ userId: users[k].id }, { $set: { nationalIdSealed: bot.rt.sealer.seal(k === 'lp1' ? '3509900012345' : '1101700203451', nationalIdSeal(users[k].id)) } });
  }
  await users['cm1']!.postback('cmd=officer');
  await users['lp1']!.postback('cmd=officer');
  cmRequest = String((await bot.rt.models.HelpRequest.findOne({ userId: users['cm1']!.id }).lean())!._id);
  lamphunRequest = String((await bot.rt.models.HelpRequest.findOne({ userId: users['lp1']!.id }).lean())!._id);
  await addTraining(bot.rt.models, new Date(), { capacity: 1 });
  lamphunTraining = await addTraining(bot.rt.models, new Date(), { provinceCode: '51', provinceName: { th: 'ลำพูน', en: 'Lamphun' } });
  cm = { ...a, web: await signIn(bot, a.user) };
  lp = { ...b, web: await signIn(bot, b.user) };
});
afterAll(async () => bot?.close());

describe('signing in', () => {
  it('when the link is opened, then the page only offers a button (a preview does not spend it); the POST signs in once with an httpOnly SameSite cookie', async () => {
    const secret = await signinSecret(cm.user);
    expect((await get(`/officer/signin?t=${secret}`)).text).toContain('เข้าสู่ระบบ');
    const first = await request(bot.web.app).post('/officer/signin').type('form').send({ t: secret });
    expect(first.status).toBe(303);
    const cookie = ([] as string[]).concat(first.headers['set-cookie'] ?? []).find((c) => c.startsWith('otop_officer='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/officer/);
    expect(first.headers['referrer-policy']).toBe('same-origin');
    // Single use.
    expect((await request(bot.web.app).post('/officer/signin').type('form').send({ t: secret })).status).toBe(401);
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: 'sign_in' })).toBeGreaterThanOrEqual(2);
  });

  it('when the link is older than its lifetime, or made up, then sign-in is refused', async () => {
    const old = await bot.rt.officers.newSignin(cm.id, new Date(Date.now() - 11 * 60_000));
    expect((await request(bot.web.app).post('/officer/signin').type('form').send({ t: old })).status).toBe(401);
    expect((await request(bot.web.app).post('/officer/signin').type('form').send({ t: 'made-up' })).status).toBe(401);
    expect((await request(bot.web.app).post('/officer/signin').type('form').send({})).status).toBe(401);
  });

  it('when there is no session, a wrong one, or the officer is suspended, then every page answers 401', async () => {
    for (const path of ['/officer/', '/officer/help', '/officer/trainings', '/officer/campaigns', '/officer/producers', '/officer/producers.csv']) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path).set('Cookie', 'otop_officer=forged')).status, path).toBe(401);
    }
    const extra = await officer(['--role', 'province', '--province', 'ลำพูน']);
    const web = await signIn(bot, extra.user);
    expect((await get('/officer/', web)).status).toBe(200);
    await admin(bot.rt.models, ['officer:suspend', '--id', extra.id]);
    expect((await get('/officer/', web)).status).toBe(401);
  });

  it('when a form is posted without the session\u2019s CSRF token, with a wrong one, or from another origin, then it is refused (403) and nothing changes', async () => {
    expect((await post(`/officer/help/${cmRequest}/handle`, cm.web, {}, '')).status).toBe(403);
    expect((await post(`/officer/help/${cmRequest}/handle`, cm.web, {}, 'x'.repeat(32))).status).toBe(403);
    expect((await post(`/officer/help/${cmRequest}/handle`, cm.web).set('Origin', 'https://evil.example')).status).toBe(403);
    expect((await bot.rt.models.HelpRequest.findById(cmRequest).lean())?.status).toBe('open');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: 'refused_csrf' })).toBe(3);
  });
});

describe('a province officer sees and touches only their province', () => {
  it('overview: the funnel counts their producers only, with chart data', async () => {
    const res = await get('/officer/', cm.web).expect(200);
    const data = JSON.parse(/<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(res.text)![1]!);
    expect(data.byDistrict.labels.sort()).toEqual(['จอมทอง', 'แม่ริม']);
    expect(data.byDistrict.datasets[0].data.reduce((a: number, b: number) => a + b, 0)).toBe(2);
    expect(res.text).not.toContain('บ้านธิ');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('producers: the list, filters and CSV export hold only their province; asking for another province\u2019s district is 404', async () => {
    const list = await get('/officer/producers', cm.web).expect(200);
    expect(list.text).toContain('สมชาย เชียงใหม่');
    expect(list.text).not.toContain('มานี ลำพูน');
    expect((await get('/officer/producers?district=5107', cm.web)).status).toBe(404);
    const csv = await get('/officer/producers.csv', cm.web).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text).toContain('สมชาย เชียงใหม่');
    expect(csv.text).toContain('สมหญิง จอมทอง');
    expect(csv.text).not.toContain('มานี ลำพูน');
    expect(csv.text).not.toContain('1101700203451');
    const filtered = await get('/officer/producers.csv?district=5007', cm.web).expect(200);
    expect(filtered.text).not.toContain('สมหญิง จอมทอง');
    const audit = await bot.rt.models.Audit.findOne({ officerId: cm.id, action: 'export_producers' }).lean();
    expect((audit?.detail as { count: number }).count).toBe(2);
  });

  it('national ID: revealed for their producer (audited), refused for another province\u2019s', async () => {
    const mine = await post(`/officer/producers/${users['cm1']!.id}/reveal`, cm.web).expect(200);
    expect(mine.text).toContain('1101700203451');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: 'reveal_national_id', target: users['cm1']!.id })).toBe(1);
    const theirs = await post(`/officer/producers/${users['lp1']!.id}/reveal`, cm.web);
    expect(theirs.status).toBe(404);
    expect(theirs.text).not.toContain('3509900012345');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: 'reveal_national_id', target: users['lp1']!.id })).toBe(0);
  });

  it('help requests: only theirs are listed; handling another province\u2019s is 404 and leaves it open; handling theirs closes it', async () => {
    const page = await get('/officer/help', cm.web).expect(200);
    expect(page.text).toContain('สมชาย เชียงใหม่');
    expect(page.text).not.toContain('มานี ลำพูน');
    expect((await post(`/officer/help/${lamphunRequest}/handle`, cm.web)).status).toBe(404);
    expect((await bot.rt.models.HelpRequest.findById(lamphunRequest).lean())?.status).toBe('open');
    expect((await post(`/officer/help/${cmRequest}/handle`, cm.web)).status).toBe(303);
    expect((await bot.rt.models.HelpRequest.findById(cmRequest).lean())?.status).toBe('closed');
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: 'handle_help_request' })).toBe(1);
  });

  it('trainings: another province\u2019s training cannot be opened, edited or marked, nor one created there', async () => {
    expect((await get('/officer/trainings', cm.web)).text).not.toContain(lamphunTraining);
    expect((await get(`/officer/trainings/${lamphunTraining}`, cm.web)).status).toBe(404);
    const form = { titleTh: 'แอบแก้', topic: 'packaging', provinceCode: '51', venueTh: 'ที่ไหนสักแห่ง', date: '2031-01-10', start: '09:00', end: '12:00', deadline: '2031-01-05', capacity: '5', officeTh: 'สำนักงาน' };
    expect((await post(`/officer/trainings/${lamphunTraining}`, cm.web, form)).status).toBe(404);
    expect((await post(`/officer/trainings/${lamphunTraining}/attendance`, cm.web, { present: users['lp1']!.id })).status).toBe(404);
    expect((await post('/officer/trainings', cm.web, form)).status).toBe(404);
    expect(await bot.rt.models.Training.countDocuments({ provinceCode: '51' })).toBe(1);
    expect((await bot.rt.models.Training.findById(lamphunTraining).lean())?.title?.th).not.toBe('แอบแก้');
  });

  it('trainings: creating one in their province, raising its seats moves the waiting list up, attendance is recorded', async () => {
    const form = { titleTh: 'ถ่ายรูปสินค้าขายออนไลน์', topic: 'photography', provinceCode: '50', venueTh: 'ศาลากลาง', date: '2031-02-10', start: '09:00', end: '15:00', deadline: '2031-02-05', capacity: '1', officeTh: 'สพจ.เชียงใหม่' };
    const created = await post('/officer/trainings', cm.web, form).expect(303);
    const id = /\/officer\/trainings\/([0-9a-f]{24})/.exec(created.headers['location']!)![1]!;
    const t = await bot.rt.models.Training.findById(id).lean();
    expect(t).toMatchObject({ provinceCode: '50', capacity: 1, mode: 'onsite' });
    expect(t!.startsAt.toISOString()).toBe('2031-02-10T02:00:00.000Z');
    // Two producers sign up: one seat, one waiting.
    const now = new Date();
    await bot.rt.trainings.signUp({ trainingId: id, userId: users['cm1']!.id, now }, { waitIfFull: true });
    await bot.rt.trainings.signUp({ trainingId: id, userId: users['cm2']!.id, now }, { waitIfFull: true });
    const before = await get(`/officer/trainings/${id}`, cm.web).expect(200);
    expect(before.text).toContain('id="waiting">1<');
    // Fewer seats than taken: refused.
    expect((await post(`/officer/trainings/${id}`, cm.web, { ...form, capacity: '0' })).status).toBe(400);
    const raised = await post(`/officer/trainings/${id}`, cm.web, { ...form, capacity: '2' }).expect(303);
    expect(raised.headers['location']).toContain('ok=promoted');
    expect(await bot.rt.models.Training.findById(id).lean()).toMatchObject({ capacity: 2, seatsTaken: 2, waitingCount: 0 });
    expect(await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: users['cm2']!.id }).lean()).toMatchObject({ status: 'confirmed' });
    expect(await bot.rt.models.Outbox.countDocuments({ to: users['cm2']!.id, _id: { $regex: '^promo:' } })).toBe(1);
    await post(`/officer/trainings/${id}/attendance`, cm.web, { present: [users['cm1']!.id] }).expect(303);
    expect((await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: users['cm1']!.id }).lean())?.attendedAt).toBeInstanceOf(Date);
    expect((await bot.rt.models.TrainingSignup.findOne({ trainingId: id, userId: users['cm2']!.id }).lean())?.attendedAt).toBeUndefined();
    expect(await bot.rt.models.Audit.countDocuments({ officerId: cm.id, action: { $in: ['create_training', 'edit_training', 'training_attendance'] } })).toBe(3);
  });

  it('campaigns: an officer sees the reminders they sent, with counts, not another officer\u2019s', async () => {
    await bot.rt.officerReminders.send({ officerId: lp.id, role: 'province', provinceCodes: ['51'], districtCodes: [] }, 'no-training', undefined, 'line', new Date());
    const mine = await get('/officer/campaigns', cm.web).expect(200);
    expect(mine.text).not.toContain(lp.id);
    const theirs = await get('/officer/campaigns', lp.web).expect(200);
    expect(theirs.text).toContain('ยังไม่เคยอบรม');
  });

  it('English is available, Thai is the default', async () => {
    expect((await get('/officer/help', lp.web)).text).toContain('คำขอความช่วยเหลือ');
    expect((await get('/officer/help?lang=en', lp.web)).text).toContain('Help requests');
  });
});
