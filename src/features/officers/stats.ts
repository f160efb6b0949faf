import type { Models } from '../../core/db/models.js';
import type { Journey } from './journeys.js';
import { producerFilter, type Scope } from './scope.js';

export interface JourneyFunnel {
  id: string;
  started: number;
  finished: number;
  /** Producers started but not finished, by the first step they have not done. */
  atStep: Record<string, number>;
}

export interface Funnel {
  registered: number;
  trained: number;
  journeys: JourneyFunnel[];
}

export interface AreaStats extends Funnel {
  byDistrict: (Funnel & { code: string; nameTh: string; nameEn: string })[];
  /** Week by week (Monday, Asia/Bangkok): registrations, journeys started and finished. */
  weeks: { week: string; registered: number; started: Record<string, number>; finished: Record<string, number> }[];
}

const BANGKOK_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;

/** Monday (Asia/Bangkok) of the week a moment falls in, as YYYY-MM-DD. */
export function bangkokWeek(d: Date): string {
  const local = new Date(d.getTime() + BANGKOK_MS);
  const dow = (local.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - dow * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The funnel of an officer's area: registered → journey started → finished (per checklist
 * journey), trained; by district and by week. Producers come through the scope filter; the other
 * collections are read for those producers only (no $lookup: FerretDB 1.x has none).
 */
export async function areaStats(models: Models, scope: Scope, journeys: readonly Journey[], now: Date, weeks = 12): Promise<AreaStats> {
  const producers = await models.Producer.find(producerFilter(scope), { userId: 1, 'address.district': 1, registeredAt: 1 })
    .lean<{ userId: string; address: { district: { code: string; nameTh: string; nameEn: string } }; registeredAt: Date }[]>();
  const ids = producers.map((p) => p.userId);
  const progress = ids.length
    ? await models.JourneyProgress.find({ userId: { $in: ids }, flowId: { $in: journeys.map((j) => j.id) } }, { userId: 1, flowId: 1, steps: 1, startedAt: 1, completedAt: 1 }).lean()
    : [];
  const trainedUsers = await trainedAmong(models, ids, now);

  const districtOf = new Map(producers.map((p) => [p.userId, p.address.district]));
  const empty = (): Funnel => ({ registered: 0, trained: 0, journeys: journeys.map((j) => ({ id: j.id, started: 0, finished: 0, atStep: Object.fromEntries(j.steps.map((s) => [s.id, 0])) })) });
  const total = empty();
  const byDistrict = new Map<string, Funnel & { code: string; nameTh: string; nameEn: string }>();
  const districtFunnel = (userId: string) => {
    const d = districtOf.get(userId)!;
    let f = byDistrict.get(d.code);
    if (!f) byDistrict.set(d.code, (f = { ...empty(), code: d.code, nameTh: d.nameTh, nameEn: d.nameEn }));
    return f;
  };

  const weekKeys: string[] = [];
  for (let i = weeks - 1; i >= 0; i--) weekKeys.push(bangkokWeek(new Date(now.getTime() - i * 7 * DAY_MS)));
  const weekRows = new Map(weekKeys.map((w) => [w, { week: w, registered: 0, started: Object.fromEntries(journeys.map((j) => [j.id, 0])), finished: Object.fromEntries(journeys.map((j) => [j.id, 0])) }]));

  for (const p of producers) {
    total.registered++;
    districtFunnel(p.userId).registered++;
    const w = weekRows.get(bangkokWeek(p.registeredAt));
    if (w) w.registered++;
    if (trainedUsers.has(p.userId)) {
      total.trained++;
      districtFunnel(p.userId).trained++;
    }
  }
  for (const doc of progress) {
    const ji = journeys.findIndex((j) => j.id === doc.flowId);
    const journey = journeys[ji]!;
    const steps = (doc.steps ?? {}) as Record<string, { status?: string }>;
    const started = !!doc.startedAt || Object.keys(steps).length > 0;
    if (!started) continue;
    const firstOpen = doc.completedAt ? undefined : journey.steps.find((s) => steps[s.id]?.status !== 'done')?.id;
    for (const f of [total, districtFunnel(doc.userId)]) {
      const jf = f.journeys[ji]!;
      jf.started++;
      if (doc.completedAt) jf.finished++;
      else if (firstOpen) jf.atStep[firstOpen] = (jf.atStep[firstOpen] ?? 0) + 1;
    }
    const ws = doc.startedAt ? weekRows.get(bangkokWeek(doc.startedAt)) : undefined;
    if (ws) ws.started[doc.flowId] = (ws.started[doc.flowId] ?? 0) + 1;
    const wf = doc.completedAt ? weekRows.get(bangkokWeek(doc.completedAt)) : undefined;
    if (wf) wf.finished[doc.flowId] = (wf.finished[doc.flowId] ?? 0) + 1;
  }
  return {
    ...total,
    byDistrict: [...byDistrict.values()].sort((a, b) => b.registered - a.registered || a.nameTh.localeCompare(b.nameTh, 'th')),
    weeks: weekKeys.map((w) => weekRows.get(w)!),
  };
}

/** Producers who attended a training (marked by an officer), or held a seat in one that is over. */
async function trainedAmong(models: Models, userIds: string[], now: Date): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const signups = await models.TrainingSignup.find({ userId: { $in: userIds }, status: 'confirmed' }, { userId: 1, trainingId: 1, attendedAt: 1 }).lean();
  const pastIds = new Set(
    (await models.Training.find({ _id: { $in: [...new Set(signups.map((s) => String(s.trainingId)))] }, endsAt: { $lt: now } }, { _id: 1 }).lean()).map((t) => String(t._id)),
  );
  return new Set(signups.filter((s) => s.attendedAt || pastIds.has(String(s.trainingId))).map((s) => s.userId));
}
