import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/crypto.js';
import { readLocales } from '../../src/core/i18n.js';
import { projectRoot } from '../../src/core/paths.js';
import { buildRegistry } from '../../src/features/registry.js';
import { FlowLoadError, loadFlows } from '../../src/flows/loader.js';

// The registry only needs its names here; nothing touches the database.
const registry = buildRegistry({ models: {} as never, producers: {} as never, sealer: new Sealer(Buffer.alloc(32).toString('base64')) });
const resources = readLocales(join(projectRoot, 'locales'));

/** A flows folder holding the shipped _commands.yaml and one test flow. */
function folderWith(file: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flows-'));
  cpSync(join(projectRoot, 'flows', '_commands.yaml'), join(dir, '_commands.yaml'));
  cpSync(join(projectRoot, 'flows', '_conversation.yaml'), join(dir, '_conversation.yaml'));
  writeFileSync(join(dir, file), yaml);
  return dir;
}

const good = `
id: sample
version: 1
title: registration:title
start: name
steps:
  name:
    type: text
    prompt: registration:ask.fullName
    field: fullName
    validator: fullName
    next: done
  done:
    type: info
    messages: [registration:done]
    end: true
`;

const problemsOf = (file: string, yaml: string): string[] => {
  try {
    loadFlows(folderWith(file, yaml), registry, resources);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowLoadError);
    return (err as FlowLoadError).problems;
  }
  return [];
};

describe('loading flow files', () => {
  it('when every shipped flow is loaded, then all pass validation', () => {
    const { flows, commands } = loadFlows(join(projectRoot, 'flows'), registry, resources);
    expect(flows.has('registration')).toBe(true);
    expect(commands.cancel).toContain('ยกเลิก');
  });

  it('when a flow is correct, then it loads', () => {
    expect(problemsOf('sample.yaml', good)).toEqual([]);
  });

  it.each([
    ['an unknown step type', good.replace('type: text', 'type: essay'), /flows\/sample\.yaml: step "name": .*/],
    ['a dangling transition', good.replace('next: done', 'next: nowhere'), /flows\/sample\.yaml: step "name": goes to step "nowhere", which does not exist/],
    ['a missing locale key', good.replace('registration:ask.fullName', 'registration:ask.nope'), /flows\/sample\.yaml: step "name": locale key "registration:ask.nope" is missing in locales\/th/],
    ['an unregistered validator', good.replace('validator: fullName', 'validator: shoeSize'), /step "name": validator "shoeSize" is not registered/],
    ['a start step that does not exist', good.replace('start: name', 'start: intro'), /flows\/sample\.yaml: start: step "intro" does not exist/],
    ['an id that does not match the file name', good.replace('id: sample', 'id: other'), /id "other" should match the file name "sample"/],
    ['a step with a misspelt property', good.replace('field: fullName', 'feild: fullName'), /step "name": /],
    ['broken YAML', good.replace('steps:', 'steps: [oops'), /flows\/sample\.yaml: not valid YAML/],
  ])('when a flow has %s, then start-up fails naming file, step and problem', (_what, yaml, message) => {
    const problems = problemsOf('sample.yaml', yaml);
    expect(problems.join('\n')).toMatch(message);
  });

  it('when a quick-reply label is over 20 characters, then it is refused with the text and the limit', () => {
    const yaml = good.replace(
      `  done:\n    type: info`,
      `  pick:\n    type: choice\n    prompt: registration:ask.category\n    field: c\n    options:\n      - { value: a, label: registration:pdpa.notice }\n    next: done\n  done:\n    type: info`,
    );
    expect(problemsOf('sample.yaml', yaml).join('\n')).toMatch(/step "pick": quick reply label "[\s\S]*" \(th\) is over LINE's 20-character limit/);
  });

  it('when a choice has more options than quick replies allow, then it is refused', () => {
    const options = Array.from({ length: 13 }, (_, i) => `      - { value: v${i}, label: registration:category.food }`).join('\n');
    const yaml = good.replace(
      `  done:\n    type: info`,
      `  pick:\n    type: choice\n    prompt: registration:ask.category\n    field: c\n    options:\n${options}\n    next: done\n  done:\n    type: info`,
    );
    expect(problemsOf('sample.yaml', yaml).join('\n')).toMatch(/step "pick": 13 options do not fit LINE's 13 quick replies/);
  });

  it('when several things are wrong, then all are reported at once', () => {
    const yaml = good.replace('next: done', 'next: nowhere').replace('validator: fullName', 'validator: shoeSize');
    expect(problemsOf('sample.yaml', yaml).length).toBeGreaterThanOrEqual(2);
  });

});
