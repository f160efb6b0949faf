import { Types } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../../core/db/models.js';
import { TRAINING_MODES, TRAINING_STATUSES, TRAINING_TOPICS } from '../../core/db/schemas/training.js';
import { CampaignInputError, NotFoundErrorLike, parseInput } from '../campaigns/model.js';
import { TrainingService, type Promotion } from './training-service.js';

const localized = z.object({ th: z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200) }).strict();

const base = {
  title: localized,
  topic: z.enum(TRAINING_TOPICS),
  mode: z.enum(TRAINING_MODES),
  provinceCode: z.string().regex(/^\d{2}$/, 'a 2-digit province code').optional(),
  provinceName: localized.optional(),
  venue: localized.optional(),
  onlineUrl: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https URL').optional(),
  startsAt: z.coerce.date(),
  endsAt: z.coerce.date(),
  capacity: z.number().int().min(1).max(100_000),
  signupDeadline: z.coerce.date(),
  office: localized,
  contactPhone: z.string().trim().max(30).optional(),
};

export const trainingCreateSchema = z
  .object({ code: z.string().trim().regex(/^[A-Z0-9-]{3,30}$/, 'capital letters, digits and dashes, 3-30'), ...base })
  .strict()
  .superRefine((t, ctx) => {
    if (t.endsAt <= t.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    if (t.signupDeadline > t.startsAt) ctx.addIssue({ code: 'custom', path: ['signupDeadline'], message: 'must not be after startsAt' });
    if (t.mode === 'onsite' && !t.provinceCode) ctx.addIssue({ code: 'custom', path: ['provinceCode'], message: 'required for an onsite training' });
    if (t.mode === 'online' && !t.onlineUrl) ctx.addIssue({ code: 'custom', path: ['onlineUrl'], message: 'required for an online training' });
  });

export const trainingUpdateSchema = z
  .object({ ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v.optional()])), status: z.enum(TRAINING_STATUSES).optional() })
  .strict() as z.ZodType<Partial<z.output<typeof trainingCreateSchema>> & { status?: (typeof TRAINING_STATUSES)[number] }>;

export type TrainingCreate = z.input<typeof trainingCreateSchema>;

/** Officers' and the admin API's training use cases (the LINE conversation uses TrainingService). */
export class TrainingAdmin {
  private readonly seats: TrainingService;

  constructor(
    private readonly models: Models,
    private readonly now: () => Date = () => new Date(),
    /** Tells people a capacity raise promoted (the runtime's outbox notifier). */
    notifyPromoted?: (p: Promotion) => Promise<void>,
  ) {
    this.seats = new TrainingService(models, undefined, notifyPromoted ? { notify: notifyPromoted } : {});
  }

  async create(input: unknown) {
    const t = parseInput(trainingCreateSchema, input);
    if (await this.models.Training.exists({ code: t.code })) throw new CampaignInputError([{ field: 'code', reason: 'already used by another training' }]);
    const now = this.now();
    const doc = await this.models.Training.create({ ...t, seatsTaken: 0, waitlist: [], waitingCount: 0, status: 'open', createdAt: now, updatedAt: now });
    return this.view(doc.toObject());
  }

  /** `opts.key`: the request's idempotency key, the cause of the promotions a capacity raise makes. */
  async update(id: string, input: unknown, opts: { key?: string } = {}) {
    const patch = parseInput(trainingUpdateSchema, input);
    const current = await this.find(id);
    if (patch.capacity !== undefined && patch.capacity < current.seatsTaken) {
      throw new CampaignInputError([{ field: 'capacity', reason: `below the ${current.seatsTaken} seats already taken` }]);
    }
    const merged = { ...current, ...patch };
    if (merged.endsAt <= merged.startsAt) throw new CampaignInputError([{ field: 'endsAt', reason: 'must be after startsAt' }]);
    // Conditional like the seat operations: capacity never below the seats held now, and `rev`
    // raised so an operation that read the old capacity starts over.
    const now = this.now();
    const after = await this.models.Training.findOneAndUpdate(
      { _id: current._id, seatsTaken: { $lte: patch.capacity ?? Number.MAX_SAFE_INTEGER } },
      { $set: { ...patch, updatedAt: now }, $inc: { rev: 1 } },
      { returnDocument: 'after' },
    ).lean();
    if (!after) throw new CampaignInputError([{ field: 'capacity', reason: 'below the seats already taken' }]);
    // Seats a raise frees go to the people waiting, keyed by the request (a repeat promotes nobody twice).
    await this.seats.fillFreeSeats(id, opts.key ? `api:${opts.key}` : `edit:${id}:${after.rev ?? 0}`, now);
    return this.view(await this.find(id));
  }

  async list(filter: { status?: string; provinceCode?: string; from?: Date } = {}) {
    const q: Record<string, unknown> = {};
    if (filter.status) q.status = filter.status;
    if (filter.provinceCode) q.provinceCode = filter.provinceCode;
    if (filter.from) q.startsAt = { $gte: filter.from };
    const docs = await this.models.Training.find(q).sort({ startsAt: 1 }).limit(500).lean();
    return docs.map((d) => this.view(d));
  }

  async signups(id: string) {
    const t = await this.find(id);
    const rows = await this.models.TrainingSignup.find({ trainingId: t._id }).sort({ createdAt: 1 }).lean();
    return rows.map((r) => ({ userId: r.userId, status: r.status, createdAt: r.createdAt, confirmedAt: r.confirmedAt ?? null, waitingSince: r.waitingSince ?? null }));
  }

  private async find(id: string) {
    const doc = Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id ? await this.models.Training.findById(id).lean() : null;
    if (!doc) throw new NotFoundErrorLike(`training ${id}`);
    return doc;
  }

  private view(d: Record<string, unknown> & { _id: unknown; waitlist?: unknown; seats?: unknown; holds?: unknown; rev?: unknown }) {
    // Who holds a seat or waits is personal: the sign-ups endpoint shows it, this one only counts.
    const { _id, waitlist: _w, seats: _s, holds: _h, rev: _r, ...rest } = d;
    return { id: String(_id), ...rest };
  }
}
