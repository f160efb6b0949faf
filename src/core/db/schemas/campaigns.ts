import { Schema, type Connection } from 'mongoose';

/**
 * Scheduled work, campaigns and the admin API's tokens (issue #12).
 * Written to what both MongoDB and FerretDB 1.x support (see src/core/db/models.ts).
 */

// One document per tick of a scheduled job: `_id = "<job>@<scheduled ISO minute>"` is the claim.
const jobRunSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    scheduledAt: { type: Date, required: true },
    status: { type: String, required: true, enum: ['running', 'done', 'failed'] },
    owner: { type: String, required: true },
    startedAt: { type: Date, required: true },
    leaseUntil: { type: Date, required: true },
    endedAt: { type: Date },
    counts: { type: Schema.Types.Mixed },
    error: { type: String },
    attempts: { type: Number, default: 1 },
  },
  { collection: 'job_runs', versionKey: false },
);
jobRunSchema.index({ job: 1, scheduledAt: -1 });
jobRunSchema.index({ status: 1, scheduledAt: 1 });

// A campaign: what to say (per language), to whom (segment), when (schedule). Shape owned by
// src/features/campaigns/model.ts (validated there with zod before it is stored).
const campaignSchema = new Schema(
  {
    _id: { type: String, required: true },
    title: { type: String, required: true },
    messages: { type: Schema.Types.Mixed, required: true },
    segment: { type: Schema.Types.Mixed, default: {} },
    schedule: { type: Schema.Types.Mixed, required: true },
    deepLink: { type: Schema.Types.Mixed },
    split: { type: Schema.Types.Mixed },
    status: { type: String, required: true, enum: ['draft', 'scheduled', 'running', 'paused', 'done', 'cancelled'] },
    pausedReason: { type: String },
    // The occurrence being delivered (ISO minute of its start): deliveries and batches are keyed by it.
    occurrence: { type: String },
    nextRunAt: { type: Date },
    batchSeq: { type: Number, default: 0 },
    materialized: { type: Boolean, default: false },
    createdBy: { type: String },
    testUserId: { type: String },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    confirmedAt: { type: Date },
    finishedAt: { type: Date },
    rev: { type: Number, default: 0 },
  },
  { collection: 'campaigns', versionKey: false, minimize: false },
);
campaignSchema.index({ status: 1, nextRunAt: 1 });

// One per campaign occurrence and recipient: `_id = "<campaignId>:<occurrence>:<userId>"`.
const campaignDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    campaignId: { type: String, required: true },
    occurrence: { type: String, required: true },
    userId: { type: String, required: true },
    lang: { type: String, required: true },
    provinceCode: { type: String },
    variant: { type: String, required: true }, // 'A' | 'B' | 'holdout'
    status: { type: String, required: true, enum: ['queued', 'holdout'] },
    batch: { type: Number },
    openedAt: { type: Date },
  },
  { collection: 'campaign_deliveries', versionKey: false },
);
campaignDeliverySchema.index({ campaignId: 1, occurrence: 1, batch: 1 });
campaignDeliverySchema.index({ campaignId: 1, userId: 1 });

// A campaign's multicast batches (≤500 recipients each, one language and variant), written with
// their recipients before anything is sent: `_id = "<campaignId>:<occurrence>:<n>"`. A recipient's
// delivery outcome is its batch's (LINE answers per request, not per recipient).
const campaignBatchSchema = new Schema(
  {
    _id: { type: String, required: true },
    campaignId: { type: String, required: true },
    occurrence: { type: String, required: true },
    n: { type: Number, required: true },
    lang: { type: String, required: true },
    variant: { type: String, required: true },
    to: { type: [String], required: true },
    size: { type: Number, required: true },
    status: { type: String, required: true, enum: ['planned', 'enqueued', 'sent', 'failed'] },
    attempt: { type: Number, default: 0 },
    outboxId: { type: String },
    failure: { type: String },
    sentAt: { type: Date },
  },
  { collection: 'campaign_batches', versionKey: false },
);
campaignBatchSchema.index({ campaignId: 1, occurrence: 1, status: 1, n: 1 });

// Automatic reminders: one per rule, user and occasion (`_id = "<rule>:<occasion>:<userId>"`).
const reminderSentSchema = new Schema(
  {
    _id: { type: String, required: true },
    rule: { type: String, required: true },
    userId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'reminders_sent', versionKey: false },
);
reminderSentSchema.index({ rule: 1, at: -1 });

const reminderRuleStateSchema = new Schema(
  {
    _id: { type: String, required: true }, // rule id
    enabled: { type: Boolean, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'reminder_rule_states', versionKey: false },
);

// Bearer tokens of the admin API, stored as a SHA-256 hash (the token is shown once).
const apiTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true },
    hash: { type: String, required: true },
    scope: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date },
    // Officer tokens (role "officer", scope {officerId}) expire.
    expiresAt: { type: Date },
  },
  { collection: 'api_tokens', versionKey: false },
);
apiTokenSchema.index({ hash: 1 }, { unique: true });

export function createCampaignModels(conn: Connection) {
  return {
    JobRun: conn.model('JobRun', jobRunSchema),
    Campaign: conn.model('Campaign', campaignSchema),
    CampaignDelivery: conn.model('CampaignDelivery', campaignDeliverySchema),
    CampaignBatch: conn.model('CampaignBatch', campaignBatchSchema),
    ReminderSent: conn.model('ReminderSent', reminderSentSchema),
    ReminderRuleState: conn.model('ReminderRuleState', reminderRuleStateSchema),
    ApiToken: conn.model('ApiToken', apiTokenSchema),
  };
}
