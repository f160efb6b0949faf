import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { flattenKeys, LANGUAGES, type Resources } from '../core/i18n.js';
import { LINE_LIMITS } from '../line/limits.js';
import type { FlowRegistry } from './registry.js';
import { flowSchema, type FlowDef, type StepDef, type Transition } from './schema.js';

export class FlowLoadError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`flow files are invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'FlowLoadError';
    this.problems = problems;
  }
}

export const COMMANDS = ['back', 'cancel', 'help', 'language', 'officer', 'menu'] as const;
export type Command = (typeof COMMANDS)[number];

export const ANSWER_WORDS = ['confirm', 'done', 'politeEndings'] as const;
export type AnswerWords = Record<(typeof ANSWER_WORDS)[number], string[]>;

const words = z.array(z.string().min(1)).min(1);
const commandsSchema = z.object(Object.fromEntries([...COMMANDS, ...ANSWER_WORDS].map((c) => [c, words]))).strict();

export const MEANING_WORDS = ['negation', 'confused', 'greeting', 'thanks'] as const;
export type MeaningWords = Record<(typeof MEANING_WORDS)[number], string[]>;
const meaningSchema = z.object(Object.fromEntries(MEANING_WORDS.map((c) => [c, words]))).strict();

export interface LoadedFlows {
  flows: Map<string, FlowDef>;
  /** Words that work anywhere (flows/_commands.yaml). */
  commands: Record<Command, string[]>;
  /** Words that answer a question: confirm, done; and polite endings to ignore after them. */
  answers: AnswerWords;
  /** Words for what a person means: negations, "I don't understand", greetings, thanks (flows/_conversation.yaml). */
  meaning: MeaningWords;
}

/**
 * Loads every flows/*.yaml (files starting with "_" hold shared data) and checks it: the schema,
 * transitions, registered validators/sources/actions, locale keys in every language and LINE's
 * quick-reply limits. All problems are reported at once, each naming file, step and problem.
 */
export function loadFlows(dir: string, registry: FlowRegistry, resources: Resources): LoadedFlows {
  const problems: string[] = [];
  const flows = new Map<string, FlowDef>();
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  let commands: Record<Command, string[]> | undefined;
  let answers: AnswerWords | undefined;
  let meaning: MeaningWords | undefined;

  for (const file of files) {
    const where = `flows/${file}`;
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      problems.push(`${where}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    if (file.startsWith('_commands')) {
      const r = commandsSchema.safeParse(raw);
      if (r.success) {
        const all = r.data as Record<string, string[]>;
        commands = Object.fromEntries(COMMANDS.map((c) => [c, all[c]!])) as Record<Command, string[]>;
        answers = Object.fromEntries(ANSWER_WORDS.map((c) => [c, all[c]!])) as AnswerWords;
      }
      else problems.push(...r.error.issues.map((i) => `${where}: ${i.path.join('.') || '(file)'}: ${i.message}`));
      continue;
    }
    if (file.startsWith('_conversation')) {
      const r = meaningSchema.safeParse(raw);
      if (r.success) meaning = r.data as MeaningWords;
      else problems.push(...r.error.issues.map((i) => `${where}: ${i.path.join('.') || '(file)'}: ${i.message}`));
      continue;
    }
    if (file.startsWith('_')) continue;
    const parsed = flowSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${where}: ${describePath(issue.path)}${issue.message}`);
      continue;
    }
    const flow = parsed.data;
    if (flows.has(flow.id)) problems.push(`${where}: flow id "${flow.id}" is used by another file`);
    const expected = basename(file).replace(/\.(ya?ml|json)$/, '');
    if (flow.id !== expected) problems.push(`${where}: id "${flow.id}" should match the file name "${expected}"`);
    problems.push(...checkFlow(flow, registry, resources).map((p) => `${where}: ${p}`));
    flows.set(flow.id, flow);
  }
  if (!commands) problems.push('flows/_commands.yaml: missing (the words for back, cancel, help, language, officer, menu)');
  if (!meaning) problems.push('flows/_conversation.yaml: missing (the words for negation, confused, greeting, thanks)');
  problems.push(...checkKeywords(flows));
  for (const flow of flows.values()) {
    for (const [id, step] of Object.entries(flow.steps)) {
      if (step.type !== 'info') continue;
      for (const c of step.choices ?? []) {
        if (c.flow && !flows.has(c.flow)) problems.push(`flows/${flow.id}.yaml: step "${id}": choice starts journey "${c.flow}", which does not exist`);
      }
    }
  }
  if (problems.length) throw new FlowLoadError(problems);
  return { flows, commands: commands!, answers: answers!, meaning: meaning! };
}

function describePath(path: PropertyKey[]): string {
  if (path[0] === 'steps' && path.length > 1) {
    const rest = path.slice(2).join('.');
    return `step "${String(path[1])}": ${rest ? `${rest}: ` : ''}`;
  }
  return path.length ? `${path.join('.')}: ` : '';
}

export function transitionTargets(t: Transition | undefined): string[] {
  if (!t) return [];
  return typeof t === 'string' ? [t] : t.map((r) => r.goto);
}

/** Every i18n key a step uses, with the LINE limit that applies to its text (if any). */
function stepKeys(step: StepDef): { key: string; limit?: number; what?: string }[] {
  const out: { key: string; limit?: number; what?: string }[] = [];
  const add = (key: string | undefined, limit?: number, what?: string) => key && out.push({ key, limit, what });
  const card = (c: { title: string; body: string[]; list: string[]; listTitle?: string; warning?: string; link?: { label: string } }) => {
    add(c.title);
    c.body.forEach((k) => add(k));
    c.list.forEach((k) => add(k));
    add(c.listTitle);
    add(c.warning);
    add(c.link?.label, LINE_LIMITS.flexButtonLabel, 'link button label');
  };
  if ('help' in step) add(step.help);
  if ('prompt' in step) add(step.prompt);
  switch (step.type) {
    case 'info':
      for (const m of step.messages) {
        if ('card' in m) card(m.card);
        else if ('carousel' in m) {
          m.carousel.forEach(card);
          add(m.altText);
        } else add(m.text);
      }
      step.choices?.forEach((c) => add(c.label, LINE_LIMITS.quickReplyLabel, 'quick reply label'));
      break;
    case 'choice':
      step.options?.forEach((o) => add(o.label, LINE_LIMITS.quickReplyLabel, 'quick reply label'));
      add(step.acceptLocation?.label, LINE_LIMITS.quickReplyLabel, 'quick reply label');
      break;
    case 'summary':
      step.fields.forEach((f) => add(f.label));
      break;
    case 'task':
      card(step.card);
      break;
    default:
      break;
  }
  return out;
}

function checkFlow(flow: FlowDef, registry: FlowRegistry, resources: Resources): string[] {
  const problems: string[] = [];
  const ids = new Set(Object.keys(flow.steps));
  const keySets = new Map(LANGUAGES.map((l) => [l, flattenKeys(resources, l)]));
  const text = (lang: string, key: string) => {
    const [ns, path] = key.split(':') as [string, string];
    const v = path.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], resources[lang]?.[ns]);
    return typeof v === 'string' ? v : undefined;
  };
  const checkKey = (where: string, key: string, limit?: number, what?: string) => {
    for (const lang of LANGUAGES) {
      if (!keySets.get(lang)!.has(key)) problems.push(`${where}locale key "${key}" is missing in locales/${lang}`);
      else if (limit && (text(lang, key)?.length ?? 0) > limit) {
        problems.push(`${where}${what ?? 'text'} "${text(lang, key)}" (${lang}) is over LINE's ${limit}-character limit`);
      }
    }
  };

  if (!ids.has(flow.start)) problems.push(`start: step "${flow.start}" does not exist`);
  checkKey('', flow.title);
  if (flow.menu) checkKey('menu: ', flow.menu.label, LINE_LIMITS.quickReplyLabel, 'menu label');
  if (flow.menu?.doneLabel) checkKey('menu: ', flow.menu.doneLabel, LINE_LIMITS.quickReplyLabel, 'menu label');
  if (flow.onStart && !registry.actions.has(flow.onStart)) problems.push(`onStart: action "${flow.onStart}" is not registered`);
  if (flow.onResume && !registry.actions.has(flow.onResume)) problems.push(`onResume: action "${flow.onResume}" is not registered`);

  for (const [id, step] of Object.entries(flow.steps)) {
    const where = `step "${id}": `;
    const targets = [...transitionTargets('next' in step ? step.next : undefined)];
    if (step.type === 'info') step.choices?.forEach((c) => c.goto && targets.push(c.goto));
    if (step.type === 'choice' && step.acceptText) {
      targets.push(...transitionTargets(step.acceptText.next));
      if (!registry.actions.has(step.acceptText.action)) problems.push(`${where}action "${step.acceptText.action}" is not registered`);
    }
    if (step.type === 'choice' && step.acceptLocation) {
      targets.push(...transitionTargets(step.acceptLocation.next));
      if (!registry.actions.has(step.acceptLocation.action)) problems.push(`${where}action "${step.acceptLocation.action}" is not registered`);
    }
    if (step.type === 'summary') step.fields.forEach((f) => f.edit && targets.push(f.edit));
    if (step.type === 'action') targets.push(...Object.values(step.on));
    for (const t of targets) if (!ids.has(t)) problems.push(`${where}goes to step "${t}", which does not exist`);

    if (step.type === 'info' && !step.end && !step.next && !step.choices) problems.push(`${where}an info step needs next, choices or end: true`);
    if (step.type === 'action' && !step.end && !step.next && Object.keys(step.on).length === 0) {
      problems.push(`${where}an action step needs next, on or end: true`);
    }
    if (step.type === 'text' && step.offerNext) {
      const target = typeof step.next === 'string' ? flow.steps[step.next] : undefined;
      if (!step.list) problems.push(`${where}offerNext needs list: true`);
      if (!target || target.type !== 'choice' || !target.options || target.multiple) {
        problems.push(`${where}offerNext needs next to be one step: a single choice with options`);
      }
    }
    if (step.type === 'text' && step.validator) {
      const name = typeof step.validator === 'string' ? step.validator : step.validator.name;
      if (!registry.validators.has(name)) problems.push(`${where}validator "${name}" is not registered`);
    }
    if (step.type === 'choice') {
      if (step.source && !registry.sources.has(step.source)) problems.push(`${where}option source "${step.source}" is not registered`);
      // Quick replies: 13 at most, one kept for "back"/"done".
      if (step.options && step.options.length > LINE_LIMITS.quickReplyItems - 1) {
        problems.push(`${where}${step.options.length} options do not fit LINE's ${LINE_LIMITS.quickReplyItems} quick replies (use a source for long lists)`);
      }
    }
    if (step.type === 'info' && step.choices && step.choices.length > LINE_LIMITS.quickReplyItems - 1) {
      problems.push(`${where}too many choices for quick replies`);
    }
    if ((step.type === 'action' || step.type === 'location') && step.action && !registry.actions.has(step.action)) {
      problems.push(`${where}action "${step.action}" is not registered`);
    }
    if (step.type === 'task' && !flow.progress) problems.push(`${where}task steps need "progress: true" on the flow`);
    for (const k of stepKeys(step)) checkKey(where, k.key, k.limit, k.what);
  }
  return problems;
}

function checkKeywords(flows: Map<string, FlowDef>): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const flow of flows.values()) {
    for (const k of flow.menu?.keywords ?? []) {
      const norm = k.toLowerCase().replace(/\s+/g, '');
      const other = seen.get(norm);
      if (other && other !== flow.id) problems.push(`flows/${flow.id}.yaml: menu keyword "${k}" also starts "${other}"`);
      seen.set(norm, flow.id);
    }
  }
  return problems;
}
