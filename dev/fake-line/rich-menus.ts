import { randomBytes } from 'node:crypto';

/** What the fake answers (same shape as the server's Reply; a Buffer body is sent as bytes). */
export interface RichMenuReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface StoredRichMenu {
  richMenuId: string;
  spec: Record<string, unknown>;
  image?: Buffer;
  imageType?: string;
}

const notFound = (): RichMenuReply => ({ status: 404, body: { message: 'Not found' } });
const ok = (body: unknown = {}): RichMenuReply => ({ status: 200, body });

/**
 * LINE's rich-menu endpoints, in memory: create / list / get / delete, image upload and download
 * (api-data), default menu, per-user links, aliases. As LINE does: an image is uploaded once, a
 * menu without an image cannot be made default or linked, an alias id is unique.
 */
export class FakeRichMenus {
  readonly menus = new Map<string, StoredRichMenu>();
  readonly aliases = new Map<string, string>();
  readonly userLinks = new Map<string, string>();
  defaultId: string | undefined;
  /** What each user's chat shows after tapping a tab (richmenuswitch), until a link changes. */
  private readonly shown = new Map<string, string>();

  /** The menu a user sees: a tab they switched to, else their linked menu, else the default. */
  menuOf(userId: string): StoredRichMenu | undefined {
    const id = this.shown.get(userId) ?? this.userLinks.get(userId) ?? this.defaultId;
    return id ? this.menus.get(id) : undefined;
  }

  /** A richmenuswitch tap: the chat shows the aliased menu. */
  switchTo(userId: string, aliasId: string): StoredRichMenu | undefined {
    const id = this.aliases.get(aliasId);
    if (!id || !this.menus.has(id)) return undefined;
    this.shown.set(userId, id);
    return this.menus.get(id);
  }

  route(method: string, p: string, body: unknown, raw: Buffer | undefined, contentType: string | undefined): RichMenuReply | undefined {
    if (!p.startsWith('/v2/bot/richmenu') && !/^\/v2\/bot\/user\/[^/]+\/richmenu/.test(p)) return undefined;
    let m: RegExpExecArray | null;
    if (p === '/v2/bot/richmenu' && method === 'POST') {
      const spec = body as Record<string, unknown>;
      if (!spec || typeof spec !== 'object' || !spec['size'] || !Array.isArray(spec['areas']) || typeof spec['name'] !== 'string' || typeof spec['chatBarText'] !== 'string') {
        return { status: 400, body: { message: 'A message (richmenu) in the request body is invalid' } };
      }
      const richMenuId = `richmenu-${randomBytes(16).toString('hex')}`;
      this.menus.set(richMenuId, { richMenuId, spec });
      return ok({ richMenuId });
    }
    if (p === '/v2/bot/richmenu/list' && method === 'GET') return ok({ richmenus: [...this.menus.values()].map((x) => ({ richMenuId: x.richMenuId, ...x.spec })) });
    if (p === '/v2/bot/richmenu/alias/list' && method === 'GET') return ok({ aliases: [...this.aliases].map(([richMenuAliasId, richMenuId]) => ({ richMenuAliasId, richMenuId })) });
    if (p === '/v2/bot/richmenu/alias' && method === 'POST') {
      const b = body as { richMenuAliasId?: string; richMenuId?: string };
      if (!b?.richMenuAliasId || !b.richMenuId || !this.menus.has(b.richMenuId)) return { status: 400, body: { message: 'richmenu not found' } };
      if (this.aliases.has(b.richMenuAliasId)) return { status: 400, body: { message: 'conflict richmenu alias id' } };
      this.aliases.set(b.richMenuAliasId, b.richMenuId);
      return ok();
    }
    if ((m = /^\/v2\/bot\/richmenu\/alias\/([^/]+)$/.exec(p))) {
      const alias = decodeURIComponent(m[1]!);
      if (method === 'GET') return this.aliases.has(alias) ? ok({ richMenuAliasId: alias, richMenuId: this.aliases.get(alias) }) : notFound();
      if (method === 'DELETE') return this.aliases.delete(alias) ? ok() : notFound();
      if (method === 'POST') {
        const id = (body as { richMenuId?: string })?.richMenuId;
        if (!this.aliases.has(alias)) return notFound();
        if (!id || !this.menus.has(id)) return { status: 400, body: { message: 'richmenu not found' } };
        this.aliases.set(alias, id);
        return ok();
      }
    }
    if ((m = /^\/v2\/bot\/richmenu\/([^/]+)\/content$/.exec(p))) {
      const menu = this.menus.get(m[1]!);
      if (!menu) return notFound();
      if (method === 'GET') return menu.image ? { status: 200, body: menu.image, headers: { 'content-type': menu.imageType ?? 'image/png' } } : notFound();
      if (method === 'POST') {
        if (!contentType || !/^image\/(png|jpeg)$/.test(contentType) || !raw?.length) return { status: 400, body: { message: 'Invalid content type' } };
        if (raw.length > 1024 * 1024) return { status: 413, body: { message: 'Request entity too large' } };
        if (menu.image) return { status: 400, body: { message: 'An image has already been uploaded to the richmenu' } };
        menu.image = raw;
        menu.imageType = contentType;
        return ok();
      }
    }
    if ((m = /^\/v2\/bot\/richmenu\/([^/]+)$/.exec(p))) {
      const id = m[1]!;
      const menu = this.menus.get(id);
      if (!menu) return notFound();
      if (method === 'GET') return ok({ richMenuId: id, ...menu.spec });
      if (method === 'DELETE') {
        this.menus.delete(id);
        if (this.defaultId === id) this.defaultId = undefined;
        for (const [u, x] of this.userLinks) if (x === id) this.userLinks.delete(u);
        for (const [u, x] of this.shown) if (x === id) this.shown.delete(u);
        return ok();
      }
    }
    if ((m = /^\/v2\/bot\/user\/([^/]+)\/richmenu(?:\/([^/]+))?$/.exec(p))) {
      const user = decodeURIComponent(m[1]!);
      const id = m[2];
      if (user === 'all') {
        if (method === 'POST' && id) return this.usable(id) ?? ((this.defaultId = id), ok());
        if (method === 'GET') return this.defaultId ? ok({ richMenuId: this.defaultId }) : notFound();
        if (method === 'DELETE') return (this.defaultId = undefined), ok();
      }
      if (method === 'POST' && id) {
        const bad = this.usable(id);
        if (bad) return bad;
        this.userLinks.set(user, id);
        this.shown.delete(user);
        return ok();
      }
      if (method === 'GET') return this.userLinks.has(user) ? ok({ richMenuId: this.userLinks.get(user) }) : notFound();
      if (method === 'DELETE') {
        this.userLinks.delete(user);
        this.shown.delete(user);
        return ok();
      }
    }
    return { status: 405, body: { message: 'Method not allowed' } };
  }

  private usable(id: string): RichMenuReply | undefined {
    const menu = this.menus.get(id);
    if (!menu) return notFound();
    if (!menu.image) return { status: 400, body: { message: 'must upload richmenu image before applying it to user' } };
    return undefined;
  }
}
