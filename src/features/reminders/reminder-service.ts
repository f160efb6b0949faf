import type { Message } from '../../bot/messages.js';
import { encodeData } from '../../bot/messages.js';
import type { Models } from '../../core/db/models.js';
import type { Lang, Translator } from '../../core/i18n.js';
import type { Logger } from '../../core/logger.js';
import { NOTICES_OFF } from '../campaigns/notices.js';
import type { OutboxPort } from '../campaigns/outbox-port.js';
import { isQuiet, type QuietHours } from '../campaigns/quiet-hours.js';
import type { ReminderRule } from './rules.js';

const HOUR = 3_600_000;
const BKK = 7 * HOUR;

interface Candidate {
  userId: string;
  occasion: string;
  params?: Record<string, unknown>;
}

export interface ReminderDeps {
  models: Models;
  outbox: OutboxPort;
  translator: Translator;
  logger: Logger;
  rules: readonly ReminderRule[];
  quietHours: QuietHours | null;
  now?: () => Date;
}

const hhmm = (d: Date) => new Date(d.getTime() + BKK).toISOString().slice(11, 16);
const ymd = (d: Date) => new Date(d.getTime() + BKK).toISOString().slice(0, 10);
/** Midnight (Bangkok) of the day `at` falls on, as a UTC instant. */
const bangkokMidnight = (at: Date) => new Date(Math.floor((at.getTime() + BKK) / 86_400_000) * 86_400_000 - BKK);

/**
 * Automatic reminders: rules as data (flows/_reminders.yaml), run by the worker. A reminder is
 * keyed by rule, occasion and user: recorded in reminders_sent and sent through the outbox under
 * `reminder:<rule>:<occasion>:<user>`, so it goes at most once however often the job runs.
 * Outbox first, record second: a crash in between finds the outbox item already there.
 */
export class ReminderService {
  private readonly now: () => Date;
  constructor(private readonly deps: ReminderDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async list(): Promise<(ReminderRule & { enabledNow: boolean })[]> {
    const states = new Map((await this.deps.models.ReminderRuleState.find({}).lean()).map((s) => [String(s._id), s.enabled]));
    return this.deps.rules.map((r) => ({ ...r, enabledNow: states.get(r.id) ?? r.enabled }));
  }

  /** Turns a rule on or off (kept in the database; the file gives the default). */
  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    if (!this.deps.rules.some((r) => r.id === id)) return false;
    await this.deps.models.ReminderRuleState.updateOne({ _id: id }, { $set: { enabled, updatedAt: this.now() } }, { upsert: true });
    return true;
  }

  async run(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    if (isQuiet(this.deps.quietHours, this.now())) return { quiet: 1 };
    for (const rule of await this.list()) {
      if (!rule.enabledNow) continue;
      counts[rule.id] = await this.send(rule, await this.candidates(rule));
    }
    return counts;
  }

  private async candidates(rule: ReminderRule): Promise<Candidate[]> {
    const m = this.deps.models;
    const now = this.now();
    switch (rule.kind) {
      case 'registration_unfinished': {
        const before = new Date(now.getTime() - rule.afterHours * HOUR);
        const sessions = await m.Session.find(
          { $or: [{ 'flow.id': 'registration', 'flow.startedAt': { $lt: before } }, { 'paused.registration.startedAt': { $lt: before } }] },
          { _id: 1, flow: 1, paused: 1 },
        ).lean();
        const out: Candidate[] = [];
        for (const s of sessions) {
          const st = (s.flow as { id?: string; startedAt?: Date } | null)?.id === 'registration' ? (s.flow as { startedAt: Date }) : (s.paused as Record<string, { startedAt: Date }>)?.registration;
          if (st?.startedAt) out.push({ userId: String(s._id), occasion: new Date(st.startedAt).toISOString() });
        }
        return out;
      }
      case 'journey_stalled': {
        const before = new Date(now.getTime() - rule.afterDays * 86_400_000);
        const docs = await m.JourneyProgress.find({ flowId: rule.flow, updatedAt: { $lt: before } }, { userId: 1, updatedAt: 1, completedAt: 1 }).lean();
        const journey = (lang: Lang) => this.deps.translator.t(lang, `notices:journeys.${rule.flow}`);
        return docs.filter((d) => !d.completedAt).map((d) => ({ userId: d.userId, occasion: d.updatedAt!.toISOString(), params: { journeyFn: journey } }));
      }
      case 'training_evening_before':
      case 'training_hours_before': {
        let from: Date;
        let to: Date;
        if (rule.kind === 'training_evening_before') {
          const today = bangkokMidnight(now);
          if (now.getTime() < today.getTime() + rule.atHour * HOUR) return [];
          from = new Date(today.getTime() + 86_400_000);
          to = new Date(today.getTime() + 2 * 86_400_000);
        } else {
          from = now;
          to = new Date(now.getTime() + rule.hoursBefore * HOUR);
        }
        const trainings = await m.Training.find({ status: 'open', startsAt: { $gt: from < now ? now : from, $lte: to } }).lean();
        const out: Candidate[] = [];
        for (const t of trainings) {
          const signups = await m.TrainingSignup.find({ trainingId: t._id, status: 'confirmed' }, { userId: 1 }).lean();
          for (const s of signups) out.push({ userId: s.userId, occasion: `${String(t._id)}@${t.startsAt.toISOString()}`, params: { titleByLang: t.title, time: hhmm(t.startsAt) } });
        }
        return out;
      }
      case 'signup_deadline': {
        const trainings = await m.Training.find({ status: 'open', mode: 'onsite', signupDeadline: { $gt: now, $lte: new Date(now.getTime() + rule.hoursBefore * HOUR) } }).lean();
        const out: Candidate[] = [];
        for (const t of trainings) {
          if (t.seatsTaken >= t.capacity || !t.provinceCode) continue;
          const signed = new Set((await m.TrainingSignup.find({ trainingId: t._id }, { userId: 1 }).lean()).map((s) => s.userId));
          const producers = await m.Producer.find({ 'consents.notices': true, 'address.province.code': t.provinceCode }, { userId: 1 }).lean();
          for (const p of producers) {
            if (!signed.has(p.userId)) out.push({ userId: p.userId, occasion: String(t._id), params: { titleByLang: t.title, date: ymd(t.signupDeadline) } });
          }
        }
        return out;
      }
    }
  }

  private async send(rule: ReminderRule, candidates: Candidate[]): Promise<number> {
    const m = this.deps.models;
    let sent = 0;
    for (let i = 0; i < candidates.length; i += 500) {
      const chunk = candidates.slice(i, i + 500);
      const ids = chunk.map((c) => `${rule.id}:${c.occasion}:${c.userId}`);
      const done = new Set((await m.ReminderSent.find({ _id: { $in: ids } }, { _id: 1 }).lean()).map((d) => String(d._id)));
      const users = [...new Set(chunk.map((c) => c.userId))];
      const sessions = new Map((await m.Session.find({ _id: { $in: users } }, { lang: 1, reachable: 1, data: 1 }).lean()).map((s) => [String(s._id), s]));
      const producers = new Map((await m.Producer.find({ userId: { $in: users } }, { userId: 1, consents: 1 }).lean()).map((p) => [p.userId, p]));
      for (const c of chunk) {
        const id = `${rule.id}:${c.occasion}:${c.userId}`;
        if (done.has(id)) continue;
        const s = sessions.get(c.userId);
        if (!s || s.reachable === false) continue; // blocked the bot
        const p = producers.get(c.userId);
        // Opted out: a producer's notices consent; before registering, the stop word on the session.
        if (p ? p.consents?.notices !== true : (s.data as { noticesOff?: boolean } | undefined)?.noticesOff === true) continue;
        if (rule.kind === 'registration_unfinished' && p) continue; // finished after all
        const lang = (s.lang === 'en' ? 'en' : 'th') as Lang;
        await this.deps.outbox.enqueue([
          { _id: `reminder:${id}`, kind: 'push', to: [c.userId], messages: this.messages(rule, lang, c), cause: { type: 'reminder', id } },
        ]);
        await m.ReminderSent.collection.insertOne({ _id: id, rule: rule.id, userId: c.userId, at: this.now() } as never).catch((e: { code?: number }) => {
          if (e.code !== 11000) throw e;
        });
        sent++;
      }
    }
    if (sent) this.deps.logger.info({ rule: rule.id, sent }, 'reminders queued');
    return sent;
  }

  private messages(rule: ReminderRule, lang: Lang, c: Candidate): Message[] {
    const t = (k: string, p?: Record<string, unknown>) => this.deps.translator.t(lang, k, p);
    const params: Record<string, unknown> = {};
    const given = c.params ?? {};
    if (given.journeyFn) params.journey = (given.journeyFn as (l: Lang) => string)(lang);
    if (given.titleByLang) params.title = (given.titleByLang as Record<Lang, string>)[lang];
    if (given.time) params.time = given.time;
    if (given.date) params.date = given.date;
    return [
      {
        type: 'text',
        text: t(rule.message, params),
        quickReply: {
          items: [
            { type: 'action', action: { type: 'postback', label: t(rule.button), displayText: t(rule.button), data: encodeData({ cmd: 'start', flow: rule.link }) } },
            { type: 'action', action: { type: 'postback', label: t('notices:stop_button'), data: NOTICES_OFF } },
          ],
        },
      },
    ];
  }
}
