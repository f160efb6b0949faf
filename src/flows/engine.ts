import type { webhook } from '@line/bot-sdk';
import type { Sealer } from '../core/crypto.js';
import type { Lang } from '../core/i18n.js';
import { compactForMatch, normalizeInput, similarity } from '../core/text/normalize.js';
import { isNegated, isPhrase } from '../core/text/meaning.js';
import { truncateGraphemes } from '../core/text/truncate.js';
import { parseThaiDate, bangkokToday } from '../domain/validation/date.js';
import type { Validated, Validator } from '../domain/validation/types.js';
import { splitItems } from '../domain/validation/lists.js';
import type { BotContext, Middleware } from '../bot/context.js';
import { decodeData, encodeData, text, type Choice } from '../bot/messages.js';
import type { FlowState } from '../sessions/session-store.js';
import type { Command, LoadedFlows } from './loader.js';
import type { FlowRegistry, Option, SourceContext } from './registry.js';
import { cardMessage, carouselMessage, summaryMessage, type SummaryRow } from './render.js';
import type { Condition, FlowDef, StepDef, Transition } from './schema.js';
import { getPath, setPath, unsetPath } from './paths.js';
import type { ProgressStore } from './progress.js';
import { isJourneyDone } from './journey-done.js';

/** What the user did, reduced to what a step can consume. */
type Input =
  | { kind: 'text'; text: string }
  | { kind: 'postback'; raw: string; data: Record<string, string>; params?: Record<string, string> }
  | { kind: 'location'; latitude: number; longitude: number; address?: string; title?: string }
  | { kind: 'other' };

type Interactive = Extract<StepDef, { type: 'text' | 'choice' | 'summary' | 'date' | 'location' | 'task' }>;

const INTERACTIVE = new Set(['text', 'choice', 'summary', 'date', 'location', 'task']);
const MAX_HOPS = 100;
const MAX_RETRIES_BEFORE_HELP = 3;
const QUICK_REPLY_MAX = 13;
const PAGE_SIZE = 9;

export interface EngineOptions {
  loaded: LoadedFlows;
  registry: FlowRegistry;
  sealer: Sealer;
  progress: ProgressStore;
  /** A user silent this long inside a journey is welcomed back before their input is used. */
  resumeAfterMs?: number;
  /** "Talk to an officer": records a help request and tells the user what happens next. */
  onOfficer: (ctx: BotContext, state: FlowState | null, flow: FlowDef | undefined) => Promise<void>;
}

/**
 * Interprets flow files. Every journey is data (flows/*.yaml); this class knows step kinds,
 * global commands (back, cancel, help, language, officer, menu), resume and stale buttons.
 */
/** A step by id, own properties only: "__proto__" or "constructor" from a forged postback is no step. */
function stepOf(flow: FlowDef, id: string | undefined): StepDef | undefined {
  return id !== undefined && Object.hasOwn(flow.steps, id) ? flow.steps[id] : undefined;
}

export class FlowEngine {
  private readonly flows: Map<string, FlowDef>;
  private readonly commandWords: Map<string, Command>;
  private readonly resumeAfterMs: number;

  constructor(private readonly opts: EngineOptions) {
    this.flows = opts.loaded.flows;
    this.commandWords = new Map();
    for (const [cmd, words] of Object.entries(opts.loaded.commands)) {
      for (const w of words) this.commandWords.set(compactForMatch(w), cmd as Command);
    }
    this.resumeAfterMs = opts.resumeAfterMs ?? 3 * 3_600_000;
  }

  get flowIds(): string[] {
    return [...this.flows.keys()];
  }

  /** The main menu: journeys in their declared order. */
  menuChoices(ctx: BotContext): Choice[] {
    return [...this.flows.values()]
      .filter((f) => f.menu && !f.menu.hidden)
      .sort((a, b) => a.menu!.order - b.menu!.order)
      .slice(0, QUICK_REPLY_MAX - 1)
      .map((f) => ({ label: ctx.t(this.menuLabel(ctx, f)), data: encodeData({ cmd: 'start', flow: f.id, m: 1 }) }))
      .concat([{ label: ctx.t('common:nav.language'), data: encodeData({ cmd: 'language' }) }]);
  }

  private menuLabel(ctx: BotContext, f: FlowDef): string {
    return isJourneyDone(ctx, f.id) && f.menu?.doneLabel ? f.menu.doneLabel : f.menu!.label;
  }

  /** Words for what people mean (flows/_conversation.yaml). */
  get meaning() {
    return this.opts.loaded.meaning;
  }

  /** The whole message is a greeting / thanks / "I don't understand" (polite endings ignored). */
  means(raw: string, what: 'greeting' | 'thanks' | 'confused'): boolean {
    if (isPhrase(raw, this.opts.loaded.meaning[what], this.opts.loaded.answers.politeEndings)) return true;
    // A question asked back ("ต้องใส่ชื่อจริงไหม?") is not an answer either.
    return what === 'confused' && /[?？]\s*$/.test(raw.trim()) && raw.trim().length > 1;
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      const input = readInput(ctx.event);
      if (!input) return next();

      if (input.kind === 'postback' && input.data.cmd) {
        if (await this.command(ctx, input.data)) return;
      }
      if (input.kind === 'text') {
        const cmd = this.commandWords.get(compactForMatch(input.text));
        if (cmd) return this.command(ctx, { cmd }).then(() => undefined);
      }
      const state = ctx.session.flow;
      if (state) {
        const flow = this.flows.get(state.id);
        if (!flow) {
          // The journey was withdrawn while the user was in it.
          ctx.session.flow = null;
          ctx.say(ctx.t('common:flow.gone'), this.menuChoices(ctx));
          return;
        }
        return this.onInput(ctx, flow, this.upgrade(ctx, flow, state), input);
      }
      if (input.kind === 'text') {
        const flow = this.matchJourney(input.text);
        if (flow) return this.start(ctx, flow);
      }
      if (input.kind === 'postback' && input.data.f) {
        // A button of a journey that is over (finished, cancelled, left): there is nothing to continue.
        ctx.say(ctx.t('common:flow.staleClosed'), this.menuChoices(ctx));
        return;
      }
      return next();
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private async command(ctx: BotContext, data: Record<string, string>): Promise<boolean> {
    const state = ctx.session.flow;
    const flow = state ? this.flows.get(state.id) : undefined;
    switch (data.cmd) {
      case 'start': {
        const target = this.flows.get(data.flow ?? '');
        if (!target) {
          ctx.say(ctx.t('common:flow.gone'), this.menuChoices(ctx));
          return true;
        }
        await this.start(ctx, target, { fromMenu: data.m === '1' });
        return true;
      }
      case 'resume': {
        const target = this.flows.get(data.flow ?? '');
        const saved = target && this.saved(ctx, target);
        if (!target || !saved) {
          ctx.say(ctx.t('common:flow.staleClosed'), this.menuChoices(ctx));
          return true;
        }
        await this.resume(ctx, target, saved);
        return true;
      }
      case 'restart': {
        const target = this.flows.get(data.flow ?? '');
        if (!target) return false;
        const saved = this.saved(ctx, target);
        if (saved && String(saved.turn) !== data.t) {
          // An old "start over" button: the answers given since then are not thrown away unasked.
          this.offerResume(ctx, target, saved);
          return true;
        }
        this.pauseActive(ctx, target.id);
        delete ctx.session.paused[target.id];
        if (ctx.session.flow?.id === target.id) ctx.session.flow = null;
        await this.begin(ctx, target);
        return true;
      }
      case 'continue':
        if (state && flow) await this.reprompt(ctx, flow, state);
        else ctx.say(ctx.t('common:menu.prompt'), this.menuChoices(ctx));
        return true;
      case 'back':
        if (!state || !flow) {
          ctx.say(ctx.t('common:menu.prompt'), this.menuChoices(ctx));
          return true;
        }
        await this.back(ctx, flow, state);
        return true;
      case 'cancel':
        if (state && flow && state.history.length > 1 && data.sure !== '1') {
          // "ยกเลิก" often means "undo that": ask before throwing away more than one answer.
          ctx.say(ctx.t('common:flow.cancelAsk', { flow: ctx.t(flow.title), count: state.history.length }), [
            { label: ctx.t('common:nav.cancelAll'), data: encodeData({ cmd: 'cancel', sure: 1 }) },
            { label: ctx.t('common:nav.backOne'), data: encodeData({ cmd: 'back' }) },
            { label: ctx.t('common:nav.continue'), data: encodeData({ cmd: 'continue' }) },
          ]);
        } else if (state && flow) {
          ctx.session.flow = null;
          delete ctx.session.paused[flow.id];
          ctx.say(ctx.t('common:flow.cancelled', { flow: ctx.t(flow.title) }), this.menuChoices(ctx));
        } else {
          ctx.say(ctx.t('common:flow.nothingToCancel'), this.menuChoices(ctx));
        }
        return true;
      case 'menu':
        if (state) this.pauseActive(ctx);
        ctx.say(ctx.t('common:menu.prompt'), this.menuChoices(ctx));
        return true;
      case 'help':
        if (state && flow) {
          const step = stepOf(flow, state.step);
          const help = step && 'help' in step && step.help ? step.help : 'common:flow.help';
          ctx.say(ctx.t(help, { flow: ctx.t(flow.title) }), [
            { label: ctx.t('common:nav.continue'), data: encodeData({ cmd: 'continue' }) },
            { label: ctx.t('common:nav.officer'), data: encodeData({ cmd: 'officer' }) },
            { label: ctx.t('common:nav.menu'), data: encodeData({ cmd: 'menu' }) },
            { label: ctx.t('common:nav.cancel'), data: encodeData({ cmd: 'cancel' }) },
          ]);
        } else {
          ctx.say(ctx.t('common:help.text'), this.menuChoices(ctx));
        }
        return true;
      case 'language':
        ctx.say(ctx.t('common:language.prompt'), [
          { label: ctx.t('common:language.th'), data: encodeData({ cmd: 'setlang', v: 'th' }) },
          { label: ctx.t('common:language.en'), data: encodeData({ cmd: 'setlang', v: 'en' }) },
        ]);
        return true;
      case 'setlang': {
        const lang = data.v === 'en' ? 'en' : 'th';
        ctx.session.lang = lang as Lang;
        ctx.session.langChosen = true;
        ctx.say(ctx.t('common:language.changed'));
        if (state && flow) await this.reprompt(ctx, flow, state);
        else ctx.offer(this.menuChoices(ctx));
        return true;
      }
      case 'officer':
        await this.opts.onOfficer(ctx, state, flow);
        return true;
      default:
        return false;
    }
  }

  private matchJourney(typed: string): FlowDef | undefined {
    const input = compactForMatch(typed);
    if (!input || input.length > 40) return undefined;
    let best: { flow: FlowDef; len: number } | undefined;
    for (const flow of this.flows.values()) {
      for (const k of flow.menu?.keywords ?? []) {
        const word = compactForMatch(k);
        // Exact word, or a short message containing it ("สมัครอบรมค่ะ"); the longest keyword wins.
        if (word && (input === word || input.includes(word)) && (!best || word.length > best.len)) {
          best = { flow, len: word.length };
        }
      }
    }
    return best?.flow;
  }

  /** The user's unfinished place in `flow` (active or paused), if any. */
  private saved(ctx: BotContext, flow: FlowDef): FlowState | undefined {
    const active = ctx.session.flow;
    if (active?.id === flow.id) return active;
    return Object.hasOwn(ctx.session.paused, flow.id) ? ctx.session.paused[flow.id] : undefined;
  }

  /**
   * Starting a journey the user left before: chosen from the menu, it goes straight on (they
   * asked for it); typed, they are asked whether to continue or start over.
   */
  private async start(ctx: BotContext, flow: FlowDef, o: { fromMenu?: boolean } = {}): Promise<void> {
    const saved = this.saved(ctx, flow);
    if (saved && o.fromMenu) return this.resume(ctx, flow, saved);
    if (saved) return this.offerResume(ctx, flow, saved);
    this.pauseActive(ctx);
    await this.begin(ctx, flow);
  }

  private async resume(ctx: BotContext, target: FlowDef, saved: FlowState): Promise<void> {
    this.pauseActive(ctx, target.id);
    delete ctx.session.paused[target.id];
    ctx.session.flow = this.upgrade(ctx, target, saved);
    ctx.say(ctx.t('common:flow.resumed', { flow: ctx.t(target.title) }));
    // onResume (optional): e.g. a checklist's overview; a `goto` result continues elsewhere.
    const r = target.onResume ? await this.runAction(ctx, target, ctx.session.flow, target.onResume, {}) : undefined;
    if (r?.end) await this.finish(ctx, target);
    else if (r?.goto) await this.enter(ctx, target, ctx.session.flow, r.goto);
    else await this.enter(ctx, target, ctx.session.flow, ctx.session.flow.step, { direct: true });
  }

  /** "Start over" carries the turn it was offered at: a button older than the last answer asks again. */
  private offerResume(ctx: BotContext, flow: FlowDef, saved: FlowState): void {
    ctx.say(ctx.t('common:flow.resumeOffer', { flow: ctx.t(flow.title) }), [
      { label: ctx.t('common:nav.resume'), data: encodeData({ cmd: 'resume', flow: flow.id }) },
      { label: ctx.t('common:nav.restart'), data: encodeData({ cmd: 'restart', flow: flow.id, t: saved.turn }) },
      { label: ctx.t('common:nav.menu'), data: encodeData({ cmd: 'menu' }) },
    ]);
  }

  /** Moves the active journey aside (kept for resuming), unless it is `except`. */
  private pauseActive(ctx: BotContext, except?: string): void {
    const active = ctx.session.flow;
    if (active && active.id !== except) {
      ctx.session.paused[active.id] = active;
      ctx.session.flow = null;
    }
  }

  private async begin(ctx: BotContext, flow: FlowDef): Promise<void> {
    const now = ctx.services.now().toISOString();
    const state: FlowState = {
      id: flow.id,
      version: flow.version,
      step: flow.start,
      answers: {},
      history: [],
      retries: 0,
      turn: 0,
      display: {},
      startedAt: now,
      updatedAt: now,
    };
    ctx.session.flow = state;
    let first = flow.start;
    if (flow.onStart) {
      const r = await this.runAction(ctx, flow, state, flow.onStart, {});
      if (r?.end) return this.finish(ctx, flow);
      if (r?.goto) first = r.goto;
    }
    await this.enter(ctx, flow, state, first);
  }

  /** A flow file changed while the user was inside: keep answers, continue where possible. */
  private upgrade(ctx: BotContext, flow: FlowDef, state: FlowState): FlowState {
    if (state.version === flow.version) return state;
    state.version = flow.version;
    state.display ??= {};
    state.turn = (state.turn ?? 0) + 1;
    state.history = (state.history ?? []).filter((s) => stepOf(flow, s));
    if (!stepOf(flow, state.step) || !INTERACTIVE.has(stepOf(flow, state.step)!.type)) {
      state.step = flow.start;
      state.returnTo = undefined;
    }
    ctx.session.data.flowUpdated = flow.id;
    return state;
  }

  // ---------------------------------------------------------------------------------------------
  // Moving through steps

  /**
   * Runs non-interactive steps (info, action, branch) until one needs the user, then prompts.
   * `direct` prompts the given step even when its field is answered (resume, edit, back).
   */
  private async enter(ctx: BotContext, flow: FlowDef, state: FlowState, stepId: string, o: { direct?: boolean } = {}): Promise<void> {
    let id: string | undefined = stepId;
    let direct = o.direct ?? false;
    if (ctx.session.data.flowUpdated === flow.id) {
      delete ctx.session.data.flowUpdated;
      ctx.say(ctx.t('common:flow.updated'));
    }
    for (let hops = 0; hops < MAX_HOPS; hops++) {
      if (!id) return this.finish(ctx, flow);
      const step: StepDef | undefined = stepOf(flow, id);
      if (!step) throw new Error(`flow ${flow.id}: step ${id} does not exist`);
      state.step = id;
      state.retries = 0;
      state.page = 0;
      state.updatedAt = ctx.services.now().toISOString();

      if (step.type === 'branch') {
        id = resolveNext(step.next, state.answers);
        continue;
      }
      if (step.type === 'action') {
        const r = await this.runAction(ctx, flow, state, step.action, step.params);
        if (r?.end || (step.end && !r?.goto && !(r?.outcome && step.on[r.outcome]))) return this.finish(ctx, flow);
        id = r?.goto ?? (r?.outcome ? step.on[r.outcome] : undefined) ?? resolveNext(step.next, state.answers);
        continue;
      }
      if (step.type === 'info') {
        for (const m of step.messages) {
          const t = (k: string, p?: Record<string, unknown>) => ctx.t(k, p);
          if ('card' in m) ctx.reply(cardMessage(m.card, t));
          else if ('carousel' in m) ctx.reply(carouselMessage(m.carousel, t, ctx.t(m.altText)));
          else ctx.reply(text(ctx.t(m.text, this.params(ctx, state))));
        }
        if (step.choices?.length) {
          state.turn++;
          const choices = step.choices.map((c) => ({
            label: ctx.t(c.label),
            data: c.flow ? encodeData({ cmd: 'start', flow: c.flow, m: 1 }) : this.data(flow, state, { x: 'go', s: c.goto }),
          }));
          if (step.choices.every((c) => c.flow)) {
            // Every button leads to another journey: this one is over (nothing to "continue" later).
            this.close(ctx, flow);
            ctx.offer([...choices, { label: ctx.t('common:nav.menu'), data: encodeData({ cmd: 'menu' }) }]);
            return;
          }
          ctx.offer(choices);
          return;
        }
        if (step.end) return this.finish(ctx, flow);
        id = resolveNext(step.next, state.answers);
        continue;
      }
      // Interactive steps.
      if (state.returnTo === id) state.returnTo = undefined;
      if (step.type === 'task' && !direct) {
        const progress = await this.opts.progress.get(ctx.userId, flow.id);
        if (progress.steps[id]?.status === 'done') {
          id = resolveNext(step.next, state.answers);
          continue;
        }
      }
      if (!direct && state.returnTo && 'field' in step && getPath(state.answers, step.field) !== undefined) {
        // Editing from the summary: dependent questions are answered, go back to the summary.
        id = state.returnTo;
        state.returnTo = undefined;
        direct = true;
        continue;
      }
      state.turn++;
      await this.prompt(ctx, flow, state, step as Interactive);
      return;
    }
    throw new Error(`flow ${flow.id}: more than ${MAX_HOPS} steps without a question (a loop?)`);
  }

  private close(ctx: BotContext, flow: FlowDef): void {
    if (ctx.session.flow?.id === flow.id) ctx.session.flow = null;
    delete ctx.session.paused[flow.id];
  }

  private async finish(ctx: BotContext, flow: FlowDef): Promise<void> {
    this.close(ctx, flow);
    if (ctx.outbox.length === 0) ctx.say(ctx.t('common:flow.finished', { flow: ctx.t(flow.title) }));
    // LINE shows only the last message's quick replies: the journey's own last buttons (e.g. the
    // training cards' "my trainings") move there and win over the generic menu.
    const own = [...ctx.outbox].reverse().find((m) => (m as { quickReply?: unknown }).quickReply);
    const last = ctx.outbox.at(-1) as { quickReply?: unknown } | undefined;
    if (own && last && own !== last) {
      last.quickReply = (own as { quickReply?: unknown }).quickReply;
      delete (own as { quickReply?: unknown }).quickReply;
    }
    if (!last?.quickReply) ctx.offer(this.menuChoices(ctx));
  }

  private async reprompt(ctx: BotContext, flow: FlowDef, state: FlowState): Promise<void> {
    const step = stepOf(flow, state.step);
    if (step && INTERACTIVE.has(step.type)) {
      state.turn++;
      await this.prompt(ctx, flow, state, step as Interactive);
    } else {
      await this.enter(ctx, flow, state, state.step, { direct: true });
    }
  }

  private async back(ctx: BotContext, flow: FlowDef, state: FlowState): Promise<void> {
    const previous = state.history.pop();
    state.returnTo = undefined;
    if (!previous) {
      ctx.say(ctx.t('common:flow.atStart'));
      return this.reprompt(ctx, flow, state);
    }
    await this.enter(ctx, flow, state, previous, { direct: true });
  }

  /** Records an answer and moves on. */
  private async answer(ctx: BotContext, flow: FlowDef, state: FlowState, step: Interactive, value: unknown, display?: string): Promise<void> {
    if ('field' in step) {
      const before = JSON.stringify(getPath(state.answers, step.field));
      if (value === undefined) unsetPath(state.answers, step.field);
      else setPath(state.answers, step.field, value);
      if (display !== undefined) state.display[step.field] = display;
      else delete state.display[step.field];
      if ('resets' in step && JSON.stringify(value) !== before) {
        for (const f of step.resets) {
          unsetPath(state.answers, f);
          delete state.display[f];
        }
      }
    }
    if (state.history.at(-1) !== state.step) state.history.push(state.step);
    await this.enter(ctx, flow, state, resolveNext(step.next, state.answers) ?? '');
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  private async onInput(ctx: BotContext, flow: FlowDef, state: FlowState, input: Input): Promise<void> {
    const step = stepOf(flow, state.step);
    if (step?.type === 'info' && input.kind === 'postback' && input.data.x === 'go') {
      // An info step's button (`choices` with goto): only its own targets, and only from its latest prompt.
      const d = input.data;
      if (this.isIssued(flow, state, input.raw) && step.choices?.some((c) => c.goto && c.goto === d.s)) {
        return this.enter(ctx, flow, state, d.s!);
      }
    }
    if (!step || !INTERACTIVE.has(step.type)) return this.enter(ctx, flow, state, state.step, { direct: true });
    const s = step as Interactive;

    if (input.kind === 'postback') {
      if (!this.isIssued(flow, state, input.raw)) {
        // A button from an earlier question, pressed twice, or never shown at all: nothing changes,
        // the current question is asked again.
        ctx.say(ctx.t('common:flow.stale'));
        return this.reprompt(ctx, flow, state);
      }
      return this.onPostback(ctx, flow, state, s, input.data, input.params);
    }
    const last = ctx.session.lastEventAt?.getTime();
    if (last !== undefined && ctx.services.now().getTime() - last > this.resumeAfterMs) {
      // Back after a long while: say where we are, and use what they typed (never make them retype it).
      const typed = input.kind === 'text' ? truncateGraphemes(normalizeInput(input.text), 40) : '';
      ctx.say(ctx.t(typed ? 'common:flow.welcomeBackKept' : 'common:flow.welcomeBack', { flow: ctx.t(flow.title), text: typed }));
    }
    if (input.kind === 'text') {
      if (this.means(input.text, 'greeting') || this.means(input.text, 'thanks')) {
        ctx.say(ctx.t(this.means(input.text, 'greeting') ? 'common:talk.greetingInFlow' : 'common:talk.thanksInFlow', { flow: ctx.t(flow.title) }));
        return this.reprompt(ctx, flow, state);
      }
      if (this.means(input.text, 'confused')) {
        // "ไม่เข้าใจ" is not an answer: explain the question (with an example), store nothing.
        ctx.say(ctx.t('help' in s && s.help ? s.help : 'common:flow.explain', { flow: ctx.t(flow.title) }));
        return this.reprompt(ctx, flow, state);
      }
    }
    // Cut what was typed to what this step can use before any matching: parsers and fuzzy matching
    // cost grows with the input (the date parser is cubic in it), and nothing longer is valid.
    if (input.kind === 'text') input.text = truncateGraphemes(input.text, stepInputLimit(s));
    switch (s.type) {
      case 'text':
        if (input.kind !== 'text') return this.retry(ctx, flow, state, s, 'common:flow.expectText');
        return this.onText(ctx, flow, state, s, input.text);
      case 'choice':
        if (input.kind === 'location' && s.acceptLocation) return this.onChoiceLocation(ctx, flow, state, s, input);
        if (input.kind !== 'text') return this.retry(ctx, flow, state, s, 'common:flow.expectChoice');
        return this.onChoiceText(ctx, flow, state, s, input.text);
      case 'summary':
        if (input.kind === 'text' && this.isYes(input.text)) return this.answer(ctx, flow, state, s, undefined);
        return this.retry(ctx, flow, state, s, 'common:flow.expectConfirm');
      case 'date': {
        if (input.kind !== 'text') return this.retry(ctx, flow, state, s, 'common:flow.expectDate');
        const r = parseThaiDate(input.text, { lang: ctx.lang, now: ctx.services.now() });
        if (!r.ok) return this.retry(ctx, flow, state, s, `validation:${r.errorKey}`, r.params);
        return this.acceptDate(ctx, flow, state, s, r.value);
      }
      case 'location':
        if (input.kind !== 'location') return this.retry(ctx, flow, state, s, 'common:flow.expectLocation');
        return this.onLocation(ctx, flow, state, s, input);
      case 'task':
        if (input.kind === 'text' && this.isYes(input.text)) return this.onTask(ctx, flow, state, s, 'done');
        return this.retry(ctx, flow, state, s, 'common:flow.expectTask');
    }
  }

  /** Was this exact button issued for the current question of this journey? */
  private isIssued(flow: FlowDef, state: FlowState, raw: string): boolean {
    const d = decodeData(raw);
    return d.f === flow.id && Number(d.t) === state.turn && state.issuedTurn === state.turn && (state.issued ?? []).includes(raw);
  }

  /**
   * An issued button. Each kind is also checked against the step (belt and braces): "done" needs
   * something collected, "confirm" a summary, "edit" one of the summary's own rows.
   */
  private async onPostback(ctx: BotContext, flow: FlowDef, state: FlowState, s: Interactive, d: Record<string, string>, params?: Record<string, string>): Promise<void> {
    switch (d.x) {
      case 'go':
        return this.reprompt(ctx, flow, state);
      case 'skip':
        if ('optional' in s && s.optional) return this.answer(ctx, flow, state, s, undefined);
        return this.reprompt(ctx, flow, state);
      case 'page':
        if (s.type !== 'choice') return this.reprompt(ctx, flow, state);
        state.page = Number(d.p) || 0;
        state.turn++;
        return this.prompt(ctx, flow, state, s);
      case 'done': {
        const collected = 'field' in s ? getPath(state.answers, s.field) : undefined;
        const collects = (s.type === 'text' && s.list) || (s.type === 'choice' && s.multiple);
        if (!collects || !Array.isArray(collected) || collected.length === 0) return this.reprompt(ctx, flow, state);
        return this.answer(ctx, flow, state, s, collected);
      }
      case 'edit': {
        if (s.type !== 'summary' || !stepOf(flow, d.s) || !s.fields.some((f) => f.edit === d.s)) return this.reprompt(ctx, flow, state);
        state.returnTo = state.step;
        return this.enter(ctx, flow, state, d.s!, { direct: true });
      }
      case 'next': {
        // A list finished by answering the next question (offerNext).
        const then = s.type === 'text' ? this.offeredNext(flow, s) : undefined;
        const items = 'field' in s ? getPath(state.answers, s.field) : undefined;
        if (!then || s.type !== 'text' || !Array.isArray(items) || items.length === 0) return this.reprompt(ctx, flow, state);
        const option = (await this.options(ctx, state, then)).find((o) => o.value === d.v);
        if (!option) return this.reprompt(ctx, flow, state);
        if (state.history.at(-1) !== state.step) state.history.push(state.step);
        state.step = s.next as string;
        return this.pick(ctx, flow, state, then, option);
      }
      case 'confirm':
        if (s.type !== 'summary') return this.reprompt(ctx, flow, state);
        return this.answer(ctx, flow, state, s, undefined);
      case 'task':
        return this.onTask(ctx, flow, state, s, d.v as 'done' | 'help' | 'later' | 'skip');
      default:
        break;
    }
    if (s.type === 'date' && params) {
      const v = params.date ?? params.datetime ?? params.time;
      if (v) return this.acceptDate(ctx, flow, state, s, v);
    }
    if (s.type === 'choice' && d.v !== undefined) {
      const option = await this.resolveOption(ctx, state, s, d.v);
      if (!option) return this.reprompt(ctx, flow, state);
      return this.pick(ctx, flow, state, s, option);
    }
    return this.reprompt(ctx, flow, state);
  }

  private async onText(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'text' }>, raw: string): Promise<void> {
    const validator = this.validatorFor(s);
    if (s.list) {
      const items = (getPath(state.answers, s.field) as string[] | undefined) ?? [];
      if (items.length && this.isDone(raw)) return this.answer(ctx, flow, state, s, items);
      const parts = splitItems(raw);
      for (const p of parts) {
        const r = validator(p, { lang: ctx.lang, now: ctx.services.now() });
        if (!r.ok) return this.retry(ctx, flow, state, s, `validation:${r.errorKey}`, r.params);
        if (!items.includes(String(r.value))) items.push(String(r.value));
      }
      setPath(state.answers, s.field, items.slice(0, s.maxItems));
      state.turn++;
      return this.prompt(ctx, flow, state, s);
    }
    const r = validator(raw, { lang: ctx.lang, now: ctx.services.now() });
    if (!r.ok) return this.retry(ctx, flow, state, s, `validation:${r.errorKey}`, r.params, r.suggestions);
    if (s.sensitive) {
      // Sealed before it reaches the session document; only the masked form is shown.
      return this.answer(ctx, flow, state, s, this.opts.sealer.seal(String(r.value), { owner: ctx.userId, field: s.field.split('.').at(-1)! }), r.display ?? '••••');
    }
    return this.answer(ctx, flow, state, s, r.value, r.display);
  }

  private validatorFor(s: Extract<StepDef, { type: 'text' }>): Validator {
    if (!s.validator) return (input) => {
      const v = normalizeInput(input);
      return v ? { ok: true, value: v } : { ok: false, errorKey: 'required' };
    };
    const name = typeof s.validator === 'string' ? s.validator : s.validator.name;
    const params = typeof s.validator === 'string' ? {} : s.validator;
    return this.opts.registry.validators.get(name)!(params);
  }

  private async onChoiceText(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'choice' }>, raw: string): Promise<void> {
    if (s.multiple && this.isDone(raw) && this.picks(state, s).length > 0) {
      return this.answer(ctx, flow, state, s, this.picks(state, s));
    }
    if (s.acceptText) {
      const r = await this.runAction(ctx, flow, state, s.acceptText.action, { text: raw });
      if (r?.outcome === 'found') {
        if (state.history.at(-1) !== state.step) state.history.push(state.step);
        return this.enter(ctx, flow, state, resolveNext(s.acceptText.next, state.answers) ?? '');
      }
    }
    const negation = this.opts.loaded.meaning.negation;
    const negated = isNegated(raw, negation);
    // A refusal never picks a positive answer ("ยินยอมไม่ได้" is not "ยินยอม").
    const allowed = (o: Option) => !negated || isNegated(o.label, negation);
    if (s.strict) {
      // Consent, erasure: the button, or the option's exact words; anything else is asked again.
      const exact = (await this.options(ctx, state, s)).find((o) => allowed(o) && isPhrase(raw, [o.label], this.opts.loaded.answers.politeEndings));
      if (exact) return this.pick(ctx, flow, state, s, exact);
      return this.retry(ctx, flow, state, s, 'common:flow.tapToAnswer');
    }
    const sc = this.sourceContext(ctx, state);
    let match: { exact?: Option; suggestions: Option[] };
    const source = s.source ? this.opts.registry.sources.get(s.source)! : undefined;
    if (source?.match) match = await source.match(raw, sc);
    else match = looseMatch(raw, await this.options(ctx, state, s), this.opts.loaded.answers.politeEndings);
    if (match.exact && !allowed(match.exact)) match = { suggestions: [match.exact, ...match.suggestions] };
    match = { exact: match.exact, suggestions: match.suggestions.filter(allowed) };
    if (match.exact) return this.pick(ctx, flow, state, s, match.exact);
    if (match.suggestions.length) {
      state.retries++;
      state.turn++;
      const suggestions = match.suggestions.slice(0, QUICK_REPLY_MAX - 2);
      ctx.say(ctx.t('common:flow.didYouMean'), [
        ...suggestions.map((o) => ({ label: clip(o.label), data: this.data(flow, state, { v: o.value }) })),
        ...this.nav(ctx, state, 2),
      ]);
      return;
    }
    return this.retry(ctx, flow, state, s, 'common:flow.noMatch');
  }

  private async pick(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'choice' }>, option: Option): Promise<void> {
    const value = option.data ?? option.value;
    if (!s.multiple) return this.answer(ctx, flow, state, s, value);
    if (s.options?.find((o) => String(o.value) === option.value)?.exclusive) return this.answer(ctx, flow, state, s, [value]);
    const picks = this.picks(state, s);
    const key = JSON.stringify(value);
    const exclusive = new Set((s.options ?? []).filter((o) => o.exclusive).map((o) => JSON.stringify(o.value)));
    const kept = picks.filter((p) => !exclusive.has(JSON.stringify(p)));
    const next = kept.some((p) => JSON.stringify(p) === key) ? kept.filter((p) => JSON.stringify(p) !== key) : [...kept, value];
    setPath(state.answers, s.field, next);
    state.turn++;
    return this.prompt(ctx, flow, state, s);
  }

  private picks(state: FlowState, s: { field: string }): unknown[] {
    const v = getPath(state.answers, s.field);
    return Array.isArray(v) ? v : [];
  }

  private async acceptDate(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'date' }>, value: string): Promise<void> {
    const day = value.slice(0, 10);
    const today = bangkokToday(ctx.services.now());
    if ((s.min && day < shiftDate(today, s.min)) || (s.max && day > shiftDate(today, s.max))) {
      return this.retry(ctx, flow, state, s, 'common:flow.dateOutOfRange');
    }
    return this.answer(ctx, flow, state, s, value);
  }

  private async onLocation(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'location' }>, input: Extract<Input, { kind: 'location' }>): Promise<void> {
    const value = { latitude: input.latitude, longitude: input.longitude, ...(input.address ? { address: input.address } : {}) };
    setPath(state.answers, s.field, value);
    if (s.action) {
      const r = await this.runAction(ctx, flow, state, s.action, {});
      if (r?.goto) {
        if (state.history.at(-1) !== state.step) state.history.push(state.step);
        return this.enter(ctx, flow, state, r.goto);
      }
    }
    return this.answer(ctx, flow, state, s, value);
  }

  /** A location shared where a list was offered (e.g. province): resolve it, then go on. */
  private async onChoiceLocation(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'choice' }>, input: Extract<Input, { kind: 'location' }>): Promise<void> {
    const al = s.acceptLocation!;
    setPath(state.answers, al.field, { latitude: input.latitude, longitude: input.longitude, ...(input.address ? { address: input.address } : {}) });
    const r = await this.runAction(ctx, flow, state, al.action, {});
    if (state.history.at(-1) !== state.step) state.history.push(state.step);
    return this.enter(ctx, flow, state, r?.goto ?? resolveNext(al.next, state.answers) ?? '');
  }

  private async onTask(ctx: BotContext, flow: FlowDef, state: FlowState, s: Interactive, choice: 'done' | 'help' | 'later' | 'skip'): Promise<void> {
    if (s.type !== 'task') return this.reprompt(ctx, flow, state);
    if (choice === 'skip') {
      // After asking for help: go on with the next steps; this one stays "not done" and is
      // offered again the next time the journey is opened.
      if (state.history.at(-1) !== state.step) state.history.push(state.step);
      return this.enter(ctx, flow, state, resolveNext(s.next, state.answers) ?? '');
    }
    await this.opts.progress.mark(ctx.userId, flow.id, state.step, choice, ctx.services.now());
    if (choice === 'done') {
      if (state.history.at(-1) !== state.step) state.history.push(state.step);
      return this.enter(ctx, flow, state, resolveNext(s.next, state.answers) ?? '');
    }
    if (choice === 'help') {
      await this.opts.onOfficer(ctx, state, flow);
      state.turn++;
      ctx.offer([
        { label: ctx.t('common:task.skip'), data: this.data(flow, state, { x: 'task', v: 'skip' }) },
        { label: ctx.t('common:task.done'), data: this.data(flow, state, { x: 'task', v: 'done' }) },
        { label: ctx.t('common:task.later'), data: this.data(flow, state, { x: 'task', v: 'later' }) },
        { label: ctx.t('common:nav.menu'), data: encodeData({ cmd: 'menu' }) },
      ]);
      return;
    }
    // Later: keep the place; the user picks it up from the menu.
    this.pauseActive(ctx);
    ctx.say(ctx.t('common:flow.later', { flow: ctx.t(flow.title) }), this.menuChoices(ctx));
  }

  private async retry(ctx: BotContext, flow: FlowDef, state: FlowState, s: Interactive, errorKey: string, params?: Record<string, unknown>, suggestions?: string[]): Promise<void> {
    state.retries++;
    const hint = suggestions?.length ? `\n${suggestions.join(', ')}` : '';
    ctx.say(ctx.t(errorKey, params) + hint);
    if (state.retries >= MAX_RETRIES_BEFORE_HELP) {
      state.turn++;
      ctx.say(ctx.t('common:flow.stuck'), [
        { label: ctx.t('common:nav.officer'), data: encodeData({ cmd: 'officer' }) },
        { label: ctx.t('common:nav.continue'), data: encodeData({ cmd: 'continue' }) },
        { label: ctx.t('common:nav.help'), data: encodeData({ cmd: 'help' }) },
        { label: ctx.t('common:nav.cancel'), data: encodeData({ cmd: 'cancel' }) },
      ]);
      state.retries = 0;
      return;
    }
    state.turn++;
    await this.prompt(ctx, flow, state, s);
  }

  // ---------------------------------------------------------------------------------------------
  // Prompts

  private async prompt(ctx: BotContext, flow: FlowDef, state: FlowState, s: Interactive): Promise<void> {
    const p = this.params(ctx, state);
    switch (s.type) {
      case 'text': {
        const extra: Choice[] = [];
        const items = s.list ? ((getPath(state.answers, s.field) as string[] | undefined) ?? []) : [];
        const then = items.length ? this.offeredNext(flow, s) : undefined;
        if (then) {
          // The next question's answers finish the list: "add more, or answer the next one".
          for (const o of then.options ?? []) extra.push({ label: clip(ctx.t(o.label)), data: this.data(flow, state, { x: 'next', v: String(o.value) }) });
          const body = `${ctx.t('common:flow.listSoFarThen', { items: items.join(', ') })}\n\n${ctx.t(then.prompt, p)}`;
          ctx.say(body, [...extra, ...this.nav(ctx, state, QUICK_REPLY_MAX - extra.length)]);
          return;
        }
        if (items.length) extra.push({ label: ctx.t('common:nav.done'), data: this.data(flow, state, { x: 'done' }) });
        if (s.optional) extra.push({ label: ctx.t('common:nav.skip'), data: this.data(flow, state, { x: 'skip' }) });
        const body = items.length ? `${ctx.t(s.prompt, p)}\n\n${ctx.t('common:flow.listSoFar', { items: items.join(', ') })}` : ctx.t(s.prompt, p);
        ctx.say(body, [...extra, ...this.nav(ctx, state, QUICK_REPLY_MAX - extra.length)]);
        return;
      }
      case 'choice':
        return this.promptChoice(ctx, flow, state, s);
      case 'summary': {
        const rows: SummaryRow[] = s.fields.filter((f) => !f.when || matches(f.when, state.answers)).map((f) => ({
          label: ctx.t(f.label),
          value: this.display(ctx, flow, state, f.field),
          edit: f.edit ? { label: ctx.t('common:nav.edit'), data: this.data(flow, state, { x: 'edit', s: f.edit }) } : undefined,
        }));
        const confirm = { label: ctx.t('common:nav.confirm'), data: this.data(flow, state, { x: 'confirm' }) };
        ctx.reply(summaryMessage(ctx.t(s.prompt, p), rows, confirm, ctx.t('common:nav.edit')));
        ctx.offer([confirm, { label: ctx.t('common:nav.cancel'), data: encodeData({ cmd: 'cancel' }) }, { label: ctx.t('common:nav.help'), data: encodeData({ cmd: 'help' }) }]);
        return;
      }
      case 'date': {
        const today = bangkokToday(ctx.services.now());
        const picker: Choice = {
          kind: 'datetime',
          label: ctx.t('common:nav.pickDate'),
          data: this.data(flow, state, {}),
          mode: s.mode,
          ...(s.mode === 'date' && s.min ? { min: shiftDate(today, s.min) } : {}),
          ...(s.mode === 'date' && s.max ? { max: shiftDate(today, s.max) } : {}),
        };
        const extra: Choice[] = [picker];
        if (s.optional) extra.push({ label: ctx.t('common:nav.skip'), data: this.data(flow, state, { x: 'skip' }) });
        ctx.say(ctx.t(s.prompt, p), [...extra, ...this.nav(ctx, state, QUICK_REPLY_MAX - extra.length)]);
        return;
      }
      case 'location': {
        const extra: Choice[] = [{ kind: 'location', label: ctx.t('common:nav.sendLocation') }];
        if (s.optional) extra.push({ label: ctx.t('common:nav.skip'), data: this.data(flow, state, { x: 'skip' }) });
        ctx.say(ctx.t(s.prompt, p), [...extra, ...this.nav(ctx, state, QUICK_REPLY_MAX - extra.length)]);
        return;
      }
      case 'task': {
        const progress = await this.opts.progress.get(ctx.userId, flow.id);
        const taskSteps = Object.entries(flow.steps).filter(([, st]) => st.type === 'task').map(([id]) => id);
        const position = taskSteps.indexOf(state.step) + 1;
        const done = taskSteps.filter((id) => progress.steps[id]?.status === 'done').length;
        const answers: Choice[] = [
          { label: ctx.t('common:task.done'), data: this.data(flow, state, { x: 'task', v: 'done' }) },
          { label: ctx.t('common:task.help'), data: this.data(flow, state, { x: 'task', v: 'help' }) },
          { label: ctx.t('common:task.later'), data: this.data(flow, state, { x: 'task', v: 'later' }) },
        ];
        const header = ctx.t('common:task.position', { n: position, total: taskSteps.length, done });
        ctx.reply(cardMessage(s.card, (k, pp) => ctx.t(k, pp), answers, header));
        // "Get help" is already one of the answers: no second help button among the way-outs.
        ctx.offer([...answers, ...this.nav(ctx, state, QUICK_REPLY_MAX - answers.length).filter((c) => !c.data?.includes('cmd=help'))]);
        return;
      }
    }
  }

  private async promptChoice(ctx: BotContext, flow: FlowDef, state: FlowState, s: Extract<StepDef, { type: 'choice' }>): Promise<void> {
    const all = await this.options(ctx, state, s);
    const picks = s.multiple ? this.picks(state, s).map((p) => JSON.stringify(p)) : [];
    const isPicked = (o: Option) => picks.includes(JSON.stringify(o.data ?? o.value));
    const extra: Choice[] = [];
    if (s.multiple && picks.length) extra.push({ label: ctx.t('common:nav.done'), data: this.data(flow, state, { x: 'done' }) });
    if (s.optional) extra.push({ label: ctx.t('common:nav.skip'), data: this.data(flow, state, { x: 'skip' }) });
    if (s.acceptLocation) extra.push({ kind: 'location', label: ctx.t(s.acceptLocation.label) });

    let shown = all;
    const paging: Choice[] = [];
    const room = QUICK_REPLY_MAX - extra.length - 1; // keep one for "back"
    if (all.length > room) {
      // Long lists: a page at a time, and typing a name always works (tolerant matching).
      const pages = Math.ceil(all.length / PAGE_SIZE);
      const page = Math.min(state.page ?? 0, pages - 1);
      shown = all.slice(page * PAGE_SIZE, page * PAGE_SIZE + PAGE_SIZE);
      if (page + 1 < pages) paging.push({ label: ctx.t('common:nav.more'), data: this.data(flow, state, { x: 'page', p: page + 1 }) });
      if (page > 0) paging.push({ label: ctx.t('common:nav.previous'), data: this.data(flow, state, { x: 'page', p: page - 1 }) });
    }
    const choices: Choice[] = [
      ...extra,
      ...shown.map((o) => ({ label: clip((isPicked(o) ? '✓ ' : '') + o.label), data: this.data(flow, state, { v: o.value }) })),
      ...paging,
    ];
    const longList = all.length > room;
    let body = ctx.t(s.prompt, this.params(ctx, state));
    if (longList) body += `\n${ctx.t('common:flow.typeToSearch')}`;
    if (s.multiple && picks.length) {
      const labels = all.filter(isPicked).map((o) => o.label);
      body += `\n\n${ctx.t('common:flow.picked', { items: labels.join(', ') })}`;
    }
    ctx.say(body, [...choices, ...this.nav(ctx, state, QUICK_REPLY_MAX - choices.length)]);
  }

  /** The choice step a list hands over to (offerNext), if this step has one. */
  private offeredNext(flow: FlowDef, s: Interactive): Extract<StepDef, { type: 'choice' }> | undefined {
    if (s.type !== 'text' || !s.list || !s.offerNext || typeof s.next !== 'string') return undefined;
    const next = stepOf(flow, s.next);
    return next?.type === 'choice' && next.options && !next.multiple ? next : undefined;
  }

  /** Way-out buttons: back (when there is somewhere to go), help, cancel — as many as fit. */
  private nav(ctx: BotContext, state: FlowState, room: number): Choice[] {
    const nav: Choice[] = [];
    if (state.history.length) nav.push({ label: ctx.t('common:nav.back'), data: encodeData({ cmd: 'back' }) });
    nav.push({ label: ctx.t('common:nav.help'), data: encodeData({ cmd: 'help' }) });
    nav.push({ label: ctx.t('common:nav.cancel'), data: encodeData({ cmd: 'cancel' }) });
    return nav.slice(0, Math.max(0, room));
  }

  private async options(ctx: BotContext, state: FlowState, s: Extract<StepDef, { type: 'choice' }>): Promise<Option[]> {
    if (s.options) return s.options.map((o) => ({ value: String(o.value), label: ctx.t(o.label), data: o.value }));
    return this.opts.registry.sources.get(s.source!)!.list(this.sourceContext(ctx, state));
  }

  private async resolveOption(ctx: BotContext, state: FlowState, s: Extract<StepDef, { type: 'choice' }>, value: string): Promise<Option | undefined> {
    const source = s.source ? this.opts.registry.sources.get(s.source) : undefined;
    if (source?.resolve) return source.resolve(value, this.sourceContext(ctx, state));
    return (await this.options(ctx, state, s)).find((o) => o.value === value);
  }

  private sourceContext(ctx: BotContext, state: FlowState): SourceContext {
    return { lang: ctx.lang, answers: state.answers, t: (k, p) => ctx.t(k, p) };
  }

  /** How an answer reads in a summary, in the user's language. */
  private display(ctx: BotContext, flow: FlowDef, state: FlowState, field: string): string {
    if (state.display[field]) return state.display[field]!;
    const value = getPath(state.answers, field);
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) return ctx.t('common:summary.empty');
    const owner = Object.values(flow.steps).find((st) => 'field' in st && st.field === field);
    const label = (v: unknown): string => {
      if (owner?.type === 'choice' && owner.options) {
        const o = owner.options.find((op) => op.value === v);
        if (o) return ctx.t(o.label);
      }
      if (typeof v === 'boolean') return ctx.t(v ? 'common:summary.yes' : 'common:summary.no');
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        const named = ctx.lang === 'en' ? (o.nameEn ?? o.nameTh) : (o.nameTh ?? o.nameEn);
        if (named) return o.postcode ? `${String(named)} ${String(o.postcode)}` : String(named);
        if (o.label) return String(o.label);
        if (o.display) return String(o.display);
        if ('latitude' in o) return `${Number(o.latitude).toFixed(5)}, ${Number(o.longitude).toFixed(5)}`;
        return Object.values(o).filter((x) => typeof x !== 'object').join(' ');
      }
      return String(v);
    };
    return Array.isArray(value) ? value.map(label).join(', ') : label(value);
  }

  /** Interpolation values for prompts: the answers so far (display form where there is one). */
  private params(ctx: BotContext, state: FlowState): Record<string, unknown> {
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state.answers)) if (typeof v !== 'object') flat[k] = v;
    return { ...flat, ...state.display, ...((ctx.session.data.vars as Record<string, unknown>) ?? {}) };
  }

  /** A button's postback data; recorded as issued for the current turn (see isIssued). */
  private data(flow: FlowDef, state: FlowState, extra: Record<string, string | number | undefined>): string {
    const data = encodeData({ f: flow.id, t: state.turn, ...extra });
    if (state.issuedTurn !== state.turn || !state.issued) {
      state.issued = [];
      state.issuedTurn = state.turn;
    }
    if (!state.issued.includes(data)) state.issued.push(data);
    return data;
  }

  private async runAction(ctx: BotContext, flow: FlowDef, state: FlowState, name: string, params: Record<string, unknown>) {
    const action = this.opts.registry.actions.get(name);
    if (!action) throw new Error(`action ${name} is not registered`);
    return action({ ctx, flow, state, answers: state.answers, params });
  }

  private isYes(raw: string): boolean {
    return this.answerIs(raw, this.opts.loaded.answers.confirm);
  }

  private isDone(raw: string): boolean {
    return this.answerIs(raw, this.opts.loaded.answers.done);
  }

  /** The whole message is one of `words`, ignoring spacing, punctuation and a polite ending. */
  private answerIs(raw: string, words: string[]): boolean {
    let c = compactForMatch(raw);
    for (const ending of this.opts.loaded.answers.politeEndings) {
      const e = compactForMatch(ending);
      if (c.length > e.length && c.endsWith(e)) {
        c = c.slice(0, -e.length);
        break;
      }
    }
    return words.some((w) => compactForMatch(w) === c);
  }
}

// -----------------------------------------------------------------------------------------------

/** Longest typed input any step reads (UTF-16 units, cut between graphemes): a product list of 20 × 80 and its commas. */
export const MAX_INPUT_LENGTH = 2_000;

/** How much of a typed answer a step can use: lists take many items; other answers are short. */
function stepInputLimit(s: { type: string; validator?: unknown }): number {
  const v = s.validator as { name?: string; max?: number; maxItems?: number; maxLength?: number } | string | undefined;
  const name = typeof v === 'string' ? v : v?.name;
  if (name === 'itemList') {
    const o = typeof v === 'object' ? v : {};
    return Math.min(MAX_INPUT_LENGTH, (o.maxItems ?? 20) * ((o.maxLength ?? 80) + 2));
  }
  if (s.type === 'date') return 60;
  return 400;
}

function readInput(event: webhook.Event): Input | undefined {
  if (event.type === 'postback') {
    return { kind: 'postback', raw: event.postback.data, data: decodeData(event.postback.data), params: event.postback.params as Record<string, string> | undefined };
  }
  if (event.type !== 'message') return undefined;
  const m = event.message;
  if (m.type === 'text') return { kind: 'text', text: truncateGraphemes(typeof m.text === 'string' ? m.text : '', MAX_INPUT_LENGTH) };
  if (m.type === 'location') return { kind: 'location', latitude: m.latitude, longitude: m.longitude, address: m.address, title: m.title };
  return { kind: 'other' };
}

export function resolveNext(t: Transition | undefined, answers: Record<string, unknown>): string | undefined {
  if (!t) return undefined;
  if (typeof t === 'string') return t;
  return t.find((r) => !r.when || matches(r.when, answers))?.goto;
}

function matches(cond: Condition, answers: Record<string, unknown>): boolean {
  return Object.entries(cond).every(([field, want]) => {
    const have = getPath(answers, field);
    if (want !== null && typeof want === 'object') {
      if ('in' in want) return want.in.some((w) => w === have || (Array.isArray(have) && have.includes(w)));
      if ('ne' in want) return have !== want.ne;
      if ('exists' in want) return (have !== undefined && have !== null) === want.exists;
    }
    return have === want || (Array.isArray(have) && have.includes(want));
  });
}

/**
 * Typed text against a short option list: the exact words (ignoring spaces, case, a polite
 * ending) select; anything merely close is only suggested ("did you mean …?"), never picked.
 */
function looseMatch(raw: string, options: Option[], politeEndings: string[]): { exact?: Option; suggestions: Option[] } {
  const input = compactForMatch(raw);
  if (!input) return { suggestions: [] };
  const exact = options.find((o) => isPhrase(raw, [o.label, o.value], politeEndings));
  if (exact) return { exact, suggestions: [] };
  const scored = options
    .map((o) => {
      const label = compactForMatch(o.label);
      const score = label.includes(input) || input.includes(label) ? 0.9 : similarity(label, input);
      return { o, score };
    })
    .sort((a, b) => b.score - a.score);
  return { suggestions: scored.filter((s) => s.score >= 0.5).slice(0, 5).map((s) => s.o) };
}

function clip(label: string): string {
  return truncateGraphemes(label, 20);
}

/** today (yyyy-mm-dd) shifted by "+1y" / "-100y" / "0d" / "+6m". */
function shiftDate(today: string, rel: string): string {
  const m = /^([+-]?\d+)([dmy])$/.exec(rel)!;
  const n = Number(m[1]);
  const d = new Date(`${today}T00:00:00Z`);
  if (m[2] === 'd') d.setUTCDate(d.getUTCDate() + n);
  if (m[2] === 'm') d.setUTCMonth(d.getUTCMonth() + n);
  if (m[2] === 'y') d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.toISOString().slice(0, 10);
}

export type { Validated };
