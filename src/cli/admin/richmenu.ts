import { join } from 'node:path';
import { loadConfig } from '../../config/env.js';
import { createTranslator } from '../../core/i18n.js';
import { projectRoot } from '../../core/paths.js';
import { syncRichMenus } from '../../features/richmenu/sync.js';
import { RichMenuApi } from '../../line/rich-menu-api.js';
import type { AdminCommand } from './command.js';

const sync: AdminCommand = {
  summary: 'create/update the rich menus on LINE (producer default, officer menu per officer, tab aliases)',
  usage: 'richmenu:sync',
  async run(_args, ctx) {
    const config = loadConfig(ctx.env);
    const api = new RichMenuApi({ channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN, baseURL: config.LINE_API_BASE_URL, dataBaseURL: config.LINE_DATA_API_BASE_URL, timeoutMs: config.LINE_REQUEST_TIMEOUT_MS });
    const t = await createTranslator(join(projectRoot, 'locales'));
    const officers = await ctx.models.Officer.find({ status: 'active', lineUserId: { $exists: true } }, { lineUserId: 1 }).lean();
    const r = await syncRichMenus(api, t, officers.map((o) => o.lineUserId!).filter(Boolean));
    ctx.out(`rich menus: ${r.created.length} created, ${r.kept.length} unchanged, ${r.deleted.length} old deleted`);
    ctx.out(`default (producers): ${r.defaultId}; officer menu linked to ${r.linked} officer(s)`);
  },
};

export const commands: Record<string, AdminCommand> = { 'richmenu:sync': sync };
