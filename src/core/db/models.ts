import { Schema, type Connection, type Model, type InferSchemaType } from 'mongoose';

/**
 * Every collection of the bot, declared in one place with its indexes.
 * Written to what both MongoDB and FerretDB 1.x support: no TTL, partial or sparse indexes,
 * no transactions; expiry is a stored date swept by the worker.
 */

// Durable webhook inbox. _id is LINE's webhookEventId, so a redelivered or repeated event
// collides on insert and has no second effect.
const inboxEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    userKey: { type: String, required: true },
    type: { type: String, required: true },
    mode: { type: String, default: 'active' },
    timestamp: { type: Number, required: true },
    receivedAt: { type: Date, required: true },
    redelivery: { type: Boolean, default: false },
    status: { type: String, required: true, enum: ['pending', 'done', 'failed', 'ignored'] },
    attempts: { type: Number, default: 0 },
    // The raw event; removed once processed so message text is not kept longer than needed.
    payload: { type: Schema.Types.Mixed },
    processedAt: { type: Date },
    lastError: { type: String },
  },
  { collection: 'inbox_events', versionKey: false },
);
inboxEventSchema.index({ userKey: 1, status: 1, timestamp: 1 });
inboxEventSchema.index({ status: 1, receivedAt: 1 });

// One lease per user: whoever holds it processes that user's events, in order.
const userLockSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'user_locks', versionKey: false },
);

// Conversation state, one document per LINE user. `rev` guards against lost updates.
const sessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    lang: { type: String, default: 'th' },
    langChosen: { type: Boolean, default: false },
    reachable: { type: Boolean, default: true },
    followedAt: { type: Date },
    unfollowedAt: { type: Date },
    // Current journey: flow id/version, step, answers, back-stack. Shape owned by the flow engine.
    flow: { type: Schema.Types.Mixed, default: null },
    // A journey the user left; offered again when they come back.
    paused: { type: Schema.Types.Mixed, default: null },
    // Per-journey scratch kept across flows (e.g. the last menu shown).
    data: { type: Schema.Types.Mixed, default: {} },
    lastEventAt: { type: Date },
    expiresAt: { type: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    rev: { type: Number, required: true, default: 0 },
  },
  { collection: 'sessions', versionKey: false, minimize: false },
);
sessionSchema.index({ expiresAt: 1 });
sessionSchema.index({ reachable: 1 });

// Messages that could not be delivered (quota exhausted, LINE down past retries), for operators.
const deliveryFailureSchema = new Schema(
  {
    userKey: { type: String },
    kind: { type: String, required: true },
    status: { type: Number },
    reason: { type: String, required: true },
    messageCount: { type: Number, default: 0 },
    at: { type: Date, required: true },
  },
  { collection: 'delivery_failures', versionKey: false },
);
deliveryFailureSchema.index({ at: -1 });

export type InboxEventDoc = InferSchemaType<typeof inboxEventSchema>;
export type UserLockDoc = InferSchemaType<typeof userLockSchema>;
export type SessionDoc = InferSchemaType<typeof sessionSchema>;
export type DeliveryFailureDoc = InferSchemaType<typeof deliveryFailureSchema>;

export const schemas = {
  InboxEvent: inboxEventSchema,
  UserLock: userLockSchema,
  Session: sessionSchema,
  DeliveryFailure: deliveryFailureSchema,
} as const;


/** Binds the models to a connection (each app instance, and each test file, has its own). */
export function createModels(conn: Connection) {
  return {
    InboxEvent: conn.model('InboxEvent', inboxEventSchema),
    UserLock: conn.model('UserLock', userLockSchema),
    Session: conn.model('Session', sessionSchema),
    DeliveryFailure: conn.model('DeliveryFailure', deliveryFailureSchema),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Creates declared indexes; run at start-up (autoIndex is off so requests never wait on it). */
export async function ensureIndexes(models: Record<string, Model<any>>): Promise<void> {
  for (const model of Object.values(models)) {
    await model.createCollection().catch(() => undefined);
    await model.createIndexes();
  }
}
