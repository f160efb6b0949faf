import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeData } from '../../../src/bot/messages.js';
import { MENUS } from '../../../src/features/richmenu/menus.js';
import { menuImage } from '../../../src/features/richmenu/sync.js';
import { startTestBot, TEST_ENCRYPTION_KEY, TEST_SECRET, TEST_TOKEN, type TestBot } from '../../support/bot.js';
import { admin, inviteCode } from '../officers/helpers.js';

let bot: TestBot;
let env: Record<string, string>;

beforeAll(async () => {
  bot = await startTestBot('richmenu');
  env = { LINE_CHANNEL_SECRET: TEST_SECRET, LINE_CHANNEL_ACCESS_TOKEN: TEST_TOKEN, LINE_API_BASE_URL: bot.fake.url, LINE_DATA_API_BASE_URL: bot.fake.url, LOG_LEVEL: 'silent', DATA_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
});
afterAll(async () => bot?.close());

async function adminEnv(argv: string[]) {
  const out: string[] = [];
  const { runAdmin } = await import('../../../src/cli/admin.js');
  const code = await runAdmin(argv, { models: bot.rt.models, env, now: () => new Date(), out: (l) => out.push(l) });
  return { code, out };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('rich menus', () => {
  it('when the committed images are checked against their source, then each is current, 2500×1686 and under 1 MB', () => {
    for (const def of MENUS) {
      const { png } = menuImage(def, bot.rt.translator);
      expect(pngSize(png)).toEqual({ width: 2500, height: 1686 });
      expect(png.length).toBeLessThan(1024 * 1024);
      expect(bot.rt.translator.t('th', def.chatBarKey).length).toBeLessThanOrEqual(14);
      expect(bot.rt.translator.t('en', def.chatBarKey).length).toBeLessThanOrEqual(14);
    }
  });

  it('when richmenu:sync runs, then LINE has the producer menu as default, both officer tabs with aliases, images uploaded, officers linked; running again changes nothing', async () => {
    const officer = bot.user();
    const r = await admin(bot.rt.models, ['officer:invite', '--role', 'province', '--province', 'เชียงใหม่']);
    await officer.says(inviteCode(r.out));

    const first = await adminEnv(['richmenu:sync']);
    expect(first.code).toBe(0);
    expect(first.out[0]).toContain('3 created');
    const rm = bot.fake.richMenus;
    expect(rm.menus.size).toBe(3);
    for (const m of rm.menus.values()) expect(pngSize(m.image!)).toEqual({ width: 2500, height: 1686 });
    const byName = (id: string) => [...rm.menus.values()].find((m) => String(m.spec['name']).startsWith(`otop:${id}:`))!;
    expect(rm.defaultId).toBe(byName('producer').richMenuId);
    expect(rm.aliases.get('otop-officer')).toBe(byName('officer').richMenuId);
    expect(rm.aliases.get('otop-officer-producer')).toBe(byName('officer-producer').richMenuId);
    expect(rm.userLinks.get(officer.id)).toBe(byName('officer').richMenuId);
    expect(bot.fake.schemaErrors()).toEqual([]);

    const again = await adminEnv(['richmenu:sync']);
    expect(again.out[0]).toContain('0 created, 3 unchanged');
    expect(rm.menus.size).toBe(3);

    // A producer sees the default; a tab tap on the officer menu shows the other tab.
    const producer = bot.user();
    expect(rm.menuOf(producer.id)?.richMenuId).toBe(byName('producer').richMenuId);
    expect(rm.switchTo(officer.id, 'otop-officer-producer')?.richMenuId).toBe(byName('officer-producer').richMenuId);
  });

  it('when an officer links their account after the sync, then their officer menu is linked at once', async () => {
    const late = bot.user();
    const r = await admin(bot.rt.models, ['officer:invite', '--role', 'province', '--province', 'ลำพูน']);
    await late.says(inviteCode(r.out));
    const officerMenu = bot.fake.richMenus.aliases.get('otop-officer');
    expect(bot.fake.richMenus.userLinks.get(late.id)).toBe(officerMenu);
  });

  it('when each area of the producer menu is tapped, then the bot answers it (no "old button" reply)', async () => {
    const producer = bot.user();
    await producer.follow();
    const menu = [...bot.fake.richMenus.menus.values()].find((m) => String(m.spec['name']).startsWith('otop:producer:'))!;
    const areas = menu.spec['areas'] as { action: { type: string; data: string } }[];
    expect(areas).toHaveLength(6);
    for (const a of areas) {
      const answer = await producer.postback(a.action.data);
      expect(answer.sent.length, a.action.data).toBeGreaterThan(0);
      expect(answer.text, a.action.data).not.toContain(bot.rt.translator.t('th', 'common:stalePostback'));
      await producer.postback('cmd=cancel');
    }
    // The officer tab switch postback says nothing.
    const officerMenu = [...bot.fake.richMenus.menus.values()].find((m) => String(m.spec['name']).startsWith('otop:officer:'))!;
    const tab = (officerMenu.spec['areas'] as { action: { type: string; data: string } }[]).find((a) => a.action.type === 'richmenuswitch')!;
    expect(decodeData(tab.action.data)).toEqual({ cmd: 'ofc', a: 'tab' });
  });
});
