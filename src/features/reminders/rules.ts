import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const common = {
  id: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
  message: z.string().regex(/^[a-z-]+:[\w.-]+$/, 'a locale key such as notices:reminders.x'),
  button: z.string().regex(/^[a-z-]+:[\w.-]+$/, 'a locale key'),
  link: z.string().min(1),
  enabled: z.boolean().default(true),
};

export const reminderRuleSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('registration_unfinished'), afterHours: z.number().int().min(1).max(24 * 60) }).strict(),
  z.object({ ...common, kind: z.literal('journey_stalled'), flow: z.enum(['tiktok-shop', 'lazada']), afterDays: z.number().int().min(1).max(365) }).strict(),
  z.object({ ...common, kind: z.literal('training_evening_before'), atHour: z.number().int().min(12).max(20) }).strict(),
  z.object({ ...common, kind: z.literal('training_hours_before'), hoursBefore: z.number().int().min(1).max(12) }).strict(),
  z.object({ ...common, kind: z.literal('signup_deadline'), hoursBefore: z.number().int().min(1).max(24 * 14) }).strict(),
]);

export type ReminderRule = z.infer<typeof reminderRuleSchema>;

const fileSchema = z.object({ rules: z.array(reminderRuleSchema).min(1) }).strict();

/**
 * flows/_reminders.yaml, checked like flows: the schema, unique ids, locale keys present in both
 * languages, links naming journeys that exist. Throws one error listing every problem.
 */
export function loadReminderRules(flowsDir: string, opts: { hasKey: (key: string) => boolean; flowIds?: ReadonlySet<string> }): ReminderRule[] {
  const where = 'flows/_reminders.yaml';
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(join(flowsDir, '_reminders.yaml'), 'utf8'));
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${where}: ${i.path.join('.')}: ${i.message}`).join('\n'));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of r.data.rules) {
    const at = `${where}: rule "${rule.id}"`;
    if (seen.has(rule.id)) problems.push(`${at}: id used twice`);
    seen.add(rule.id);
    for (const key of [rule.message, rule.button]) if (!opts.hasKey(key)) problems.push(`${at}: locale key "${key}" missing`);
    if (opts.flowIds && !opts.flowIds.has(rule.link)) problems.push(`${at}: link "${rule.link}" is not a journey`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return r.data.rules;
}
