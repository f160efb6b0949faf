import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenKeys, readLocales, resolveLang } from '../../src/core/i18n.js';
import { projectRoot } from '../../src/core/paths.js';

describe('locales', () => {
  const resources = readLocales(join(projectRoot, 'locales'));

  it('when a key exists in Thai, then it exists in English, and the other way round', () => {
    const th = flattenKeys(resources, 'th');
    const en = flattenKeys(resources, 'en');
    expect(th.size).toBeGreaterThan(0);
    expect([...th].filter((k) => !en.has(k))).toEqual([]);
    expect([...en].filter((k) => !th.has(k))).toEqual([]);
  });

  it('when a translation uses {{placeholders}}, then both languages use the same ones', () => {
    const get = (lang: string, key: string) => {
      const [ns, path] = key.split(':') as [string, string];
      const at = (p: string) => p.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], resources[lang]?.[ns]);
      return at(path) ?? at(`${path}_other`);
    };
    const vars = (s: unknown) => [...String(s).matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();
    const mismatched = [...flattenKeys(resources, 'th')].filter((k) => JSON.stringify(vars(get('th', k))) !== JSON.stringify(vars(get('en', k))));
    expect(mismatched).toEqual([]);
  });

  it('when no string is empty, then users never see a blank message', () => {
    for (const lang of ['th', 'en']) {
      const empty = [...flattenKeys(resources, lang)].filter((k) => {
        const [ns, path] = k.split(':') as [string, string];
        const at = (q: string) => q.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)?.[p], resources[lang]?.[ns]);
        const v = at(path) ?? at(`${path}_other`);
        return typeof v !== 'string' || v.trim() === '';
      });
      expect(empty, lang).toEqual([]);
    }
  });

  it('when a count is shown in English, then the plural form fits it (i18next plurals); Thai has one form', async () => {
    const { createTranslator } = await import('../../src/core/i18n.js');
    const t = await createTranslator(join(projectRoot, 'locales'));
    expect(t.t('en', 'training:seats.left', { count: 1, capacity: 20 })).toBe('1 of 20 seats left');
    expect(t.t('en', 'training:seats.left', { count: 5, capacity: 20 })).toBe('5 of 20 seats left');
    expect(t.t('en', 'training:list.altText', { count: 1, titles: 'A' })).toBe('1 training open for sign-up: A');
    expect(t.t('en', 'training:list.altText', { count: 3, titles: 'A' })).toBe('3 trainings open for sign-up: A');
    expect(t.t('th', 'training:seats.left', { count: 1, capacity: 20 })).toContain('1');
    expect(t.t('th', 'training:seats.left', { count: 1, capacity: 20 })).not.toContain('seats.left');
  });

  it('when LINE reports a language, then we use it if we have it, else Thai', () => {
    expect(resolveLang('en')).toBe('en');
    expect(resolveLang('en-US')).toBe('en');
    expect(resolveLang('th')).toBe('th');
    expect(resolveLang('ja')).toBe('th');
    expect(resolveLang(undefined)).toBe('th');
  });
});
