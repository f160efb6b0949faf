import cron from 'node-cron';
import { z } from 'zod';
import { segmentSchema } from './segment.js';

/**
 * A campaign as the admin API, the officer dashboard and LINE officer actions create it: typed
 * input validated here (zod), so every entry point gets the same rules and the same errors.
 */

const https = z.string().url().max(2000).refine((u) => u.startsWith('https://'), 'must be an https URL');

const textMessage = z.object({ type: z.literal('text'), text: z.string().min(1).max(5000) }).strict();
const imageMessage = z.object({ type: z.literal('image'), originalContentUrl: https, previewImageUrl: https }).strict();
const flexMessage = z
  .object({ type: z.literal('flex'), altText: z.string().min(1).max(1500), contents: z.record(z.string(), z.unknown()) })
  .strict();
export const campaignMessageSchema = z.discriminatedUnion('type', [textMessage, imageMessage, flexMessage]);

/** Per language; Thai is required (the default language), English optional (Thai used then). */
export const localizedMessagesSchema = z
  .object({
    th: z.array(campaignMessageSchema).min(1).max(5),
    en: z.array(campaignMessageSchema).min(1).max(5).optional(),
  })
  .strict();

const isoDate = z.coerce.date();

export const scheduleSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('now') }).strict(),
  z.object({ type: z.literal('at'), at: isoDate }).strict(),
  z
    .object({
      type: z.literal('recurring'),
      /** A cron pattern in Asia/Bangkok time, e.g. "0 9 * * 1" (Mondays 09:00). */
      cron: z.string().refine((c) => cron.validate(c) && c.trim().split(/\s+/).length === 5, 'a 5-field cron pattern'),
      until: isoDate,
    })
    .strict(),
]);

export const deepLinkSchema = z
  .object({
    /** The journey the button opens (it continues at the producer's first step not done). */
    flow: z.enum(['tiktok-shop', 'lazada', 'training', 'registration', 'my-trainings']),
    label: z.object({ th: z.string().min(1).max(20), en: z.string().min(1).max(20) }).strict(),
  })
  .strict();

export const splitSchema = z
  .object({
    /** Variant B's messages; recipients not held out get A or B by a stable hash of campaign + user. */
    variantB: localizedMessagesSchema,
    /** Share of (non-held-out) recipients getting B, in percent. */
    percentB: z.number().int().min(1).max(99).default(50),
    /** Recipients who get nothing (the comparison group for conversion), in percent. */
    holdoutPercent: z.number().int().min(0).max(50).default(0),
  })
  .strict();

export const campaignInputSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    messages: localizedMessagesSchema,
    segment: segmentSchema.default({}),
    schedule: scheduleSchema.default({ type: 'now' }),
    deepLink: deepLinkSchema.optional(),
    split: splitSchema.optional(),
  })
  .strict();

export type CampaignInput = z.input<typeof campaignInputSchema>;
export type CampaignSpec = z.output<typeof campaignInputSchema>;
export type CampaignMessage = z.infer<typeof campaignMessageSchema>;
export type LocalizedMessages = z.infer<typeof localizedMessagesSchema>;

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'done' | 'cancelled';

export interface CampaignDoc extends CampaignSpec {
  _id: string;
  status: CampaignStatus;
  pausedReason?: string;
  occurrence?: string;
  nextRunAt?: Date;
  batchSeq: number;
  materialized: boolean;
  createdBy?: string;
  testUserId?: string;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt?: Date;
  finishedAt?: Date;
}

/** A rule broken by the input: the field (dotted path) and why. */
export interface FieldError {
  field: string;
  reason: string;
}

export class CampaignInputError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.reason}`).join('; '));
    this.name = 'CampaignInputError';
  }
}

/** An id that names nothing (the API answers 404). */
export class NotFoundErrorLike extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

export function fieldErrors(err: z.ZodError): FieldError[] {
  return err.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', reason: i.message }));
}

/** Parses with `schema`, throwing CampaignInputError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new CampaignInputError(fieldErrors(r.error));
  return r.data;
}
