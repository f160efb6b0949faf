import type { Lang } from '../core/i18n.js';
import type { Validator } from '../domain/validation/types.js';
import type { BotContext } from '../bot/context.js';
import type { FlowState } from '../sessions/session-store.js';
import type { FlowDef } from './schema.js';

/** One answer a choice can take. `data` (if any) is what gets stored instead of `value`. */
export interface Option {
  value: string;
  label: string;
  data?: unknown;
}

export interface SourceContext {
  lang: Lang;
  answers: Record<string, unknown>;
  t: (key: string, params?: Record<string, unknown>) => string;
}

/** Dynamic or long option lists (77 provinces, districts of the chosen province, …). */
export interface OptionSource {
  list(ctx: SourceContext): Option[] | Promise<Option[]>;
  /** Tolerant matching of typed text; without it, labels are matched loosely. */
  match?(input: string, ctx: SourceContext): { exact?: Option; suggestions: Option[] } | Promise<{ exact?: Option; suggestions: Option[] }>;
  resolve?(value: string, ctx: SourceContext): Option | undefined | Promise<Option | undefined>;
}

export interface ActionContext {
  ctx: BotContext;
  flow: FlowDef;
  state: FlowState;
  answers: Record<string, unknown>;
  params: Record<string, unknown>;
}

/** `outcome` picks a branch from the step's `on` map; `goto` jumps; `end` finishes the flow. */
export type ActionResult = { outcome?: string; goto?: string; end?: boolean } | void;
export type FlowAction = (a: ActionContext) => Promise<ActionResult> | ActionResult;

export type ValidatorFactory = (params: Record<string, unknown>) => Validator;

/** What flow files may name: validators, option sources and actions, registered by features. */
export class FlowRegistry {
  readonly validators = new Map<string, ValidatorFactory>();
  readonly sources = new Map<string, OptionSource>();
  readonly actions = new Map<string, FlowAction>();

  validator(name: string, v: Validator): this {
    this.validators.set(name, () => v);
    return this;
  }
  /** A validator taking parameters from the flow file, e.g. { name: intBetween, min: 1, max: 500 }. */
  validatorFactory(name: string, factory: ValidatorFactory): this {
    this.validators.set(name, factory);
    return this;
  }
  source(name: string, s: OptionSource): this {
    this.sources.set(name, s);
    return this;
  }
  action(name: string, a: FlowAction): this {
    this.actions.set(name, a);
    return this;
  }
}
