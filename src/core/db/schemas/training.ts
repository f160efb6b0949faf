import { Schema, Types, type Connection } from 'mongoose';

/**
 * Trainings offered to producers and the sign-ups for them (issue #4).
 * Written to what both MongoDB and FerretDB 1.x support (see src/core/db/models.ts): no partial/
 * sparse/TTL indexes, no unique index on an optional field; transactions only where the database
 * has them (src/core/db/transactions.ts), never required for correctness.
 *
 * The sign-up documents (`training_signups`) are the source of truth for who holds a seat and who
 * waits. The training document keeps a derived copy for admission control, changed by conditional
 * single-document updates: `seats` (user ids holding a seat) with `seatsTaken`, `waitlist` (user
 * ids waiting, first in line first) with `waitingCount`, `holds` (user id → key of the operation
 * that put them there) and `rev` (raised by every change, for compare-and-set writers).
 * Invariant: every confirmed sign-up's user is in `seats` (a seat is taken on the training before
 * the sign-up says confirmed, and given back only after it no longer does), so confirmed sign-ups
 * never exceed capacity. Disagreements a crash leaves behind are repaired by the seat reconciler
 * (src/features/training/seat-reconciler.ts); see src/features/training/training-service.ts.
 */

export const TRAINING_TOPICS = [
  'tiktok_shop',
  'lazada',
  'online_marketing',
  'packaging',
  'photography',
  'other',
] as const;
export type TrainingTopic = (typeof TRAINING_TOPICS)[number];

export const TRAINING_MODES = ['onsite', 'online'] as const;
export type TrainingMode = (typeof TRAINING_MODES)[number];

export const TRAINING_STATUSES = ['open', 'cancelled'] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];

export const SIGNUP_STATUSES = ['confirmed', 'waiting', 'cancelled'] as const;
export type SignupStatus = (typeof SIGNUP_STATUSES)[number];

export interface LocalizedText {
  th: string;
  en: string;
}

/** A training as stored (lean). */
export interface TrainingDoc {
  _id: Types.ObjectId;
  /** Short human code, e.g. `TT-2569-001`; unique. */
  code: string;
  title: LocalizedText;
  topic: TrainingTopic;
  mode: TrainingMode;
  /** Onsite: 2-digit province geocode (src/domain/thai-address.ts) and its names. */
  provinceCode?: string;
  provinceName?: LocalizedText;
  venue?: LocalizedText;
  /** Online: meeting/live link. */
  onlineUrl?: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  seatsTaken: number;
  /** LINE user ids holding a seat (derived from the sign-ups; absent on documents made before it existed). */
  seats?: string[];
  /** User id → key of the operation that put them in `seats` or `waitlist` (recognises a retry of it). */
  holds?: Record<string, string>;
  /** Raised by every change of seats, list or capacity: compare-and-set writers condition on it. */
  rev?: number;
  /** LINE user ids waiting for a seat, first in line first. */
  waitlist: string[];
  waitingCount: number;
  signupDeadline: Date;
  office: LocalizedText;
  contactPhone?: string;
  status: TrainingStatus;
  createdAt: Date;
  updatedAt?: Date;
}

/** One person's sign-up for one training (lean). One document per (training, user), reused. */
export interface TrainingSignupDoc {
  _id: Types.ObjectId;
  trainingId: Types.ObjectId;
  /** LINE user id. */
  userId: string;
  producerId?: string;
  status: SignupStatus;
  createdAt: Date;
  updatedAt?: Date;
  confirmedAt?: Date;
  /** When this person joined the waiting list (the order itself is `trainings.waitlist`). */
  waitingSince?: Date;
  /** When a seat freed up and this person moved from the waiting list to confirmed. */
  promotedAt?: Date;
  cancelledAt?: Date;
  /** Set by an officer after the training: this person came (dashboard attendance). */
  attendedAt?: Date;
  /** Raised by every change of status: writers condition on it (and the reconciler fences with it). */
  rev?: number;
  /** Keys of the operations applied to this sign-up (the causing event, request or erasure). */
  applied?: string[];
  /** What a cancellation cancelled (replayed to a retry of that cancellation). */
  cancelledFrom?: 'confirmed' | 'waiting';
  /** Promoted and not yet recorded in the outbox as told. */
  noticeDue?: boolean;
  /** Held by a reconciler run repairing the training: no operation commits meanwhile. */
  fencedBy?: string;
  fencedAt?: Date;
}

const localized = (required: boolean) => ({
  th: { type: String, required },
  en: { type: String, required },
});

export const trainingSchema = new Schema(
  {
    code: { type: String, required: true, trim: true },
    title: localized(true),
    topic: { type: String, required: true, enum: TRAINING_TOPICS },
    mode: { type: String, required: true, enum: TRAINING_MODES },
    provinceCode: { type: String },
    provinceName: localized(false),
    venue: localized(false),
    onlineUrl: { type: String },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    capacity: { type: Number, required: true, min: 1 },
    seatsTaken: { type: Number, required: true, default: 0, min: 0 },
    seats: { type: [String], default: [] },
    holds: { type: Schema.Types.Mixed, default: () => ({}) },
    rev: { type: Number, required: true, default: 0 },
    waitlist: { type: [String], default: [] },
    waitingCount: { type: Number, required: true, default: 0, min: 0 },
    signupDeadline: { type: Date, required: true },
    office: localized(true),
    contactPhone: { type: String },
    status: { type: String, required: true, enum: TRAINING_STATUSES, default: 'open' },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date },
  },
  { collection: 'trainings', versionKey: false },
);
trainingSchema.index({ code: 1 }, { unique: true });
// Upcoming onsite trainings in the producer's province.
trainingSchema.index({ status: 1, provinceCode: 1, startsAt: 1 });
// Upcoming online trainings / all upcoming trainings.
trainingSchema.index({ status: 1, mode: 1, startsAt: 1 });

export const trainingSignupSchema = new Schema(
  {
    trainingId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: String, required: true },
    producerId: { type: String },
    status: { type: String, required: true, enum: SIGNUP_STATUSES },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date },
    confirmedAt: { type: Date },
    waitingSince: { type: Date },
    promotedAt: { type: Date },
    cancelledAt: { type: Date },
    attendedAt: { type: Date },
    rev: { type: Number, required: true, default: 0 },
    applied: { type: [String], default: [] },
    cancelledFrom: { type: String, enum: ['confirmed', 'waiting'] },
    noticeDue: { type: Boolean },
    fencedBy: { type: String },
    fencedAt: { type: Date },
  },
  { collection: 'training_signups', versionKey: false },
);
// One sign-up per person per training: a double tap collides here (11000).
trainingSignupSchema.index({ trainingId: 1, userId: 1 }, { unique: true });
// "My trainings".
trainingSignupSchema.index({ userId: 1, status: 1 });
// Who is signed up / waiting for a training (officer lists, reminders).
trainingSignupSchema.index({ trainingId: 1, status: 1 });

/** Binds the training models to a connection (the lead adds them to the central models). */
export function createTrainingModels(conn: Connection) {
  return {
    Training: conn.model('Training', trainingSchema),
    TrainingSignup: conn.model('TrainingSignup', trainingSignupSchema),
  };
}

export type TrainingModels = ReturnType<typeof createTrainingModels>;
