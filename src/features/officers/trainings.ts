import { Types } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../../core/db/models.js';
import { TRAINING_TOPICS, type TrainingDoc } from '../../core/db/schemas/training.js';
import { listProvinces } from '../../domain/thai-address.js';
import { TrainingService, type Promotion } from '../training/training-service.js';
import type { AuditChannel, OfficerService } from './officer-service.js';
import { coversProvince, ScopeError, trainingFilter, type Scope } from './scope.js';

const BANGKOK_OFFSET = '+07:00';
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date (YYYY-MM-DD)');
const time = z.string().regex(/^\d{2}:\d{2}$/, 'a time (HH:MM)');

/** A training as an officer types it in the dashboard form (Asia/Bangkok dates and times). */
export const trainingFormSchema = z
  .object({
    titleTh: z.string().trim().min(1).max(120),
    titleEn: z.string().trim().max(120).optional(),
    topic: z.enum(TRAINING_TOPICS),
    provinceCode: z.string().regex(/^\d{2}$/),
    venueTh: z.string().trim().min(1).max(200),
    date,
    start: time,
    end: time,
    deadline: date,
    capacity: z.coerce.number().int().min(1).max(10_000),
    officeTh: z.string().trim().min(1).max(200),
    contactPhone: z.string().trim().max(30).optional(),
  })
  .refine((f) => f.end > f.start, { path: ['end'], message: 'ends after it starts' })
  .refine((f) => f.deadline <= f.date, { path: ['deadline'], message: 'the sign-up deadline is on or before the day' });

export type TrainingForm = z.infer<typeof trainingFormSchema>;

export class TrainingFormError extends Error {
  constructor(readonly fields: string[]) {
    super(`invalid: ${fields.join(', ')}`);
  }
}

const at = (d: string, t: string) => new Date(`${d}T${t}:00${BANGKOK_OFFSET}`);

export interface SignupRow {
  userId: string;
  name: string;
  phone: string;
  status: 'confirmed' | 'waiting';
  position?: number;
  attended: boolean;
}

/**
 * Trainings as officers run them from the dashboard: create and edit in their own provinces
 * (seats, dates, venue), see who is confirmed and who waits, and take attendance. Scoped and
 * audited like everything officers do; seats keep the training invariants (see
 * src/core/db/schemas/training.ts): capacity never below the seats taken, and a raise hands the
 * new seats to the people waiting, first in line first.
 */
export class OfficerTrainings {
  private readonly seats: TrainingService;

  constructor(
    private readonly models: Models,
    private readonly officers: OfficerService,
    notifyPromoted: (p: Promotion) => Promise<void>,
  ) {
    this.seats = new TrainingService(models, undefined, { notify: notifyPromoted });
  }

  async list(scope: Scope): Promise<TrainingDoc[]> {
    return this.models.Training.find({ ...trainingFilter(scope), mode: 'onsite' }).sort({ startsAt: -1 }).limit(200).lean<TrainingDoc[]>();
  }

  async get(scope: Scope, id: string): Promise<TrainingDoc> {
    const t = Types.ObjectId.isValid(id) ? await this.models.Training.findOne({ _id: id, ...trainingFilter(scope) }).lean<TrainingDoc>() : null;
    if (!t) throw new ScopeError('no such training in the area');
    return t;
  }

  parse(input: unknown): TrainingForm {
    const r = trainingFormSchema.safeParse(input);
    if (!r.success) throw new TrainingFormError([...new Set(r.error.issues.map((i) => String(i.path[0] ?? 'form')))]);
    return r.data;
  }

  async create(scope: Scope, input: unknown, channel: AuditChannel, now: Date): Promise<TrainingDoc> {
    const f = this.parse(input);
    if (!coversProvince(scope, f.provinceCode)) throw new ScopeError();
    const province = (await listProvinces('th')).find((p) => p.code === f.provinceCode);
    const doc = await this.models.Training.create({
      code: `OFC-${f.provinceCode}-${now.getTime().toString(36).toUpperCase()}`,
      title: { th: f.titleTh, en: f.titleEn || f.titleTh },
      topic: f.topic,
      mode: 'onsite',
      provinceCode: f.provinceCode,
      ...(province ? { provinceName: { th: province.nameTh, en: province.nameEn } } : {}),
      venue: { th: f.venueTh, en: f.venueTh },
      startsAt: at(f.date, f.start),
      endsAt: at(f.date, f.end),
      signupDeadline: at(f.deadline, '23:59'),
      capacity: f.capacity,
      seatsTaken: 0,
      waitlist: [],
      waitingCount: 0,
      office: { th: f.officeTh, en: f.officeTh },
      ...(f.contactPhone ? { contactPhone: f.contactPhone } : {}),
      status: 'open',
      createdAt: now,
    });
    await this.officers.audit(scope.officerId, 'create_training', channel, now, { target: String(doc._id) });
    return doc.toObject() as TrainingDoc;
  }

  /** Edits a training; returns the people promoted from the waiting list by a capacity raise. */
  async update(scope: Scope, id: string, input: unknown, channel: AuditChannel, now: Date): Promise<{ promoted: number }> {
    const t = await this.get(scope, id);
    const f = this.parse(input);
    if (!coversProvince(scope, f.provinceCode) || f.provinceCode !== t.provinceCode) throw new ScopeError();
    const set = {
      'title.th': f.titleTh,
      'title.en': f.titleEn || f.titleTh,
      topic: f.topic,
      'venue.th': f.venueTh,
      'venue.en': f.venueTh,
      startsAt: at(f.date, f.start),
      endsAt: at(f.date, f.end),
      signupDeadline: at(f.deadline, '23:59'),
      capacity: f.capacity,
      'office.th': f.officeTh,
      'office.en': f.officeTh,
      updatedAt: now,
    };
    // One conditional update: never fewer seats than people already holding one. `rev` is raised
    // so that a seat operation that read the old capacity starts over.
    const after = await this.models.Training.findOneAndUpdate(
      { _id: t._id, seatsTaken: { $lte: f.capacity } },
      { $set: set, $inc: { rev: 1 } },
      { returnDocument: 'after' },
    ).lean<TrainingDoc>();
    if (!after) throw new TrainingFormError(['capacity']);
    // New seats go to the people waiting, first in line first, each told (keyed by this edit).
    const promoted = await this.seats.fillFreeSeats(id, `edit:${id}:${after.rev ?? 0}`, now);
    await this.officers.audit(scope.officerId, 'edit_training', channel, now, { target: id, detail: { capacity: f.capacity, promoted: promoted.length } });
    return { promoted: promoted.length };
  }

  async signups(scope: Scope, id: string, channel: AuditChannel, now: Date): Promise<{ training: TrainingDoc; rows: SignupRow[] }> {
    const training = await this.get(scope, id);
    const signups = await this.models.TrainingSignup.find({ trainingId: training._id, status: { $in: ['confirmed', 'waiting'] } }).lean();
    const producers = signups.length ? await this.models.Producer.find({ userId: { $in: signups.map((s) => s.userId) } }, { userId: 1, fullName: 1, phone: 1 }).lean() : [];
    const byUser = new Map(producers.map((p) => [p.userId, p]));
    const rows: SignupRow[] = signups.map((s) => {
      const pos = training.waitlist.indexOf(s.userId);
      return {
        userId: s.userId,
        name: byUser.get(s.userId)?.fullName ?? '—',
        phone: byUser.get(s.userId)?.phone ?? '',
        status: s.status as 'confirmed' | 'waiting',
        ...(s.status === 'waiting' && pos >= 0 ? { position: pos + 1 } : {}),
        attended: !!s.attendedAt,
      };
    });
    rows.sort((a, b) => (a.status === b.status ? (a.position ?? 0) - (b.position ?? 0) || a.name.localeCompare(b.name, 'th') : a.status === 'confirmed' ? -1 : 1));
    await this.officers.audit(scope.officerId, 'view_training_signups', channel, now, { target: id, detail: { producers: rows.map((r) => r.userId) } });
    return { training, rows };
  }

  /** Attendance: exactly the confirmed people listed as present are marked. */
  async attendance(scope: Scope, id: string, present: readonly string[], channel: AuditChannel, now: Date): Promise<number> {
    const training = await this.get(scope, id);
    const yes = [...new Set(present)];
    await this.models.TrainingSignup.updateMany({ trainingId: training._id, status: 'confirmed', userId: { $in: yes } }, { $set: { attendedAt: now } });
    await this.models.TrainingSignup.updateMany({ trainingId: training._id, userId: { $nin: yes } }, { $unset: { attendedAt: 1 } });
    await this.officers.audit(scope.officerId, 'training_attendance', channel, now, { target: id, detail: { present: yes } });
    return this.models.TrainingSignup.countDocuments({ trainingId: training._id, attendedAt: { $exists: true } });
  }
}
