import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { parseQuietHours } from '../../src/features/campaigns/quiet-hours.js';
import { ReminderService } from '../../src/features/reminders/reminder-service.js';
import { loadReminderRules } from '../../src/features/reminders/rules.js';
import { seedSyntheticProducers, syntheticUserId } from '../../dev/synthetic-producers.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let bot: TestBot;
let clock = new Date('2026-03-10T05:00:00Z'); // 12:00 Bangkok
let svc: ReminderService;
const flowsDir = join(projectRoot, 'flows');

beforeAll(async () => {
  bot = await startTestBot('reminders', { QUIET_HOURS: '21:00-08:00' });
  await seedSyntheticProducers(bot.rt.models, { count: 20, now: clock });
  const rules = loadReminderRules(flowsDir, { hasKey: () => true });
  svc = new ReminderService({ models: bot.rt.models, outbox: bot.rt.outbox, translator: bot.rt.translator, logger: bot.rt.logger, rules, quietHours: parseQuietHours('21:00-08:00'), now: () => clock });
}, 60_000);
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.fake.reset());

async function sentTexts(userId: string) {
  await bot.rt.drainer.drainOnce();
  return bot.fake.sent(userId).map((m) => (m.message as { text?: string }).text ?? '');
}

describe('automatic reminders', () => {
  it('when a training is tomorrow, then its confirmed attendees get one reminder the evening before and one 2 hours before, however often the job runs', async () => {
    const startsAt = new Date('2026-03-11T02:00:00Z'); // 09:00 Bangkok tomorrow
    const t = await bot.rt.models.Training.create({
      code: 'TT-REM-1', title: { th: 'ไลฟ์ขายของ', en: 'Live selling' }, topic: 'tiktok_shop', mode: 'onsite', provinceCode: '10',
      startsAt, endsAt: new Date(startsAt.getTime() + 3 * 3_600_000), capacity: 10, seatsTaken: 1, waitlist: [], waitingCount: 0,
      signupDeadline: new Date('2026-03-10T10:00:00Z'), office: { th: 'สำนักงาน', en: 'Office' }, status: 'open', createdAt: clock,
    });
    const attendee = syntheticUserId(1);
    await bot.rt.models.TrainingSignup.create({ trainingId: t._id, userId: attendee, status: 'confirmed', createdAt: clock });
    await svc.run(); // 12:00: too early for "evening before"
    expect(await sentTexts(attendee)).toEqual([]);
    clock = new Date('2026-03-10T11:05:00Z'); // 18:05
    await svc.run();
    await svc.run();
    clock = new Date('2026-03-10T12:00:00Z');
    await svc.run();
    const evening = await sentTexts(attendee);
    expect(evening).toHaveLength(1);
    expect(evening[0]).toContain('09:00');
    clock = new Date('2026-03-11T00:30:00Z'); // 07:30: quiet hours, nothing
    expect(await svc.run()).toEqual({ quiet: 1 });
    clock = new Date('2026-03-11T01:00:00Z'); // 08:00, one hour before
    await svc.run();
    await svc.run();
    const all = await sentTexts(attendee);
    expect(all).toHaveLength(2);
    // Deep link back to the user's trainings, and the stop button.
    const qr = (bot.fake.sent(attendee).at(-1)!.message as { quickReply: { items: { action: { data: string } }[] } }).quickReply.items.map((i) => i.action.data);
    expect(qr).toEqual(['cmd=start&flow=my-trainings', 'notices=off']);
  });

  it('when a journey stalls, then the producer is reminded once per stall, and not after opting out', async () => {
    clock = new Date('2026-03-20T05:00:00Z');
    const a = syntheticUserId(2);
    const b = syntheticUserId(3);
    for (const u of [a, b]) {
      await bot.rt.models.JourneyProgress.create({ _id: `tiktok-shop:${u}`, userId: u, flowId: 'tiktok-shop', steps: { sign_up: { status: 'done', at: new Date('2026-03-15T05:00:00Z') } }, startedAt: new Date('2026-03-15T05:00:00Z'), updatedAt: new Date('2026-03-15T05:00:00Z') });
    }
    await bot.rt.noticeConsent.set(b, false);
    await svc.run();
    await svc.run();
    expect(await sentTexts(a)).toHaveLength(1);
    expect((await sentTexts(a))[0]).toContain('TikTok Shop');
    expect(await sentTexts(b)).toEqual([]);
    // Progress, then a new stall: a new occasion.
    await bot.rt.models.JourneyProgress.updateOne({ _id: `tiktok-shop:${a}` }, { $set: { updatedAt: new Date('2026-03-21T05:00:00Z') } });
    clock = new Date('2026-03-25T05:00:00Z');
    await svc.run();
    expect(await sentTexts(a)).toHaveLength(2);
  });

  it('when a rule is disabled, then it sends nothing', async () => {
    clock = new Date('2026-04-01T05:00:00Z');
    const u = syntheticUserId(4);
    await bot.rt.models.JourneyProgress.create({ _id: `lazada:${u}`, userId: u, flowId: 'lazada', steps: {}, startedAt: new Date('2026-03-01T00:00:00Z'), updatedAt: new Date('2026-03-01T00:00:00Z') });
    expect(await svc.setEnabled('lazada-stalled', false)).toBe(true);
    expect((await svc.list()).find((r) => r.id === 'lazada-stalled')?.enabledNow).toBe(false);
    await svc.run();
    expect(await sentTexts(u)).toEqual([]);
    await svc.setEnabled('lazada-stalled', true);
    await svc.run();
    expect(await sentTexts(u)).toHaveLength(1);
  });

  it('when someone began registering more than 24 hours ago, then they get one reminder; a producer does not', async () => {
    clock = new Date('2026-04-05T05:00:00Z');
    const newcomer = `U${'e'.repeat(32)}`;
    await bot.rt.models.Session.create({ _id: newcomer, lang: 'en', reachable: true, flow: { id: 'registration', version: 2, step: 'name', startedAt: new Date('2026-04-03T05:00:00Z') }, paused: {}, data: {}, createdAt: clock, updatedAt: clock, rev: 0 });
    await svc.run();
    await svc.run();
    const texts = await sentTexts(newcomer);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('registration');
  });

  it('when the rules file has a mistake, then loading names the file, the rule and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const text = readFileSync(join(flowsDir, '_reminders.yaml'), 'utf8').replace('link: lazada', 'link: nowhere').replace('afterHours: 24', 'afterHours: 0');
    writeFileSync(join(dir, '_reminders.yaml'), text);
    expect(() => loadReminderRules(dir, { hasKey: () => true, flowIds: new Set(['tiktok-shop']) })).toThrow(/flows\/_reminders\.yaml: rules\.0\.afterHours/);
    writeFileSync(join(dir, '_reminders.yaml'), readFileSync(join(flowsDir, '_reminders.yaml'), 'utf8').replace('link: lazada', 'link: nowhere'));
    expect(() => loadReminderRules(dir, { hasKey: () => true, flowIds: new Set(['registration', 'tiktok-shop', 'lazada', 'training', 'my-trainings']) })).toThrow(/rule "lazada-stalled": link "nowhere"/);
  });
});
