import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type i18n as I18n, type TFunction } from 'i18next';

export const LANGUAGES = ['th', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'th';

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Reads locales/<lang>/<namespace>.json for every language we ship. */
export function readLocales(dir: string): Resources {
  const resources: Resources = {};
  for (const lang of LANGUAGES) {
    const langDir = join(dir, lang);
    resources[lang] = {};
    if (!existsSync(langDir)) continue;
    for (const file of readdirSync(langDir).filter((f) => f.endsWith('.json')).sort()) {
      const ns = file.slice(0, -'.json'.length);
      try {
        resources[lang]![ns] = JSON.parse(readFileSync(join(langDir, file), 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`locales/${lang}/${file}: ${(err as Error).message}`);
      }
    }
  }
  return resources;
}

/** Flattens a namespace's nested keys into `ns:a.b.c` strings (for parity and flow checks). */
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

/** Every key of a language as "namespace:path" (plural forms counted once, without their suffix). */
export function flattenKeys(resources: Resources, lang: string): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, prefix: string) => {
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix.endsWith(':') ? `${prefix}${k}` : `${prefix}.${k}`);
    } else {
      // Plural forms ("left_one", "left_other") are one key for callers: languages have different
      // forms (Thai only "other"), so they are compared and looked up without the suffix.
      out.add(prefix.replace(PLURAL_SUFFIX, ''));
    }
  };
  for (const [ns, tree] of Object.entries(resources[lang] ?? {})) walk(tree, `${ns}:`);
  return out;
}

export interface Translator {
  t(lang: Lang, key: string, params?: Record<string, unknown>): string;
  has(key: string, lang?: Lang): boolean;
  readonly i18n: I18n;
}

export async function createTranslator(localesDir: string): Promise<Translator> {
  const resources = readLocales(localesDir);
  const instance = i18next.createInstance();
  await instance.init({
    resources,
    lng: DEFAULT_LANG,
    fallbackLng: DEFAULT_LANG,
    supportedLngs: [...LANGUAGES],
    ns: Object.keys(resources[DEFAULT_LANG] ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
    showSupportNotice: false,
  });
  const fixed = new Map<Lang, TFunction>(LANGUAGES.map((l) => [l, instance.getFixedT(l)]));
  return {
    i18n: instance,
    t: (lang, key, params) => fixed.get(lang)!(key, params as never) as unknown as string,
    has: (key, lang = DEFAULT_LANG) => instance.exists(key, { lng: lang, fallbackLng: false as never }),
  };
}

/** Maps a LINE profile language ('th', 'en', 'en-US', 'ja', …) to one we ship; Thai otherwise. */
export function resolveLang(lineLanguage?: string | null): Lang {
  const base = (lineLanguage ?? '').toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(base ?? '') ? (base as Lang) : DEFAULT_LANG;
}
