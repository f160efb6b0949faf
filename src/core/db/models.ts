import { Schema, type Connection, type Model, type InferSchemaType } from 'mongoose';
import { createTrainingModels } from './schemas/training.js';
import { createCampaignModels } from './schemas/campaigns.js';

/**
 * Every collection of the bot, declared in one place with its indexes.
 * Written to what both MongoDB and FerretDB 1.x support: no TTL, partial or sparse indexes,
 * no transactions; expiry is a stored date swept by the worker.
 */

// Durable webhook inbox, in two collections.
// One-on-one chats' pending events are kept in the user's session document (see sessionSchema);
// inbox_pending holds the other chats' (group, room, unknown source) events not yet processed, with their payload, and only those (_id is the
// webhookEventId: a repeat of a queued event collides). The webhook writes only here, one insert
// per event, so acknowledging LINE stays cheap; the collection stays small, so "next event of this
// user" is cheap even on FerretDB (which scans collections for anything but _id); message text is
// gone as soon as an event is handled.
// inbox_events is the ledger of events set aside after their last attempt (outcome, attempts, the
// payload sealed for a limited time so an operator can replay it), kept for INBOX_RETENTION_DAYS.
// Events handled normally leave no ledger entry: the session's applied-event guard (sessions.applied)
// drops a repeat, and the hot path stays at three round trips.
const inboxEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    userKey: { type: String, required: true },
    type: { type: String, required: true },
    mode: { type: String, default: 'active' },
    timestamp: { type: Number, required: true },
    receivedAt: { type: Date, required: true },
    redelivery: { type: Boolean, default: false },
    status: { type: String, required: true, enum: ['done', 'failed', 'ignored', 'replayed'] },
    attempts: { type: Number, default: 0 },
    processedAt: { type: Date },
    lastError: { type: String },
    // A failed event's payload, sealed (AES-256-GCM), for `npm run replay`; dropped after keepUntil.
    sealedPayload: { type: String },
    keepUntil: { type: Date },
  },
  { collection: 'inbox_events', versionKey: false },
);
inboxEventSchema.index({ receivedAt: 1 });
inboxEventSchema.index({ userKey: 1, status: 1 });

const inboxPendingSchema = new Schema(
  {
    _id: { type: String, required: true },
    userKey: { type: String, required: true },
    timestamp: { type: Number, required: true },
    receivedAt: { type: Date, required: true },
    redelivery: { type: Boolean, default: false },
    attempts: { type: Number, default: 0 },
    // The event as JSON text: any signed event stores, whatever its keys or nesting.
    payload: { type: String, required: true },
  },
  { collection: 'inbox_pending', versionKey: false },
);
inboxPendingSchema.index({ userKey: 1, timestamp: 1 });
inboxPendingSchema.index({ receivedAt: 1 });

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
    // Journeys the user left, by flow id; offered again when they come back.
    paused: { type: Schema.Types.Mixed, default: {} },
    // Per-journey scratch kept across flows (e.g. the last menu shown).
    data: { type: Schema.Types.Mixed, default: {} },
    lastEventAt: { type: Date },
    expiresAt: { type: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    rev: { type: Number, required: true, default: 0 },
    // The user's processing lease (src/inbox/processor.ts): who handles their events, until when.
    // Kept in the session so that one atomic command takes it and reads the session.
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    // Applied-event guard: ids of the newest events applied (saved in the same conditional write
    // as the state they produced), and the newest one's LINE timestamp.
    applied: { type: [String], default: [] },
    lastAppliedTs: { type: Number },
    // A user's pending events live here, not in a collection of their own, so the claim that takes
    // the lease returns them with the session (three commands per event: the webhook's upsert, the
    // claim, the commit that $unsets them). `inbox` maps a field-safe key of the webhookEventId to
    // the event (src/inbox/inbox.ts); `inboxCount` is how many entries it holds (kept exact by the
    // commits' relative $inc, caps the document far below MongoDB's 16 MB); `pendingSince` is the
    // newest arrival, so the sweeper finds users whose pending events nobody is working on.
    inbox: { type: Schema.Types.Mixed },
    inboxCount: { type: Number },
    pendingSince: { type: Date },
    // The last answer, saved by the commit that saved the state it answers, until its sender
    // confirms it sent (src/outbox/answer.ts); `answerDue` (when it was saved) lets the sweeper
    // find answers whose sender died.
    answer: { type: Schema.Types.Mixed },
    answerDue: { type: Date },
  },
  { collection: 'sessions', versionKey: false, minimize: false },
);
sessionSchema.index({ expiresAt: 1 });
sessionSchema.index({ pendingSince: 1 });
sessionSchema.index({ answerDue: 1 });
sessionSchema.index({ reachable: 1 });
// Segments: the (few) English speakers and last activity.
sessionSchema.index({ lang: 1 });
sessionSchema.index({ lastEventAt: 1 });

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

// Outbox: every message sent outside the immediate reply (pushes, fall-backs after a refused reply
// token, promotion notices, campaigns), written before it is sent. `_id` is derived from the cause
// ("evt:<webhookEventId>:push:<i>", "promo:<trainingId>:<signupId>:<ms>", "campaign:<id>:batch:<n>")
// so a repeat of the cause finds the same document; `retryKey` is derived from `_id`, so a re-send
// after a crash or a lost answer gets LINE's 409 instead of a second message. The drainer
// (src/outbox/drainer.ts) delivers it; `status` says how it ended.
const outboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true, enum: ['push', 'multicast'] },
    to: { type: [String], required: true },
    messages: { type: [Schema.Types.Mixed], required: true },
    retryKey: { type: String, required: true },
    status: { type: String, required: true, enum: ['pending', 'sent', 'failed', 'unknown'] },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    notBefore: { type: Date },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date },
    lastError: { type: String },
    failure: {
      type: new Schema(
        { kind: { type: String, enum: ['quota', 'blocked', 'rejected', 'unavailable', 'withdrawn'] }, status: Number, reason: String },
        { _id: false },
      ),
    },
    cause: { type: new Schema({ type: { type: String, required: true }, id: { type: String, required: true } }, { _id: false }), required: true },
  },
  { collection: 'outbox', versionKey: false },
);
outboxSchema.index({ status: 1, nextAttemptAt: 1 });
outboxSchema.index({ 'cause.type': 1, 'cause.id': 1 });

// Checklist journeys (TikTok Shop, Lazada): per user and journey, each step's answer and time.
const journeyProgressSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${flowId}:${userId}`
    userId: { type: String, required: true },
    flowId: { type: String, required: true },
    steps: { type: Schema.Types.Mixed, default: {} },
    result: { type: Schema.Types.Mixed },
    startedAt: { type: Date },
    updatedAt: { type: Date },
    completedAt: { type: Date },
  },
  { collection: 'journey_progress', versionKey: false, minimize: false },
);
journeyProgressSchema.index({ userId: 1 });
journeyProgressSchema.index({ flowId: 1, completedAt: 1 });

// "Talk to an officer" and "need help" on a checklist step: listed for the officers of the area.
const helpRequestSchema = new Schema(
  {
    userId: { type: String, required: true },
    provinceCode: { type: String },
    districtCode: { type: String },
    flowId: { type: String },
    step: { type: String },
    reason: { type: String, required: true, enum: ['officer', 'task_help'] },
    status: { type: String, required: true, enum: ['open', 'closed'], default: 'open' },
    createdAt: { type: Date, required: true },
    closedAt: { type: Date },
    // The officer it was routed to (district officer, else province officer), and who closed it.
    officerId: { type: String },
    handledBy: { type: String },
  },
  { collection: 'help_requests', versionKey: false },
);
helpRequestSchema.index({ provinceCode: 1, status: 1, createdAt: -1 });
helpRequestSchema.index({ districtCode: 1, status: 1 });
helpRequestSchema.index({ userId: 1, status: 1 });

// A registered OTOP producer: one per LINE user. Only what registration and onboarding need.
const placeSchema = new Schema({ code: String, nameTh: String, nameEn: String }, { _id: false });
const producerSchema = new Schema(
  {
    userId: { type: String, required: true },
    fullName: { type: String, required: true },
    phone: { type: String, required: true }, // E.164
    producerType: { type: String, required: true, enum: ['community_group', 'single_owner', 'sme'] },
    groupName: { type: String },
    memberCount: { type: Number },
    address: {
      province: { type: placeSchema, required: true },
      district: { type: placeSchema, required: true },
      subdistrict: { type: placeSchema, required: true },
      postcode: { type: String },
    },
    category: { type: String, required: true, enum: ['food', 'beverage', 'textile', 'craft', 'herbal'] },
    products: { type: [String], default: [] },
    otopRegistrationNumber: { type: String },
    opc: { stars: Number, roundYearBE: Number },
    shops: { type: [String], default: [] },
    // Sealed (AES-256-GCM) national ID and a keyed hash for duplicate checks; never plain.
    nationalIdSealed: { type: String },
    nationalIdLookup: { type: String },
    consents: {
      registration: { type: Boolean, default: false },
      notices: { type: Boolean, default: false },
      sharing: { type: Boolean, default: false },
      noticeVersion: { type: String },
    },
    // Marketplace journeys write here (e.g. interest in Chinese buyers through Alibaba).
    marketplace: { type: Schema.Types.Mixed, default: {} },
    registeredAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'producers', versionKey: false, minimize: false },
);
producerSchema.index({ userId: 1 }, { unique: true });
producerSchema.index({ 'address.province.code': 1, 'address.district.code': 1 });
producerSchema.index({ nationalIdLookup: 1 });
// Segments (src/features/campaigns/segment.ts): consent first (every segment has it), then one
// index per filter a segment may lead with. `{consents.notices, userId}` covers the stream of ids a
// count or a whole-audience delivery reads (no document fetched on MongoDB).
producerSchema.index({ 'consents.notices': 1, 'address.province.code': 1, category: 1 });
producerSchema.index({ 'consents.notices': 1, 'address.district.code': 1 });
producerSchema.index({ 'consents.notices': 1, 'address.subdistrict.code': 1 });
producerSchema.index({ 'consents.notices': 1, category: 1, producerType: 1 });
producerSchema.index({ 'consents.notices': 1, userId: 1 });

// Every consent given or withdrawn, append-only: who, purpose, decision, when, which notice.
const consentEventSchema = new Schema(
  {
    userId: { type: String, required: true },
    purpose: { type: String, required: true, enum: ['registration', 'notices', 'sharing'] },
    granted: { type: Boolean, required: true },
    noticeVersion: { type: String, required: true },
    at: { type: Date, required: true },
    channel: { type: String, default: 'line' },
  },
  { collection: 'consent_events', versionKey: false },
);
consentEventSchema.index({ userId: 1, at: 1 });

// Proof that an erasure request was carried out, without the erased data.
const erasureSchema = new Schema(
  {
    userRef: { type: String, required: true },
    at: { type: Date, required: true },
    erased: { type: [String], default: [] },
  },
  { collection: 'data_erasures', versionKey: false },
);

// Community development officers (src/features/officers/). Role and scope decide what they see:
// national admin everything, a province officer their provinces, a district officer their districts.
const officerSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true, enum: ['admin', 'province', 'district'] },
    provinceCodes: { type: [String], default: [] },
    districtCodes: { type: [String], default: [] },
    // Display names of the area, for messages ("พัฒนากรอำเภอแม่ริม").
    areaTh: { type: String },
    areaEn: { type: String },
    phone: { type: String },
    status: { type: String, required: true, enum: ['invited', 'active', 'suspended'] },
    lineUserId: { type: String },
    createdAt: { type: Date, required: true },
    linkedAt: { type: Date },
    suspendedAt: { type: Date },
  },
  { collection: 'officers', versionKey: false },
);
officerSchema.index({ status: 1, role: 1, districtCodes: 1 });
officerSchema.index({ status: 1, role: 1, provinceCodes: 1 });

// LINE account → officer. _id is the LINE user id, so one account links to one officer at most
// (a unique index on an optional officers.lineUserId would misbehave on FerretDB).
const officerLinkSchema = new Schema(
  {
    _id: { type: String, required: true },
    officerId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'officer_links', versionKey: false },
);

// One-time secrets: invite codes (48 h) and dashboard sign-in links (minutes). Only the SHA-256 of
// the secret is kept; `usedAt` is set by one conditional update, so a secret works once.
const officerTokenSchema = new Schema(
  {
    _id: { type: String, required: true }, // sha256(secret), hex
    kind: { type: String, required: true, enum: ['invite', 'signin'] },
    officerId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
    usedBy: { type: String },
  },
  { collection: 'officer_tokens', versionKey: false },
);
officerTokenSchema.index({ expiresAt: 1 });

// Dashboard sessions: _id is sha256 of the cookie value; the CSRF token travels in forms.
const officerSessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    officerId: { type: String, required: true },
    csrf: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'officer_sessions', versionKey: false },
);
officerSessionSchema.index({ expiresAt: 1 });

// Every officer action (view, export, send, handle, reveal, sign-in...), append-only.
const auditSchema = new Schema(
  {
    officerId: { type: String, required: true },
    action: { type: String, required: true },
    channel: { type: String, required: true, enum: ['line', 'web', 'api', 'cli'] },
    target: { type: String },
    detail: { type: Schema.Types.Mixed },
    at: { type: Date, required: true },
  },
  { collection: 'audit_log', versionKey: false },
);
auditSchema.index({ officerId: 1, at: -1 });
auditSchema.index({ at: -1 });

export type InboxEventDoc = InferSchemaType<typeof inboxEventSchema>;
export type UserLockDoc = InferSchemaType<typeof userLockSchema>;
export type SessionDoc = InferSchemaType<typeof sessionSchema>;
export type DeliveryFailureDoc = InferSchemaType<typeof deliveryFailureSchema>;
export type OutboxSchemaDoc = InferSchemaType<typeof outboxSchema>;

export const schemas = {
  InboxEvent: inboxEventSchema,
  InboxPending: inboxPendingSchema,
  UserLock: userLockSchema,
  Session: sessionSchema,
  DeliveryFailure: deliveryFailureSchema,
  Outbox: outboxSchema,
  JourneyProgress: journeyProgressSchema,
  HelpRequest: helpRequestSchema,
  Producer: producerSchema,
  ConsentEvent: consentEventSchema,
  DataErasure: erasureSchema,
  Officer: officerSchema,
  OfficerLink: officerLinkSchema,
  OfficerToken: officerTokenSchema,
  OfficerSession: officerSessionSchema,
  Audit: auditSchema,
} as const;


/** Binds the models to a connection (each app instance, and each test file, has its own). */
export function createModels(conn: Connection) {
  return {
    InboxEvent: conn.model('InboxEvent', inboxEventSchema),
    InboxPending: conn.model('InboxPending', inboxPendingSchema),
    UserLock: conn.model('UserLock', userLockSchema),
    Session: conn.model('Session', sessionSchema),
    DeliveryFailure: conn.model('DeliveryFailure', deliveryFailureSchema),
    Outbox: conn.model('Outbox', outboxSchema),
    JourneyProgress: conn.model('JourneyProgress', journeyProgressSchema),
    HelpRequest: conn.model('HelpRequest', helpRequestSchema),
    Producer: conn.model('Producer', producerSchema),
    ConsentEvent: conn.model('ConsentEvent', consentEventSchema),
    DataErasure: conn.model('DataErasure', erasureSchema),
    Officer: conn.model('Officer', officerSchema),
    OfficerLink: conn.model('OfficerLink', officerLinkSchema),
    OfficerToken: conn.model('OfficerToken', officerTokenSchema),
    OfficerSession: conn.model('OfficerSession', officerSessionSchema),
    Audit: conn.model('Audit', auditSchema),
    ...createTrainingModels(conn),
    ...createCampaignModels(conn),
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
