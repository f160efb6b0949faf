import { messagingApi } from '@line/bot-sdk';
import { withTimeout } from '../core/async.js';

export type RichMenuSpec = messagingApi.RichMenuRequest;

/**
 * LINE's rich-menu endpoints (part of the LINE gateway layer: only src/line/ talks to LINE).
 * Used by `npm run admin -- richmenu:sync` and to link an officer's menu when they link their
 * account. Every call has a deadline.
 */
export class RichMenuApi {
  private readonly client: messagingApi.MessagingApiClient;
  private readonly blob: messagingApi.MessagingApiBlobClient;

  constructor(private readonly opts: { channelAccessToken: string; baseURL: string; dataBaseURL: string; timeoutMs: number }) {
    this.client = new messagingApi.MessagingApiClient({ channelAccessToken: opts.channelAccessToken, baseURL: opts.baseURL });
    this.blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: opts.channelAccessToken, baseURL: opts.dataBaseURL });
  }

  private call<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.opts.timeoutMs, `LINE ${what}`);
  }

  async list(): Promise<messagingApi.RichMenuResponse[]> {
    return (await this.call(this.client.getRichMenuList(), 'rich menu list')).richmenus;
  }
  async create(spec: RichMenuSpec): Promise<string> {
    return (await this.call(this.client.createRichMenu(spec), 'create rich menu')).richMenuId;
  }
  async uploadImage(richMenuId: string, png: Buffer): Promise<void> {
    await this.call(this.blob.setRichMenuImage(richMenuId, new Blob([new Uint8Array(png)], { type: 'image/png' })), 'rich menu image');
  }
  async delete(richMenuId: string): Promise<void> {
    await this.call(this.client.deleteRichMenu(richMenuId), 'delete rich menu');
  }
  async setDefault(richMenuId: string): Promise<void> {
    await this.call(this.client.setDefaultRichMenu(richMenuId), 'default rich menu');
  }
  async linkUser(userId: string, richMenuId: string): Promise<void> {
    await this.call(this.client.linkRichMenuIdToUser(userId, richMenuId), 'link rich menu');
  }
  async unlinkUser(userId: string): Promise<void> {
    await this.call(this.client.unlinkRichMenuIdFromUser(userId), 'unlink rich menu');
  }
  async aliases(): Promise<messagingApi.RichMenuAliasResponse[]> {
    return (await this.call(this.client.getRichMenuAliasList(), 'rich menu aliases')).aliases;
  }
  async setAlias(aliasId: string, richMenuId: string, exists: boolean): Promise<void> {
    if (exists) await this.call(this.client.updateRichMenuAlias(aliasId, { richMenuId }), 'update alias');
    else await this.call(this.client.createRichMenuAlias({ richMenuAliasId: aliasId, richMenuId }), 'create alias');
  }
  async alias(aliasId: string): Promise<string | undefined> {
    try {
      return (await this.call(this.client.getRichMenuAlias(aliasId), 'rich menu alias')).richMenuId;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }
}
