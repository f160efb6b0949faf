import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { provinceValidator } from '../../src/domain/thai-address.js';

const root = join(import.meta.dirname, '..', '..');
const sources = [
  'src/domain/validation/national-id.ts',
  'src/domain/validation/phone.ts',
  'src/domain/validation/basic.ts',
  'src/domain/validation/date.ts',
  'src/domain/thai-address.ts',
].map((f) => readFileSync(join(root, f), 'utf8'));

function flatten(node: unknown, prefix = ''): string[] {
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}
const locale = (lang: string): Record<string, string> => {
  const tree = JSON.parse(readFileSync(join(root, 'locales', lang, 'validation.json'), 'utf8')) as unknown;
  const out: Record<string, string> = {};
  for (const key of flatten(tree)) {
    out[key] = key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], tree) as string;
  }
  return out;
};

/** Every error key the validators can return, read from their source. */
function errorKeysInSource(): Set<string> {
  const keys = new Set<string>();
  for (const src of sources) {
    for (const m of src.matchAll(/(?:fail\(|errorKey: |error: )'([a-zA-Z]+\.[a-zA-Z]+)'/g)) keys.add(m[1] ?? '');
    for (const m of src.matchAll(/'(int\.[a-zA-Z]+)'/g)) keys.add(m[1] ?? '');
    if (src.includes('`address.${level}Check`')) {
      for (const level of ['province', 'district', 'subdistrict']) {
        keys.add(`address.${level}Check`);
        keys.add(`address.${level}NotFound`);
      }
    }
  }
  keys.delete('');
  return keys;
}

describe('validation locale files', () => {
  const th = locale('th');
  const en = locale('en');
  it('when both languages are compared, then they have exactly the same keys', () => {
    expect(Object.keys(th).sort()).toEqual(Object.keys(en).sort());
  });
  it('when the validators are read, then every error key they return has a Thai and an English message', () => {
    const used = [...errorKeysInSource()];
    expect(used.length).toBeGreaterThan(40);
    for (const key of used) {
      expect(th[key], `th ${key}`).toBeTruthy();
      expect(en[key], `en ${key}`).toBeTruthy();
    }
  });
  it('when messages use parameters, then both languages use the same ones', () => {
    const params = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(th)) expect(params(th[key] ?? ''), key).toEqual(params(en[key] ?? ''));
  });
  it('when a Thai message is shown, then it is short (one chat bubble line or two)', () => {
    for (const [key, text] of Object.entries(th)) expect([...text].length, key).toBeLessThanOrEqual(120);
  });
});

describe('address validators before the index is loaded', () => {
  it('when the index has not been loaded in this process, then they answer address.notReady', () => {
    expect(provinceValidator('เชียงใหม่', { lang: 'th' })).toEqual({ ok: false, errorKey: 'address.notReady' });
  });
});
