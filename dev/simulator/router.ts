/**
 * The chat simulator: a LINE-like chat page and its small JSON/SSE API, over a LocalLine stand-in.
 * Mounted at /simulator on the bot's own port, in local mode only (see src/main.ts):
 *
 *   GET  /simulator/                   the page (public/index.html, simulator.css, simulator.js, flex.js)
 *   GET  /simulator/fonts/...          Noto Sans Thai from node_modules/@fontsource/noto-sans-thai
 *   GET  /simulator/api/state          {bot, users, feed, lastSeq}
 *   GET  /simulator/api/stream         Server-Sent Events: `entry`, `entry-updated`, `user` (resumes after Last-Event-ID)
 *   POST /simulator/api/users          {displayName?, language?: 'th'|'en'} → adds a user, sends follow
 *   POST /simulator/api/users/:id/actions   a UserAction (text, postback, location, sticker, follow, unfollow)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { projectRoot } from '../../src/core/paths.js';
import { SimulatorInputError, type FeedEntry, type LocalLine, type SimUser } from '../standin.js';

export const SIMULATOR_PATH = '/simulator';

/** The page's static files (plain HTML/CSS/JS, served as they are: no build step). */
export const simulatorPublicDir = join(projectRoot, 'dev', 'simulator', 'public');

function fontDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve('@fontsource/noto-sans-thai/package.json'));
  } catch {
    const guess = join(projectRoot, 'node_modules', '@fontsource', 'noto-sans-thai');
    return existsSync(guess) ? guess : undefined;
  }
}

export function simulatorRouter(line: LocalLine): Router {
  const router = express.Router();
  const fonts = fontDir();
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('cache-control', 'no-store');
    next();
  };

  router.get('/', noStore, (_req, res) => res.sendFile(join(simulatorPublicDir, 'index.html')));
  router.use(noStore, express.static(simulatorPublicDir, { index: false, redirect: false }));
  if (fonts) router.use('/fonts', express.static(fonts, { index: false, redirect: false, maxAge: '1d' }));

  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));
  api.use(noStore);

  api.get('/state', (_req, res) => {
    const feed = line.feed();
    res.json({ bot: { name: line.botName }, users: line.listUsers(), feed, lastSeq: feed.at(-1)?.seq ?? 0 });
  });

  api.post('/users', async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as { displayName?: unknown; language?: unknown };
      const result = await line.addUser({
        ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
        language: body.language === 'en' ? 'en' : 'th',
      });
      res.status(201).json({ user: result.user, webhookStatus: result.follow?.status ?? null });
    } catch (err) {
      next(err);
    }
  });

  // The rich menu a user's chat shows (their linked menu, a tab they switched to, else the default).
  api.get('/users/:userId/richmenu', (req, res) => {
    const m = line.fake.richMenus.menuOf(String(req.params['userId']));
    if (!m?.image) {
      res.json({ menu: null });
      return;
    }
    res.json({ menu: { richMenuId: m.richMenuId, size: m.spec['size'], areas: m.spec['areas'], chatBarText: m.spec['chatBarText'], selected: m.spec['selected'] === true, image: `api/richmenus/${m.richMenuId}/image` } });
  });
  api.get('/richmenus/:id/image', (req, res) => {
    const m = line.fake.richMenus.menus.get(String(req.params['id']));
    if (!m?.image) {
      res.status(404).end();
      return;
    }
    res.type(m.imageType ?? 'image/png').send(m.image);
  });
  api.post('/users/:userId/richmenu/switch', (req, res) => {
    const aliasId = (req.body as { aliasId?: unknown })?.aliasId;
    const m = typeof aliasId === 'string' ? line.fake.richMenus.switchTo(String(req.params['userId']), aliasId) : undefined;
    res.status(m ? 200 : 404).json({ switched: !!m });
  });

  api.post('/users/:userId/actions', async (req, res, next) => {
    try {
      const result = await line.act(String(req.params['userId']), req.body);
      res.json({ entry: result.entry, webhookStatus: result.status ?? null });
    } catch (err) {
      next(err);
    }
  });

  api.get('/stream', (req, res) => {
    const after = Number(req.get('last-event-id') ?? req.query['after'] ?? 0) || 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const send = (event: string, data: unknown, id?: number) => {
      res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    for (const e of line.feed(undefined, after)) send('entry', e, e.seq);
    const onEntry = (e: FeedEntry) => send('entry', e, e.seq);
    const onUpdated = (e: FeedEntry) => send('entry-updated', e);
    const onUser = (u: SimUser) => send('user', u);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      cleanup();
      res.end();
    };
    const cleanup = () => {
      clearInterval(heartbeat);
      line.off('entry', onEntry);
      line.off('entry-updated', onUpdated);
      line.off('user', onUser);
      line.off('close-streams', end);
    };
    line.on('entry', onEntry);
    line.on('entry-updated', onUpdated);
    line.on('user', onUser);
    line.on('close-streams', end);
    req.on('close', cleanup);
  });

  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimulatorInputError) {
      res.status(err.status).json({ message: err.message });
      return;
    }
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ message: (err as Error).message }); // e.g. malformed JSON
      return;
    }
    res.status(500).json({ message: err instanceof Error ? err.message : String(err) });
  });

  router.use('/api', api);
  return router;
}

/** Mounts the simulator on an express app (local mode only). */
export function mountSimulator(app: express.Express, line: LocalLine): void {
  app.use(SIMULATOR_PATH, simulatorRouter(line));
}
