import { z } from 'zod';
import type { Models } from '../../core/db/models.js';

export const JOURNEY_FLOWS = ['tiktok-shop', 'lazada'] as const;
const CATEGORIES = ['food', 'beverage', 'textile', 'craft', 'herbal'] as const;
const PRODUCER_TYPES = ['community_group', 'single_owner', 'sme'] as const;

/** Which producers a campaign goes to. Every filter is optional; present filters all apply (AND). */
export const segmentSchema = z
  .object({
    provinces: z.array(z.string().regex(/^\d{2}$/, 'a 2-digit province code')).max(77).optional(),
    districts: z.array(z.string().regex(/^\d{4}$/, 'a 4-digit district code')).max(1000).optional(),
    subdistricts: z.array(z.string().regex(/^\d{6}$/, 'a 6-digit subdistrict code')).max(1000).optional(),
    categories: z.array(z.enum(CATEGORIES)).optional(),
    producerTypes: z.array(z.enum(PRODUCER_TYPES)).optional(),
    languages: z.array(z.enum(['th', 'en'])).optional(),
    registration: z.enum(['with_otop_number', 'without_otop_number']).optional(),
    journeys: z
      .array(
        z
          .object({
            flow: z.enum(JOURNEY_FLOWS),
            state: z.enum(['not_started', 'in_progress', 'stalled', 'finished']),
            /** in_progress: exactly this many steps done. */
            stepsDone: z.number().int().min(0).optional(),
            /** stalled: no progress for at least this many days (default 7). */
            stalledDays: z.number().int().min(1).max(365).optional(),
          })
          .strict(),
      )
      .max(2)
      .optional(),
    training: z.enum(['signed_up', 'attended', 'none']).optional(),
    activeWithinDays: z.number().int().min(1).max(3650).optional(),
    inactiveForDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export type Segment = z.infer<typeof segmentSchema>;

export interface SegmentMember {
  userId: string;
  provinceCode?: string;
  lang: 'th' | 'en';
}

type Filter = Record<string, unknown>;

/** Documents per cursor batch when a segment is read: memory and each command's length stay bounded. */
const STREAM_BATCH = 500;
/** Most ids a segment query carries; a larger set is checked in memory as producers stream past. */
const IDS_IN_QUERY = 1_000;

interface Plan {
  query: Filter;
  /** Only these users (a set too large for the query). */
  only?: Set<string>;
  /** Not these users (likewise). */
  skip?: Set<string>;
}

/**
 * Resolves segments over producers. Filters on the producer document become one indexed query;
 * filters on other collections (sessions, journey progress, sign-ups) become id sets merged into
 * it ($in / $nin), so nothing needs $lookup or $expr (FerretDB handles neither correctly).
 * The mandatory exclusions: no notices consent or opted out (consents.notices not true), blocked
 * the bot (session unreachable); erased producers have no producer document.
 */
export class Segments {
  constructor(
    private readonly models: Models,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * How many producers the segment selects. Read as a stream of ids in bounded batches rather
   * than as one count command: each batch is a short command on any engine (a database that
   * serves one command at a time, or a loaded one, keeps answering everybody else), and on
   * MongoDB the stream is covered by the `{consents.notices, userId}` index.
   */
  async count(segment: Segment): Promise<number> {
    let n = 0;
    for await (const _ of this.stream(await this.plan(segment), { userId: 1, _id: 0 })) n++;
    return n;
  }

  /**
   * Members with their language and province (for the preview and delivery), streamed in
   * bounded batches and in no particular order: a sort would make the database gather the whole
   * segment before the first answer (in one long command where the sort cannot use an index),
   * and nothing downstream needs an order (delivery records are keyed by recipient).
   */
  async *members(segment: Segment): AsyncGenerator<SegmentMember> {
    const plan = await this.plan(segment);
    const english = await this.englishUsers();
    for await (const p of this.stream(plan, { userId: 1, 'address.province.code': 1, _id: 0 })) {
      yield { userId: p.userId, provinceCode: p.address?.province?.code, lang: english.has(p.userId) ? 'en' : 'th' };
    }
  }

  private async *stream(plan: Plan, projection: Record<string, 0 | 1>): AsyncGenerator<{ userId: string; address?: { province?: { code?: string } } }> {
    const cursor = this.models.Producer.find(plan.query, projection).lean().cursor({ batchSize: STREAM_BATCH });
    for await (const p of cursor as AsyncIterable<{ userId: string; address?: { province?: { code?: string } } }>) {
      if (plan.only && !plan.only.has(p.userId)) continue;
      if (plan.skip?.has(p.userId)) continue;
      yield p;
    }
  }

  async breakdown(segment: Segment): Promise<{ total: number; byLanguage: Record<string, number>; byProvince: Record<string, number> }> {
    const byLanguage: Record<string, number> = { th: 0, en: 0 };
    const byProvince: Record<string, number> = {};
    let total = 0;
    for await (const m of this.members(segment)) {
      total++;
      byLanguage[m.lang] = (byLanguage[m.lang] ?? 0) + 1;
      const p = m.provinceCode ?? 'unknown';
      byProvince[p] = (byProvince[p] ?? 0) + 1;
    }
    return { total, byLanguage, byProvince };
  }

  /** The producers query for a segment, exclusions included (ids of large sets checked as read). */
  private async plan(segment: Segment): Promise<Plan> {
    const and: Filter[] = [{ 'consents.notices': true }];
    if (segment.provinces?.length) and.push({ 'address.province.code': { $in: segment.provinces } });
    if (segment.districts?.length) and.push({ 'address.district.code': { $in: segment.districts } });
    if (segment.subdistricts?.length) and.push({ 'address.subdistrict.code': { $in: segment.subdistricts } });
    if (segment.categories?.length) and.push({ category: { $in: segment.categories } });
    if (segment.producerTypes?.length) and.push({ producerType: { $in: segment.producerTypes } });
    if (segment.registration === 'with_otop_number') and.push({ otopRegistrationNumber: { $type: 'string', $ne: '' } });
    if (segment.registration === 'without_otop_number') and.push({ $or: [{ otopRegistrationNumber: { $exists: false } }, { otopRegistrationNumber: null }, { otopRegistrationNumber: '' }] });

    const include: Set<string>[] = [];
    const exclude = new Set<string>();
    // Blocked the bot: few, and sessions are indexed on reachable.
    for await (const s of this.models.Session.find({ reachable: false }, { _id: 1 }).lean().cursor({ batchSize: STREAM_BATCH })) exclude.add(String(s._id));

    if (segment.languages?.length === 1) {
      const english = await this.englishUsers();
      if (segment.languages[0] === 'en') include.push(english);
      else for (const u of english) exclude.add(u);
    }
    for (const j of segment.journeys ?? []) {
      const { matching, started } = await this.journeyUsers(j);
      if (j.state === 'not_started') for (const u of started) exclude.add(u);
      else include.push(matching);
    }
    if (segment.training) {
      const users = await this.trainingUsers(segment.training === 'attended');
      if (segment.training === 'none') for (const u of users) exclude.add(u);
      else include.push(users);
    }
    if (segment.activeWithinDays || segment.inactiveForDays) {
      const now = this.now().getTime();
      const q: Filter = {};
      if (segment.activeWithinDays) q.$gte = new Date(now - segment.activeWithinDays * 86_400_000);
      if (segment.inactiveForDays) q.$lt = new Date(now - segment.inactiveForDays * 86_400_000);
      const active = new Set<string>();
      for await (const s of this.models.Session.find({ lastEventAt: q }, { _id: 1 }).lean().cursor({ batchSize: STREAM_BATCH })) active.add(String(s._id));
      include.push(active);
    }

    // Ids from other collections: a few go into the query ($in/$nin, index seeks); many are
    // checked as the documents stream past instead, so no command carries (and no database
    // matches every document against) a list of thousands of ids.
    const plan: Plan = { query: {} };
    if (include.length) {
      let ids = include[0]!;
      for (const s of include.slice(1)) ids = new Set([...ids].filter((u) => s.has(u)));
      for (const u of exclude) ids.delete(u);
      if (ids.size <= IDS_IN_QUERY) and.push({ userId: { $in: [...ids] } });
      else plan.only = ids;
    } else if (exclude.size) {
      if (exclude.size <= IDS_IN_QUERY) and.push({ userId: { $nin: [...exclude] } });
      else plan.skip = exclude;
    }
    plan.query = and.length === 1 ? and[0]! : { $and: and };
    return plan;
  }

  /** Users whose conversation language is English (Thai is the default, so this set is the small one). */
  private async englishUsers(): Promise<Set<string>> {
    const english = new Set<string>();
    for await (const s of this.models.Session.find({ lang: 'en' }, { _id: 1 }).lean().cursor({ batchSize: STREAM_BATCH })) english.add(String(s._id));
    return english;
  }

  private async journeyUsers(j: NonNullable<Segment['journeys']>[number]): Promise<{ matching: Set<string>; started: Set<string> }> {
    const docs = this.models.JourneyProgress.find({ flowId: j.flow }, { userId: 1, steps: 1, updatedAt: 1, completedAt: 1 }).lean().cursor({ batchSize: STREAM_BATCH });
    const started = new Set<string>();
    const matching = new Set<string>();
    const stalledBefore = this.now().getTime() - (j.stalledDays ?? 7) * 86_400_000;
    for await (const d of docs) {
      started.add(d.userId);
      const done = Object.values((d.steps ?? {}) as Record<string, { status?: string }>).filter((s) => s?.status === 'done').length;
      const finished = Boolean(d.completedAt);
      const ok =
        j.state === 'finished'
          ? finished
          : j.state === 'in_progress'
            ? !finished && (j.stepsDone === undefined || done === j.stepsDone)
            : j.state === 'stalled'
              ? !finished && (d.updatedAt?.getTime() ?? 0) < stalledBefore
              : false;
      if (ok) matching.add(d.userId);
    }
    return { matching, started };
  }

  private async trainingUsers(attendedOnly: boolean): Promise<Set<string>> {
    const signups = await this.models.TrainingSignup.find({ status: attendedOnly ? 'confirmed' : { $in: ['confirmed', 'waiting'] } }, { userId: 1, trainingId: 1 }).lean();
    if (!attendedOnly) return new Set(signups.map((s) => s.userId));
    const ended = new Set(
      (await this.models.Training.find({ endsAt: { $lt: this.now() }, status: 'open' }, { _id: 1 }).lean()).map((t) => String(t._id)),
    );
    return new Set(signups.filter((s) => ended.has(String(s.trainingId))).map((s) => s.userId));
  }
}
