import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Translator } from '../../core/i18n.js';
import { projectRoot } from '../../core/paths.js';
import type { RichMenuApi } from '../../line/rich-menu-api.js';
import { MENUS, OFFICER_TABS, renderSvg, richMenuObject, svgHash, type MenuDef } from './menus.js';

export const RICHMENU_ASSETS = join(projectRoot, 'assets', 'richmenu');

export interface SyncResult {
  created: string[];
  kept: string[];
  deleted: string[];
  defaultId: string;
  linked: number;
}

/** The committed image of a menu; refuses one older than its source (run `npm run richmenu:images`). */
export function menuImage(def: MenuDef, t: Translator): { png: Buffer; hash: string } {
  const svg = renderSvg(def, t);
  const hash = svgHash(svg);
  const recorded = readFileSync(join(RICHMENU_ASSETS, `${def.id}.source-sha256`), 'utf8').trim();
  if (recorded !== hash) throw new Error(`assets/richmenu/${def.id}.png is older than its source: run npm run richmenu:images`);
  return { png: readFileSync(join(RICHMENU_ASSETS, `${def.id}.png`)), hash };
}

/**
 * Brings LINE's rich menus in line with src/features/richmenu/menus.ts, and can run again any time:
 * a menu whose name (id + image hash) is already there is kept, a changed one is created and
 * its image uploaded, old ones of ours are deleted after the switch; the producer menu is every
 * user's default, aliases point at the current menus (tab switching), officers get theirs per user.
 */
export async function syncRichMenus(api: RichMenuApi, t: Translator, officerUserIds: readonly string[]): Promise<SyncResult> {
  const existing = await api.list();
  const result: SyncResult = { created: [], kept: [], deleted: [], defaultId: '', linked: 0 };
  const ids = new Map<string, string>();
  for (const def of MENUS) {
    const { png, hash } = menuImage(def, t);
    // Named by a hash of the image and the whole object: any change makes a new menu.
    const spec = richMenuObject(def, t, svgHash(hash + JSON.stringify(richMenuObject(def, t, ''))));
    const name = String(spec.name);
    const found = existing.find((m) => m.name === name);
    if (found) {
      ids.set(def.id, found.richMenuId);
      result.kept.push(name);
      continue;
    }
    const id = await api.create(spec);
    await api.uploadImage(id, png);
    ids.set(def.id, id);
    result.created.push(name);
  }
  const aliases = new Set((await api.aliases()).map((a) => a.richMenuAliasId));
  for (const def of MENUS) await api.setAlias(def.aliasId, ids.get(def.id) as string, aliases.has(def.aliasId));
  result.defaultId = ids.get('producer') as string;
  await api.setDefault(result.defaultId);
  for (const userId of officerUserIds) {
    await api.linkUser(userId, ids.get('officer') as string);
    result.linked++;
  }
  const current = new Set(ids.values());
  for (const m of existing) {
    if (m.name.startsWith('otop:') && !current.has(m.richMenuId)) {
      await api.delete(m.richMenuId);
      result.deleted.push(m.name);
    }
  }
  return result;
}

/** The officer menu's current id (through its alias), for linking a newly linked officer. */
export async function officerMenuId(api: RichMenuApi): Promise<string | undefined> {
  return api.alias(OFFICER_TABS[0]);
}
