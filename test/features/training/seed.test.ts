import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bangkokParts } from '../../../src/domain/validation/date.js';
import { SAMPLE_TRAININGS } from '../../../src/features/training/sample-trainings.js';
import { seedTrainings } from '../../../src/features/training/seed.js';
import { TrainingService } from '../../../src/features/training/training-service.js';
import { DAY, openTrainingDb, type TrainingTestDb } from './helpers.js';

let tdb: TrainingTestDb;
const now = new Date('2026-11-02T03:00:00Z');

beforeAll(async () => {
  tdb = await openTrainingDb('training_seed');
});
afterAll(async () => {
  await tdb?.close();
});

describe('seedTrainings', () => {
  it('when the seed runs twice, then the samples exist once, dates follow the second run and sign-ups survive', async () => {
    const first = await seedTrainings(tdb.models, { now });
    expect(first).toMatchObject({ inserted: SAMPLE_TRAININGS.length, updated: 0 });
    expect(await tdb.models.Training.countDocuments()).toBe(SAMPLE_TRAININGS.length);

    const service = new TrainingService(tdb.models);
    const cm = await service.getByCode('TT-2569-002');
    expect((await service.signUp({ trainingId: cm!.id, userId: 'Useed', now })).kind).toBe('confirmed');

    const later = new Date(now.getTime() + 3 * DAY);
    const second = await seedTrainings(tdb.models, { now: later });
    expect(second).toMatchObject({ inserted: 0, updated: SAMPLE_TRAININGS.length });
    expect(await tdb.models.Training.countDocuments()).toBe(SAMPLE_TRAININGS.length);

    const again = await service.getByCode('TT-2569-002');
    expect(again!.id).toBe(cm!.id);
    expect(again!.seatsTaken).toBe(1);
    expect(again!.startsAt.getTime() - cm!.startsAt.getTime()).toBe(3 * DAY);
  });

  it('when seeded, then the samples are realistic: 1–8 weeks ahead, several provinces plus online, one nearly full, one closed', async () => {
    await seedTrainings(tdb.models, { now });
    const service = new TrainingService(tdb.models);
    const all = await Promise.all(SAMPLE_TRAININGS.map((s) => service.getByCode(s.code)));
    const trainings = all.map((t) => t!);

    for (const t of trainings) {
      const days = (t.startsAt.getTime() - now.getTime()) / DAY;
      expect(days).toBeGreaterThan(4);
      expect(days).toBeLessThan(57);
      expect(t.endsAt.getTime()).toBeGreaterThan(t.startsAt.getTime());
      expect(t.signupDeadline.getTime()).toBeLessThan(t.startsAt.getTime());
      expect(bangkokParts(t.startsAt).hour).toBeGreaterThanOrEqual(9);
      expect(bangkokParts(t.startsAt).hour).toBeLessThanOrEqual(14);
    }
    const provinces = new Set(trainings.filter((t) => t.mode === 'onsite').map((t) => t.provinceName?.th));
    for (const p of ['เชียงใหม่', 'ขอนแก่น', 'นครราชสีมา', 'อุบลราชธานี', 'สุราษฎร์ธานี', 'กรุงเทพมหานคร']) expect(provinces).toContain(p);
    expect(trainings.filter((t) => t.mode === 'online').length).toBeGreaterThanOrEqual(3);
    expect(new Set(trainings.map((t) => t.topic))).toEqual(new Set(['tiktok_shop', 'lazada', 'online_marketing', 'packaging', 'photography']));
    expect(trainings.some((t) => t.seatsLeft > 0 && t.seatsLeft <= 3)).toBe(true);
    expect(trainings.filter((t) => t.signupDeadline.getTime() < now.getTime())).toHaveLength(1);
    expect(trainings.every((t) => t.office.th.length > 0 && t.office.en.length > 0)).toBe(true);

    // The closed one is not offered; the others are, Chiang Mai's first for a Chiang Mai producer.
    const list = await service.listUpcoming({ provinceCode: '50', now, limit: 50 });
    expect(list).toHaveLength(SAMPLE_TRAININGS.length - 1);
    expect(list[0]?.provinceName?.th).toBe('เชียงใหม่');
  });
});
