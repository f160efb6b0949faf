import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BotContext, type BotServices } from '../../src/bot/context.js';
import { encodeData } from '../../src/bot/messages.js';
import { Sealer } from '../../src/core/crypto.js';
import { createTranslator, readLocales, type Translator } from '../../src/core/i18n.js';
import { projectRoot } from '../../src/core/paths.js';
import { FlowEngine } from '../../src/flows/engine.js';
import { FlowLoadError, loadFlows } from '../../src/flows/loader.js';
import type { ProgressStore } from '../../src/flows/progress.js';
import { FlowRegistry, type ActionResult } from '../../src/flows/registry.js';
import type { Session } from '../../src/sessions/session-store.js';
import { ev } from '../support/events.js';

/**
 * Two small engine features used by the marketplace checklists:
 * - a flow's `onResume` action runs when the user continues a journey they left;
 * - an info step's `choices` with `goto` move to that step (only its own targets, only from its latest prompt).
 */
const flowYaml = (withResume: boolean) => `
id: sample
version: 1
title: registration:title
${withResume ? 'onResume: test.resume\n' : ''}start: intro
steps:
  intro:
    type: info
    messages: [registration:done]
    choices:
      - { label: registration:consent.accept, goto: name }
  name:
    type: text
    prompt: registration:ask.fullName
    field: fullName
    next: finish
  phone:
    type: text
    prompt: registration:ask.phone
    field: phone
    next: finish
  finish:
    type: info
    messages: [registration:done]
    end: true
`;

function folderWith(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flows-'));
  cpSync(join(projectRoot, 'flows', '_commands.yaml'), join(dir, '_commands.yaml'));
  cpSync(join(projectRoot, 'flows', '_conversation.yaml'), join(dir, '_conversation.yaml'));
  writeFileSync(join(dir, 'sample.yaml'), yaml);
  return dir;
}

const resources = readLocales(join(projectRoot, 'locales'));
let translator: Translator;
beforeAll(async () => {
  translator = await createTranslator(join(projectRoot, 'locales'));
});

/** An engine over the sample flow; `resume` decides what the onResume action returns. */
function harness(resume: () => ActionResult) {
  const registry = new FlowRegistry().action('test.resume', ({ ctx }) => {
    ctx.say('OVERVIEW');
    return resume();
  });
  const progress = { get: async () => ({ steps: {} }), mark: async () => undefined } as unknown as ProgressStore;
  const engine = new FlowEngine({
    loaded: loadFlows(folderWith(flowYaml(true)), registry, resources),
    registry,
    sealer: new Sealer(Buffer.alloc(32, 1).toString('base64')),
    progress,
    onOfficer: async () => undefined,
  });
  const now = new Date();
  const session: Session = { id: 'Utest', lang: 'th', langChosen: true, reachable: true, flow: null, paused: {}, data: {}, createdAt: now, updatedAt: now, rev: 0, isNew: true, applied: [], pending: [], inboxCount: 0, skipped: [], lastEventAt: now };
  const services = { translator, now: () => new Date() } as unknown as BotServices;
  /** Runs one postback through the engine; returns the texts it queued. */
  const tap = async (data: Record<string, string | number | undefined>): Promise<string[]> => {
    const ctx = new BotContext(ev.postback('Utest', encodeData(data)), 'Utest', session, services, new Date());
    await engine.middleware()(ctx, async () => undefined);
    return ctx.outbox.map((m) => (m as { text?: string }).text ?? '');
  };
  return { tap, session };
}

const askName = () => translator.t('th', 'registration:ask.fullName');
const askPhone = () => translator.t('th', 'registration:ask.phone');
const intro = () => translator.t('th', 'registration:done');

describe('an info step with goto buttons', () => {
  it('when its button is tapped, then the journey moves to that step', async () => {
    const { tap, session } = harness(() => undefined);
    expect(await tap({ cmd: 'start', flow: 'sample' })).toEqual([intro()]);
    const turn = session.flow!.turn;
    expect(await tap({ f: 'sample', t: turn, x: 'go', s: 'name' })).toEqual([askName()]);
    expect(session.flow!.step).toBe('name');
  });

  it('when a forged button names a step the info does not offer, or an old button is tapped, then the info is shown again', async () => {
    const { tap, session } = harness(() => undefined);
    await tap({ cmd: 'start', flow: 'sample' });
    const turn = session.flow!.turn;
    expect(await tap({ f: 'sample', t: turn, x: 'go', s: 'phone' })).toEqual([intro()]);
    expect(session.flow!.step).toBe('intro');
    expect(await tap({ f: 'sample', t: turn - 1, x: 'go', s: 'name' })).toEqual([intro()]);
    expect(session.flow!.step).toBe('intro');
  });
});

describe('onResume', () => {
  it('when a user continues a journey they left, then the onResume action runs before the step they were on is asked again', async () => {
    const { tap, session } = harness(() => undefined);
    await tap({ cmd: 'start', flow: 'sample' });
    await tap({ f: 'sample', t: session.flow!.turn, x: 'go', s: 'name' });
    await tap({ cmd: 'menu' });
    expect(session.paused.sample).toBeDefined();
    const texts = await tap({ cmd: 'resume', flow: 'sample' });
    expect(texts[0]).toContain(translator.t('th', 'common:flow.resumed', { flow: translator.t('th', 'registration:title') }).slice(0, 10));
    expect(texts.slice(1)).toEqual(['OVERVIEW', askName()]);
  });

  it('when the onResume action returns goto, then the journey continues there', async () => {
    const { tap, session } = harness(() => ({ goto: 'phone' }));
    await tap({ cmd: 'start', flow: 'sample' });
    await tap({ f: 'sample', t: session.flow!.turn, x: 'go', s: 'name' });
    await tap({ cmd: 'menu' });
    expect((await tap({ cmd: 'resume', flow: 'sample' })).slice(1)).toEqual(['OVERVIEW', askPhone()]);
    expect(session.flow!.step).toBe('phone');
  });

  it('when a flow names an onResume action that is not registered, then loading fails naming it', () => {
    try {
      loadFlows(folderWith(flowYaml(true)), new FlowRegistry(), resources);
      expect.unreachable('the flow should not load');
    } catch (err) {
      expect(err).toBeInstanceOf(FlowLoadError);
      expect((err as FlowLoadError).problems.join('\n')).toContain('flows/sample.yaml: onResume: action "test.resume" is not registered');
    }
  });
});
