import type { TrainingModels } from '../../core/db/schemas/training.js';
import { loadAddressIndex } from '../../domain/thai-address.js';
import { bangkokDateTime, bangkokToday } from '../../domain/validation/date.js';
import { SAMPLE_TRAININGS, type SampleTraining } from './sample-trainings.js';

const DAY_MS = 86_400_000;

export interface SeedResult {
  inserted: number;
  updated: number;
  codes: string[];
}

/**
 * Upserts the sample trainings by `code`: a second run moves the dates along with "now" and
 * refreshes the wording, never duplicates, and leaves seats, waiting lists and sign-ups alone.
 */
export async function seedTrainings(
  models: TrainingModels,
  opts: { now: Date; samples?: readonly SampleTraining[] },
): Promise<SeedResult> {
  const samples = opts.samples ?? SAMPLE_TRAININGS;
  const index = await loadAddressIndex();
  const result: SeedResult = { inserted: 0, updated: 0, codes: [] };
  for (const s of samples) {
    const doc = sampleToFields(s, opts.now, (code) => {
      const p = index.province(code);
      if (!p) throw new Error(`sample training ${s.code}: unknown province code ${code}`);
      return { th: p.nameTh, en: p.nameEn };
    });
    const r = await models.Training.updateOne(
      { code: s.code },
      {
        $set: { ...doc, updatedAt: opts.now },
        $setOnInsert: {
          seatsTaken: Math.min(s.seatsTaken ?? 0, s.capacity),
          waitlist: [],
          waitingCount: 0,
          status: 'open',
          createdAt: opts.now,
        },
      },
      { upsert: true },
    );
    if (r.upsertedCount > 0) result.inserted++;
    else result.updated++;
    result.codes.push(s.code);
  }
  return result;
}

/** The stored fields of a sample, with dates placed relative to `now` (Bangkok calendar days). */
export function sampleToFields(
  s: SampleTraining,
  now: Date,
  provinceName: (code: string) => { th: string; en: string },
): Record<string, unknown> {
  const today = bangkokToday(now);
  const at = (daysFromToday: number, hhmm: string): Date => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    return new Date(bangkokDateTime(today, h, m).getTime() + daysFromToday * DAY_MS);
  };
  const startsAt = at(s.startInDays, s.startTime);
  const endsAt = at(s.startInDays + (s.days ?? 1) - 1, s.endTime);
  const signupDeadline =
    s.deadlineInDays !== undefined ? at(s.deadlineInDays, '23:59') : at(s.startInDays - (s.deadlineDaysBeforeStart ?? 3), '23:59');
  const fields: Record<string, unknown> = {
    title: s.title,
    topic: s.topic,
    mode: s.mode,
    startsAt,
    endsAt,
    capacity: s.capacity,
    signupDeadline,
    office: s.office,
  };
  if (s.mode === 'onsite') {
    if (!s.provinceCode || !s.venue) throw new Error(`sample training ${s.code}: onsite needs provinceCode and venue`);
    fields['provinceCode'] = s.provinceCode;
    fields['provinceName'] = provinceName(s.provinceCode);
    fields['venue'] = s.venue;
  } else {
    if (!s.onlineUrl) throw new Error(`sample training ${s.code}: online needs onlineUrl`);
    fields['onlineUrl'] = s.onlineUrl;
  }
  if (s.contactPhone) fields['contactPhone'] = s.contactPhone;
  return fields;
}
