import { createHash } from 'node:crypto';
import type { messagingApi } from '@line/bot-sdk';
import type { Translator } from '../../core/i18n.js';
import { encodeData } from '../../bot/messages.js';

/**
 * The bot's rich menus, as data: the producer menu (every user's default) and the officer menu in
 * two tabs (officer tools | the producer journeys), switched with aliases. The same definition
 * gives LINE's rich-menu object (areas and actions) and the image (renderSvg → PNG by
 * `npm run richmenu:images`), so a tap always lands where the picture shows it.
 */

export const MENU_WIDTH = 2500;
export const MENU_HEIGHT = 1686;
const TAB_HEIGHT = 260;

type Action = messagingApi.Action;

interface Tile {
  /** i18n key of the label (Thai on the image; LINE shows the image, not the label). */
  label: string;
  icon: string;
  action: Action;
}

export interface MenuDef {
  id: 'producer' | 'officer' | 'officer-producer';
  /** Alias used by tab switching (richmenuswitch) and to find the menu again. */
  aliasId: string;
  chatBarKey: string;
  /** Officer menus: the two tabs, the one shown first. */
  tabs?: { active: 0 | 1 };
  tiles: Tile[];
  /** Tiles per row. */
  columns: number;
}

const start = (flow: string): Action => ({ type: 'postback', data: encodeData({ cmd: 'start', flow }), label: flow } as Action);
const ofc = (a: string): Action => ({ type: 'postback', data: encodeData({ cmd: 'ofc', a }), label: a } as Action);

export const OFFICER_TABS: [string, string] = ['otop-officer', 'otop-officer-producer'];

export const MENUS: MenuDef[] = [
  {
    id: 'producer',
    aliasId: 'otop-producer',
    chatBarKey: 'richmenu:chatBar',
    columns: 3,
    tiles: [
      { label: 'richmenu:tiles.menu', icon: '☰', action: { type: 'postback', data: encodeData({ cmd: 'menu' }), label: 'menu' } as Action },
      { label: 'richmenu:tiles.tiktok', icon: '🛍️', action: start('tiktok-shop') },
      { label: 'richmenu:tiles.lazada', icon: '🛒', action: start('lazada') },
      { label: 'richmenu:tiles.register', icon: '📝', action: start('registration') },
      { label: 'richmenu:tiles.training', icon: '🎓', action: start('training') },
      { label: 'richmenu:tiles.officer', icon: '📞', action: { type: 'postback', data: encodeData({ cmd: 'officer' }), label: 'officer' } as Action },
    ],
  },
  {
    id: 'officer',
    aliasId: OFFICER_TABS[0],
    chatBarKey: 'richmenu:chatBarOfficer',
    tabs: { active: 0 },
    columns: 2,
    tiles: [
      { label: 'richmenu:tiles.stats', icon: '📊', action: ofc('stats') },
      { label: 'richmenu:tiles.help', icon: '🙋', action: ofc('help') },
      { label: 'richmenu:tiles.remind', icon: '📣', action: ofc('remind') },
      { label: 'richmenu:tiles.dashboard', icon: '💻', action: ofc('dashboard') },
    ],
  },
  {
    id: 'officer-producer',
    aliasId: OFFICER_TABS[1],
    chatBarKey: 'richmenu:chatBarOfficer',
    tabs: { active: 1 },
    columns: 2,
    tiles: [
      { label: 'richmenu:tiles.menu', icon: '☰', action: { type: 'postback', data: encodeData({ cmd: 'menu' }), label: 'menu' } as Action },
      { label: 'richmenu:tiles.tiktok', icon: '🛍️', action: start('tiktok-shop') },
      { label: 'richmenu:tiles.lazada', icon: '🛒', action: start('lazada') },
      { label: 'richmenu:tiles.training', icon: '🎓', action: start('training') },
    ],
  },
];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where each tile (and tab) sits on the image. */
export function layout(def: MenuDef): { tabs: Box[]; tiles: Box[] } {
  const top = def.tabs ? TAB_HEIGHT : 0;
  const rows = Math.ceil(def.tiles.length / def.columns);
  const w = Math.floor(MENU_WIDTH / def.columns);
  const h = Math.floor((MENU_HEIGHT - top) / rows);
  const tiles = def.tiles.map((_, i) => ({ x: (i % def.columns) * w, y: top + Math.floor(i / def.columns) * h, width: w, height: h }));
  const tabs = def.tabs ? [0, 1].map((i) => ({ x: i * (MENU_WIDTH / 2), y: 0, width: MENU_WIDTH / 2, height: TAB_HEIGHT })) : [];
  return { tabs, tiles };
}

/** LINE's rich-menu object for a menu (name carries a hash, so a changed menu is a new one). */
export function richMenuObject(def: MenuDef, t: Translator, imageHash: string): messagingApi.RichMenuRequest {
  const { tabs, tiles } = layout(def);
  const areas: messagingApi.RichMenuArea[] = tiles.map((b, i) => ({ bounds: b, action: def.tiles[i]!.action }));
  if (def.tabs) {
    tabs.forEach((b, i) => {
      areas.push({
        bounds: b,
        action: { type: 'richmenuswitch', richMenuAliasId: OFFICER_TABS[i]!, data: encodeData({ cmd: 'ofc', a: 'tab' }), label: `tab${i}` } as Action,
      });
    });
  }
  return {
    size: { width: MENU_WIDTH, height: MENU_HEIGHT },
    selected: false,
    name: `otop:${def.id}:${imageHash.slice(0, 12)}`,
    chatBarText: t.t('th', def.chatBarKey), // at most 14 characters (LINE)
    areas,
  };
}

const escXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The image of a menu, as SVG (Thai labels in Thai fonts); rendered to PNG by the image generator. */
export function renderSvg(def: MenuDef, t: Translator): string {
  const { tabs, tiles } = layout(def);
  const parts: string[] = [];
  parts.push(`<rect width="${MENU_WIDTH}" height="${MENU_HEIGHT}" fill="#f4f7f5"/>`);
  tabs.forEach((b, i) => {
    const active = def.tabs!.active === i;
    parts.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="${active ? '#06c755' : '#dfe6e1'}"/>`);
    parts.push(`<text x="${b.x + b.width / 2}" y="${b.y + b.height / 2 + 36}" font-size="104" font-weight="700" text-anchor="middle" fill="${active ? '#ffffff' : '#44524a'}">${escXml(t.t('th', i === 0 ? 'richmenu:tabs.officer' : 'richmenu:tabs.producer'))}</text>`);
  });
  tiles.forEach((b, i) => {
    const tile = def.tiles[i]!;
    const pad = 18;
    parts.push(`<rect x="${b.x + pad}" y="${b.y + pad}" width="${b.width - 2 * pad}" height="${b.height - 2 * pad}" rx="48" fill="#ffffff" stroke="#cfd8d2" stroke-width="6"/>`);
    parts.push(`<text x="${b.x + b.width / 2}" y="${b.y + b.height * 0.45}" font-size="${Math.round(b.height * 0.3)}" text-anchor="middle">${tile.icon}</text>`);
    parts.push(`<text x="${b.x + b.width / 2}" y="${b.y + b.height * 0.8}" font-size="${Math.round(Math.min(b.height * 0.15, 120))}" font-weight="700" text-anchor="middle" fill="#1f2a2e">${escXml(t.t('th', tile.label))}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${MENU_WIDTH}" height="${MENU_HEIGHT}" viewBox="0 0 ${MENU_WIDTH} ${MENU_HEIGHT}" font-family="'Noto Sans Thai', 'Loma', 'Garuda', 'Sarabun', sans-serif">${parts.join('')}</svg>`;
}

export const svgHash = (svg: string) => createHash('sha256').update(svg).digest('hex');
