import { z } from 'zod';

/**
 * The shape of a flow file (flows/*.yaml): a journey as data. The engine (engine.ts) interprets
 * it; the loader (loader.ts) checks it against this schema and against the registries and locales.
 * Every user-facing string is an i18n key ("namespace:path").
 */

const key = z.string().regex(/^[a-z][\w-]*:[\w.-]+$/i, 'must be an i18n key like "registration:ask.name"');
const stepId = z.string().regex(/^[a-z][\w-]*$/i, 'step ids are letters, digits, _ and -');
const fieldPath = z.string().regex(/^[a-z][\w]*(\.[a-z][\w]*)*$/i, 'field paths look like "address.province"');

const condValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const condition = z.record(
  z.string(),
  z.union([
    condValue,
    z.object({ in: z.array(condValue) }).strict(),
    z.object({ ne: condValue }).strict(),
    z.object({ exists: z.boolean() }).strict(),
  ]),
);

const transition = z.union([
  stepId,
  z.array(z.object({ when: condition.optional(), goto: stepId }).strict()).min(1),
]);

/** A Flex card built from keys: title, body lines, bullet list, an official link. */
const card = z
  .object({
    title: key,
    body: z.array(key).default([]),
    list: z.array(key).default([]),
    listTitle: key.optional(),
    warning: key.optional(),
    link: z.object({ label: key, url: z.string().url().startsWith('https://') }).strict().optional(),
  })
  .strict();

const message = z.union([
  key.transform((k) => ({ text: k })),
  z.object({ text: key }).strict(),
  z.object({ card }).strict(),
  /** Several cards side by side (a Flex carousel; LINE allows 12). */
  z.object({ carousel: z.array(card).min(1).max(12), altText: key }).strict(),
]);

const option = z
  .object({
    value: z.union([z.string(), z.number(), z.boolean()]),
    label: key,
    /** In a multiple choice: picking it ends the question with only this answer ("none"). */
    exclusive: z.boolean().optional(),
  })
  .strict();

const validatorRef = z.union([
  z.string(),
  z.object({ name: z.string() }).catchall(z.union([z.string(), z.number(), z.boolean()])),
]);

const common = {
  /** Shown by "help" while on this step. */
  help: key.optional(),
};

const infoStep = z
  .object({
    type: z.literal('info'),
    messages: z.array(message).min(1),
    /** Buttons offered with the messages; without them the flow moves straight on. */
    choices: z
      .array(
        z
          .object({ label: key, goto: stepId.optional(), flow: z.string().optional() })
          .strict()
          .refine((c) => Boolean(c.goto) !== Boolean(c.flow), { message: 'a choice needs either goto (a step) or flow (a journey)' }),
      )
      .max(12)
      .optional(),
    next: transition.optional(),
    end: z.boolean().default(false),
    ...common,
  })
  .strict();

const textStep = z
  .object({
    type: z.literal('text'),
    prompt: key,
    field: fieldPath,
    validator: validatorRef.optional(),
    optional: z.boolean().default(false),
    /** Personal data to encrypt before it is stored even in the session (national ID). */
    sensitive: z.boolean().default(false),
    /** Collect several items (comma or one per message) until the user taps "done". */
    list: z.boolean().default(false),
    /**
     * A list that ends by answering the next question: once an item is in, the list prompt also
     * offers the next step's options (a choice with options); tapping one finishes the list and
     * answers that question in one go, so adding items one by one costs no extra "done" tap.
     */
    offerNext: z.boolean().default(false),
    maxItems: z.number().int().min(1).max(50).default(20),
    /** Clear these answers when this one changes (dependent questions). */
    resets: z.array(fieldPath).default([]),
    next: transition,
    ...common,
  })
  .strict();

const choiceStep = z
  .object({
    type: z.literal('choice'),
    prompt: key,
    field: fieldPath,
    options: z.array(option).min(1).optional(),
    /** A named option source for long or dynamic lists (provinces, districts, …). */
    source: z.string().optional(),
    multiple: z.boolean().default(false),
    optional: z.boolean().default(false),
    /**
     * Consent, erasure and other answers that must mean exactly what the person said: only the
     * buttons or an option's exact wording count; nothing close, nothing negated.
     */
    strict: z.boolean().default(false),
    resets: z.array(fieldPath).default([]),
    /** Also accept a shared LINE location here: run the action, then follow `next` of this. */
    acceptLocation: z.object({ field: fieldPath, action: z.string(), label: key, next: transition }).strict().optional(),
    /**
     * Typed text may say more than one option (a whole address): the action reads it first and,
     * when it returns outcome "found", the flow follows this `next` instead of matching options.
     */
    acceptText: z.object({ action: z.string(), next: transition }).strict().optional(),
    next: transition,
    ...common,
  })
  .strict()
  .refine((s) => Boolean(s.options) !== Boolean(s.source), { message: 'give either options or source' });

const summaryStep = z
  .object({
    type: z.literal('summary'),
    prompt: key,
    fields: z
      .array(z.object({ field: fieldPath, label: key, edit: stepId.optional(), when: condition.optional() }).strict())
      .min(1)
      .max(20),
    next: transition,
    ...common,
  })
  .strict();

const dateStep = z
  .object({
    type: z.literal('date'),
    prompt: key,
    field: fieldPath,
    mode: z.enum(['date', 'datetime', 'time']).default('date'),
    /** Bounds relative to today, e.g. "-100y", "0d", "+1y" (Asia/Bangkok). */
    min: z.string().regex(/^[+-]?\d+[dmy]$/).optional(),
    max: z.string().regex(/^[+-]?\d+[dmy]$/).optional(),
    optional: z.boolean().default(false),
    next: transition,
    ...common,
  })
  .strict();

const locationStep = z
  .object({
    type: z.literal('location'),
    prompt: key,
    field: fieldPath,
    /** Named action run after a location arrives (e.g. turn coordinates into an address). */
    action: z.string().optional(),
    optional: z.boolean().default(false),
    next: transition,
    ...common,
  })
  .strict();

const actionStep = z
  .object({
    type: z.literal('action'),
    action: z.string(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** Where to go for each outcome the action returns; `next` otherwise. */
    on: z.record(z.string(), stepId).default({}),
    next: transition.optional(),
    end: z.boolean().default(false),
  })
  .strict();

const branchStep = z.object({ type: z.literal('branch'), next: transition }).strict();

/** A checklist item: a card and three answers (done, need help, later); progress is stored. */
const taskStep = z
  .object({
    type: z.literal('task'),
    card,
    next: transition,
    ...common,
  })
  .strict();

export const stepSchema = z.discriminatedUnion('type', [
  infoStep,
  textStep,
  choiceStep,
  summaryStep,
  dateStep,
  locationStep,
  actionStep,
  branchStep,
  taskStep,
]);

export const flowSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'flow ids are lower-case words joined by -'),
    version: z.number().int().min(1),
    title: key,
    /** How the journey is offered: main menu order and label, and words that start it. */
    menu: z
      .object({
        order: z.number().int(),
        label: key,
        keywords: z.array(z.string().min(1)).default([]),
        /** The label once the user has completed the journey (e.g. "edit my registration"). */
        doneLabel: key.optional(),
        /** Hidden journeys start by keyword or postback only. */
        hidden: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Journeys that keep progress per step (checklists) instead of a single position. */
    progress: z.boolean().default(false),
    /** Named action run before the first step (e.g. load an existing profile into answers). */
    onStart: z.string().optional(),
    /**
     * Named action run when the user continues a journey they left (the "continue" button), before
     * the step they were on is asked again (e.g. a checklist's overview). A `goto` result continues
     * there instead; `end` finishes the journey.
     */
    onResume: z.string().optional(),
    start: stepId,
    steps: z.record(stepId, stepSchema),
  })
  .strict();

export type FlowDef = z.infer<typeof flowSchema>;
export type StepDef = z.infer<typeof stepSchema>;
export type Transition = z.infer<typeof transition>;
export type Condition = z.infer<typeof condition>;
export type CardDef = z.infer<typeof card>;
export type MessageDef = z.infer<typeof message>;
export type OptionDef = z.infer<typeof option>;
export type ValidatorRef = z.infer<typeof validatorRef>;
