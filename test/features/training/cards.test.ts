import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/bot/messages.js';
import { createTranslator, type Lang, type Translator } from '../../../src/core/i18n.js';
import { projectRoot } from '../../../src/core/paths.js';
import {
  cancelResultMessage,
  confirmCancelMessage,
  confirmPickMessage,
  formatTrainingWhen,
  mySignupsCarousel,
  parseTrainingData,
  promotedMessage,
  signUpResultMessage,
  trainingCarousel,
  trainingData,
  type CardContext,
} from '../../../src/features/training/cards.js';
import { TrainingService, type TrainingView } from '../../../src/features/training/training-service.js';
import { checkMessages } from '../../../src/line/limits.js';
import { findOpenApiDir, loadLineOpenApi } from '../../../dev/fake-line/openapi-validator.js';
import { addTraining, openTrainingDb, type TrainingTestDb } from './helpers.js';

let tdb: TrainingTestDb;
let service: TrainingService;
let tr: Translator;
const ctx = (lang: Lang): CardContext => ({ lang, t: (key, params) => tr.t(lang, key, params) });

// "Now" is 1 Feb 2027; the training is on Friday 5 March 2027, 09:00–16:00 Bangkok (02:00–09:00 UTC).
const now = new Date('2027-02-01T03:00:00Z');
let fiveMarch: string;
let nearMidnight: string;

const openApiDir = findOpenApiDir();
function schemaIssues(messages: Message[]): string[] {
  if (!openApiDir) return [];
  const api = loadLineOpenApi(openApiDir);
  return messages.flatMap((m, i) => api.validateComponent('Message', m, `messages[${i}]`).map((x) => `${x.property}: ${x.message}`));
}

function json(m: Message): string {
  return JSON.stringify(m);
}

beforeAll(async () => {
  tr = await createTranslator(join(projectRoot, 'locales'));
  tdb = await openTrainingDb('training_cards');
  service = new TrainingService(tdb.models);
  fiveMarch = await addTraining(tdb.models, now, {
    title: { th: 'ไลฟ์ขายของบน TikTok Shop', en: 'Live selling on TikTok Shop' },
    startsAt: new Date('2027-03-05T02:00:00Z'),
    endsAt: new Date('2027-03-05T09:00:00Z'),
    // 23:59 on 1 March in Bangkok is still 28 February in UTC.
    signupDeadline: new Date('2027-03-01T16:59:00Z'),
    capacity: 30,
    seatsTaken: 12,
    contactPhone: '053-112-345',
  });
  // 23:30 UTC on 9 March is 06:30 on 10 March in Bangkok; it ends 00:30 UTC = 07:30 Bangkok.
  nearMidnight = await addTraining(tdb.models, now, {
    title: { th: 'อบรมเช้าตรู่ออนไลน์', en: 'Early-morning online class' },
    mode: 'online',
    onlineUrl: 'https://example.com/live',
    provinceCode: undefined,
    provinceName: undefined,
    venue: undefined,
    startsAt: new Date('2027-03-09T23:30:00Z'),
    endsAt: new Date('2027-03-10T00:30:00Z'),
    signupDeadline: new Date('2027-03-08T17:30:00Z'),
    capacity: 2,
    seatsTaken: 2,
    waitlist: ['Ux', 'Uy', 'Uz'],
    waitingCount: 3,
    topic: 'photography',
  });
});
afterAll(async () => {
  await tdb?.close();
});

async function view(id: string): Promise<TrainingView> {
  const v = await service.get(id);
  if (!v) throw new Error('missing training');
  return v;
}

describe('training dates in cards', () => {
  it('when shown in Thai, then the date has a B.E. year and Bangkok times', async () => {
    expect(formatTrainingWhen(await view(fiveMarch), ctx('th'))).toBe('5 มี.ค. 2570 เวลา 09:00–16:00 น.');
  });

  it('when shown in English, then the date has a C.E. year and Bangkok times', async () => {
    expect(formatTrainingWhen(await view(fiveMarch), ctx('en'))).toBe('5 Mar 2027, 09:00–16:00');
  });

  it('when the instant is just before midnight UTC, then the Bangkok calendar day (the next day) is shown', async () => {
    const t = await view(nearMidnight);
    expect(t.startsAt.getUTCDate()).toBe(9); // in UTC it is still the 9th
    expect(formatTrainingWhen(t, ctx('th'))).toBe('10 มี.ค. 2570 เวลา 06:30–07:30 น.');
    expect(formatTrainingWhen(t, ctx('en'))).toBe('10 Mar 2027, 06:30–07:30');
  });

  it('when a training spans two days, then both dates are shown', () => {
    const when = formatTrainingWhen(
      { startsAt: new Date('2027-03-05T02:00:00Z'), endsAt: new Date('2027-03-06T09:00:00Z') },
      ctx('th'),
    );
    expect(when).toBe('5 มี.ค. 2570 09:00 น. ถึง 6 มี.ค. 2570 16:00 น.');
  });
});

describe('trainingCarousel', () => {
  it('when built in Thai, then it passes LINE limits and schema and shows place, seats, deadline and the sign-up button', async () => {
    const list = await service.listUpcoming({ provinceCode: '50', now, limit: 12 });
    const msg = trainingCarousel(list, ctx('th'));
    expect(checkMessages([msg])).toEqual([]);
    expect(schemaIssues([msg])).toEqual([]);
    const s = json(msg);
    expect(msg.type).toBe('flex');
    expect(s).toContain('5 มี.ค. 2570 เวลา 09:00–16:00 น.');
    expect(s).toContain('ห้องประชุมศาลากลาง เชียงใหม่');
    expect(s).toContain('ว่าง 18 ที่ (จาก 30 ที่)');
    expect(s).toContain('1 มี.ค. 2570 เวลา 23:59 น.'); // deadline, in Bangkok
    expect(s).toContain(`"data":"cmd=training&op=pick&id=${fiveMarch}"`);
    expect(s).toContain('"label":"สมัคร"');
    // The full online class offers the waiting list.
    expect(s).toContain('ออนไลน์');
    expect(s).toContain('เต็มแล้ว — มีคนรอคิว 3 คน');
    expect(s).toContain('"label":"ลงชื่อรอคิว"');
    expect(s).not.toMatch(/2027/); // no C.E. year in Thai
  });

  it('when built in English, then years are C.E. and the wording is English', async () => {
    const list = await service.listUpcoming({ provinceCode: '50', now, limit: 12 });
    const msg = trainingCarousel(list, ctx('en'));
    expect(checkMessages([msg])).toEqual([]);
    const s = json(msg);
    expect(s).toContain('5 Mar 2027, 09:00–16:00');
    expect(s).toContain('City Hall meeting room, Chiang Mai');
    expect(s).toContain('18 of 30 seats left');
    expect(s).toContain('Full — 3 on the waiting list');
    expect(s).toContain('"label":"Sign up"');
    expect(s).toContain('"label":"Join waiting list"');
    expect(s).toContain('Online');
    expect(s).not.toMatch(/2570/);
  });

  it('when there are more than 12 trainings with long titles, then 12 bubbles are shown and every limit holds', async () => {
    const base = await view(fiveMarch);
    const many: TrainingView[] = Array.from({ length: 15 }, (_, i) => ({
      ...base,
      id: `${'a'.repeat(22)}${String(i).padStart(2, '0')}`,
      title: { th: 'อบรมการขายของออนไลน์สำหรับผู้ผลิตชุมชน '.repeat(8), en: 'Selling online for community producers '.repeat(8) },
      office: { th: 'สำนักงานพัฒนาชุมชนจังหวัดพระนครศรีอยุธยา', en: 'Phra Nakhon Si Ayutthaya Provincial Community Development Office' },
    }));
    for (const lang of ['th', 'en'] as const) {
      const msg = trainingCarousel(many, ctx(lang));
      expect(checkMessages([msg])).toEqual([]);
      const contents = (msg as unknown as { contents: { contents: unknown[] } }).contents.contents;
      expect(contents).toHaveLength(12);
      expect((msg as unknown as { altText: string }).altText.length).toBeLessThanOrEqual(1500);
    }
  });

  it('when the viewer is already signed up, then that card shows their status instead of a sign-up button', async () => {
    const t = await view(fiveMarch);
    const msg = trainingCarousel([t], { ...ctx('th'), myStatus: { [t.id]: 'confirmed' } });
    const s = json(msg);
    expect(s).toContain('คุณได้ที่นั่งแล้ว');
    expect(s).not.toContain('op=pick');
    expect(s).toContain('op=mine');
  });

  it('when LINE\'s OpenAPI file is available, then the schema check used here does catch a broken bubble', () => {
    if (!openApiDir) return;
    const broken = { type: 'flex', altText: 'x', contents: { type: 'carousel', contents: [{ type: 'bubble', body: { type: 'box', contents: [] } }] } };
    expect(schemaIssues([broken as unknown as Message]).length).toBeGreaterThan(0);
  });

  it('when there are no trainings, then a friendly text is sent instead of an empty carousel', () => {
    const msg = trainingCarousel([], ctx('th'));
    expect(msg.type).toBe('text');
    expect(checkMessages([msg])).toEqual([]);
  });
});

describe('mySignupsCarousel and texts', () => {
  it('when a producer has a seat and a place in line, then each card shows the status and a Cancel button', async () => {
    const me = 'Ucards00000000000000000000000001';
    await service.signUp({ trainingId: fiveMarch, userId: me, now });
    await service.signUp({ trainingId: nearMidnight, userId: me, now }, { waitIfFull: true });
    const mine = await service.mySignups(me, now);
    for (const lang of ['th', 'en'] as const) {
      const msg = mySignupsCarousel(mine, ctx(lang));
      expect(checkMessages([msg])).toEqual([]);
      expect(schemaIssues([msg])).toEqual([]);
    }
    const s = json(mySignupsCarousel(mine, ctx('th')));
    expect(s).toContain('คุณได้ที่นั่งแล้ว');
    expect(s).toContain('รอคิวอยู่ ลำดับที่ 4');
    expect(s).toContain(`"data":"cmd=training&op=cancel&id=${fiveMarch}"`);
    expect(s).toContain(`"data":"cmd=training&op=cancel&id=${nearMidnight}"`);
    expect(s).toContain('"label":"ยกเลิกการสมัคร"');
    expect(s).toContain('tel:053112345');
  });

  it('when the producer has no sign-ups, then a text offers the list of trainings', () => {
    const msg = mySignupsCarousel([], ctx('th'));
    expect(msg.type).toBe('text');
    expect(json(msg)).toContain('cmd=training&op=list');
  });

  it('when confirmations and results are built, then they fit LINE limits in both languages', async () => {
    const t = await view(fiveMarch);
    const full = await view(nearMidnight);
    for (const lang of ['th', 'en'] as const) {
      const c = ctx(lang);
      const messages: Message[] = [
        confirmPickMessage(t, c),
        confirmPickMessage(full, c),
        confirmCancelMessage(t, c),
        promotedMessage({ training: t }, c),
        ...(
          [
            { kind: 'confirmed', training: t },
            { kind: 'waiting', position: 3, training: full },
            { kind: 'full', training: full },
            { kind: 'already', status: 'confirmed', training: t },
            { kind: 'already', status: 'waiting', position: 2, training: full },
            { kind: 'deadline_passed', training: t },
            { kind: 'past', training: t },
            { kind: 'cancelled', training: t },
            { kind: 'not_found' },
          ] as const
        ).map((r) => signUpResultMessage(r, c)),
        ...(
          [
            { kind: 'cancelled', previousStatus: 'confirmed', training: t },
            { kind: 'cancelled', previousStatus: 'waiting', training: full },
            { kind: 'not_signed_up', training: t },
            { kind: 'past', training: t },
            { kind: 'not_found' },
          ] as const
        ).map((r) => cancelResultMessage(r, c)),
      ];
      for (let i = 0; i < messages.length; i += 5) {
        const batch = messages.slice(i, i + 5);
        expect(checkMessages(batch)).toEqual([]);
        expect(schemaIssues(batch)).toEqual([]);
      }
      for (const m of messages) expect(json(m)).not.toMatch(/training:|\{\{/); // no missing keys or placeholders
    }
    expect(json(confirmPickMessage(t, ctx('th')))).toContain('cmd=training&op=join');
    expect(json(confirmPickMessage(full, ctx('th')))).toContain('cmd=training&op=wait');
    expect(json(signUpResultMessage({ kind: 'deadline_passed', training: t }, ctx('th')))).toContain('1 มี.ค. 2570 เวลา 23:59 น.');
    expect(json(signUpResultMessage({ kind: 'deadline_passed', training: t }, ctx('en')))).toContain('1 Mar 2027, 23:59');
  });

  it('when postback data is built, then it parses back and stays short', () => {
    const data = trainingData('cancel_yes', '0123456789abcdef01234567');
    expect(data).toBe('cmd=training&op=cancel_yes&id=0123456789abcdef01234567');
    expect(data.length).toBeLessThanOrEqual(300);
    expect(parseTrainingData(data)).toEqual({ op: 'cancel_yes', id: '0123456789abcdef01234567' });
    expect(parseTrainingData('cmd=training&op=list')).toEqual({ op: 'list' });
    expect(parseTrainingData('cmd=start&flow=x')).toBeUndefined();
    expect(parseTrainingData('cmd=training&op=drop')).toBeUndefined();
  });

});
