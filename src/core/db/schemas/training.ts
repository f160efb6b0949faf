import { Schema, Types, type Connection } from 'mongoose';

/**
 * Trainings offered to producers and the sign-ups for them (issue #4).
 * Written to what both MongoDB and FerretDB 1.x support (see src/core/db/models.ts): no transactions,
 * no partial/sparse/TTL indexes, no unique index on an optional field.
 *
 * Seats and the waiting list live on the training document, so that every change to them is one
 * single-document update (atomic on MongoDB, and on the embedded FerretDB through its serialising front):
 * - `seatsTaken` counts confirmed seats; it is only raised by a conditional update
 *   (`seatsTaken < capacity`, no one waiting) with `$inc`;
 * - `waitlist` holds the LINE user ids waiting, in order ($push to join, $pop -1 to promote the
 *   first, $pull of a plain value to leave); `waitingCount` is its length, changed in the same update.
 * Invariant kept by every update: a free seat (`seatsTaken < capacity`) means nobody is waiting.
 * `training_signups` holds each person's own record (status, dates) for "my trainings".
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
