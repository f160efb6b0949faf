/**
 * The LINE stand-in of local mode: everything LINE does for the bot, on this machine.
 *
 * - Serves the Messaging API paths the bot calls (a FakeLine on 127.0.0.1, any free port): the
 *   bot's gateway is pointed at it through LINE_API_BASE_URL, with a generated access token.
 * - Sends webhooks to the bot's own POST /webhook exactly as LINE does: a JSON body
 *   `{destination, events}` signed with `x-line-signature` (HMAC-SHA256 of the raw body with a
 *   generated channel secret), a fresh reply token per event (unfollow has none), ULID-like
 *   webhookEventIds, increasing timestamps. The bot's code path is the production one.
 * - Keeps simulated users (display name, LINE language; blocked or not) and one conversation feed
 *   per user: what the user did, and every message the bot delivered to them (reply, push,
 *   multicast, broadcast, narrowcast) in order, plus notes (loading animation, rejected requests).
 *
 * The chat simulator page (./simulator/router.ts) is a view over this object.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../src/webhook/signature.js';
import { isProduction, localModeWanted } from '../src/config/mode.js';

export { isProduction, localModeWanted };
import { FakeLine, type RecordedRequest, type SentMessage } from './fake-line/server.js';

export type SimLanguage = 'th' | 'en';

export interface SimUser {
  userId: string;
  displayName: string;
  language: SimLanguage;
  /** True after the user blocked the bot (unfollow) and until they unblock it (follow). */
  blocked: boolean;
  /** True once the user has followed (added) the bot at least once. */
  followed: boolean;
  createdAt: number;
}

/** Something a simulated user does in the chat. */
export type UserAction =
  | { type: 'text'; text: string }
  | { type: 'postback'; data: string; displayText?: string; params?: Record<string, string> }
  | { type: 'location'; latitude: number; longitude: number; title?: string; address?: string }
  | { type: 'sticker'; packageId?: string; stickerId?: string }
  | { type: 'follow' }
  | { type: 'unfollow' };

interface EntryBase {
  /** Increases by one for every entry of every user: the order of the whole simulation. */
  seq: number;
  at: number;
  userId: string;
}
/** What the user did; `webhookStatus` is what the bot's /webhook answered. */
export interface UserEntry extends EntryBase {
  from: 'user';
  action: UserAction;
  webhookStatus?: number;
  webhookError?: string;
}
/** A message the bot sent to this user. `delivered` is false when the user had blocked the bot. */
export interface BotEntry extends EntryBase {
  from: 'bot';
  via: SentMessage['via'];
  message: any;
  delivered: boolean;
}
/** A note about the conversation (loading animation shown, a request LINE would reject). */
export interface SystemEntry extends EntryBase {
  from: 'system';
  kind: 'loading' | 'rejected';
  text: string;
  seconds?: number;
}
export type FeedEntry = UserEntry | BotEntry | SystemEntry;

export interface LocalLineOptions {
  /** Generated when omitted. */
  channelSecret?: string;
  /** Generated when omitted. */
  channelAccessToken?: string;
  /** Shown in the simulator's chat header. */
  botName?: string;
  /** Entries kept per user (oldest dropped). Default 500. */
  feedLimit?: number;
  /** Passed to FakeLine; null turns OpenAPI validation off. Default: validate when the spec is found. */
  openapiDir?: string | null;
}

export interface AddUserInput {
  displayName?: string;
  language?: SimLanguage;
  /** Send the follow event right away (default true), as adding a LINE official account does. */
  follow?: boolean;
}

export interface ActResult {
  entry: UserEntry;
  /** What the bot's /webhook answered (undefined when it could not be reached). */
  status?: number;
}

const DESTINATION = 'U0000000000000000000000000fa4e11e';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MESSAGE_PATHS = new Set([
  '/v2/bot/message/reply',
  '/v2/bot/message/push',
  '/v2/bot/message/multicast',
  '/v2/bot/message/broadcast',
  '/v2/bot/message/narrowcast',
]);
const DEFAULT_NAMES: Record<SimLanguage, string[]> = {
  th: ['สมศรี ใจดี', 'บุญมี ทองคำ', 'มาลี ศรีสุข', 'ประเสริฐ รักถิ่น', 'วันเพ็ญ แก้วมณี'],
  en: ['Somsri Jaidee', 'Boonmee Thongkham', 'Malee Srisuk', 'Prasert Rakthin', 'Wanpen Kaewmanee'],
};

/** True when `npm start` should run in local mode: no LINE credentials at all, not production. */

export class LocalModeRefusedError extends Error {
  constructor() {
    super('local mode (the LINE stand-in and chat simulator) is not available with NODE_ENV=production');
    this.name = 'LocalModeRefusedError';
  }
}

export class LocalLine extends EventEmitter {
  readonly channelSecret: string;
  readonly channelAccessToken: string;
  readonly botName: string;
  /** Origin of the stand-in's Messaging API (what LINE_API_BASE_URL points at). */
  readonly apiUrl: string;
  readonly fake: FakeLine;

  private webhookUrl: string | undefined;
  private readonly users = new Map<string, SimUser>();
  private readonly feeds = new Map<string, FeedEntry[]>();
  private readonly feedLimit: number;
  /** Reply tokens this stand-in issued → user, to place a rejected reply in the right chat. */
  private readonly tokenUsers = new Map<string, string>();
  /** Webhook events sent so far (most recent last, at most 200): for tests and debugging. */
  readonly sentEvents: Record<string, unknown>[] = [];
  private seq = 0;
  private lastTimestamp = 0;
  private closed = false;
  private stateFile: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;

  /** Starts the stand-in. Refuses with NODE_ENV=production (real LINE only there). */
  static async start(opts: LocalLineOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<LocalLine> {
    if (isProduction(env)) throw new LocalModeRefusedError();
    const channelAccessToken = opts.channelAccessToken ?? `local-${randomBytes(24).toString('base64url')}`;
    const fake = await FakeLine.start({
      channelAccessToken,
      historyLimit: 2_000,
      ...(opts.openapiDir !== undefined ? { openapiDir: opts.openapiDir } : {}),
    });
    return new LocalLine(fake, channelAccessToken, opts);
  }

  private constructor(fake: FakeLine, channelAccessToken: string, opts: LocalLineOptions) {
    super();
    this.setMaxListeners(0); // one listener per open simulator page
    this.fake = fake;
    this.apiUrl = fake.url;
    this.channelAccessToken = channelAccessToken;
    this.channelSecret = opts.channelSecret ?? randomBytes(16).toString('hex');
    this.botName = opts.botName ?? 'OTOP bot (local)';
    this.feedLimit = opts.feedLimit ?? 500;
    fake.on('sent', (m: SentMessage) => this.onSent(m));
    fake.on('request', (r: RecordedRequest) => this.onRequest(r));
  }

  /**
   * The configuration the bot runs with in local mode: `env` plus the generated credentials and
   * the stand-in's origin for the Messaging API (and data API). Unless HOST is set, the bot listens
   * on 127.0.0.1 only: the simulator lets anyone who reaches it act as any simulated user.
   */
  configEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return {
      ...env,
      HOST: env['HOST']?.trim() ? env['HOST'] : '127.0.0.1',
      LINE_CHANNEL_SECRET: this.channelSecret,
      LINE_CHANNEL_ACCESS_TOKEN: this.channelAccessToken,
      LINE_API_BASE_URL: this.apiUrl,
      LINE_DATA_API_BASE_URL: this.apiUrl,
    };
  }

  /** Where webhooks go: the bot's own POST /webhook. */
  setWebhookUrl(url: string): void {
    this.webhookUrl = url;
  }

  /** Points webhooks at a listening bot server; returns the origin to reach it on (for the page). */
  attach(server: Server, host?: string): { webhookUrl: string; origin: string } {
    const addr = server.address() as AddressInfo;
    const h = host && !['0.0.0.0', '::', '', 'localhost'].includes(host) ? host : addr.family === 'IPv6' && addr.address !== '::' ? addr.address : '127.0.0.1';
    const hostPart = h.includes(':') ? `[${h}]` : h;
    const webhookUrl = `http://${hostPart}:${addr.port}/webhook`;
    this.setWebhookUrl(webhookUrl);
    const shown = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost', undefined, ''].includes(host) ? 'localhost' : hostPart;
    return { webhookUrl, origin: `http://${shown}:${addr.port}` };
  }

  // ------------------------------------------------------------------ users

  listUsers(): SimUser[] {
    return [...this.users.values()].map((u) => ({ ...u }));
  }

  getUser(userId: string): SimUser | undefined {
    const u = this.users.get(userId);
    return u ? { ...u } : undefined;
  }

  /** Creates a simulated LINE user (profile served at /v2/bot/profile/{id}); follows the bot by default. */
  async addUser(input: AddUserInput = {}): Promise<{ user: SimUser; follow?: ActResult }> {
    const language: SimLanguage = input.language === 'en' ? 'en' : 'th';
    const names = DEFAULT_NAMES[language];
    const displayName = (input.displayName ?? '').trim().slice(0, 40) || names[this.users.size % names.length]!;
    const userId = `U${randomBytes(16).toString('hex')}`;
    const user: SimUser = { userId, displayName, language, blocked: false, followed: false, createdAt: Date.now() };
    this.users.set(userId, user);
    this.feeds.set(userId, []);
    this.fake.setProfile(userId, { displayName, language });
    this.emit('user', { ...user });
    if (input.follow === false) return { user: { ...user } };
    const follow = await this.act(userId, { type: 'follow' });
    return { user: this.getUser(userId)!, follow };
  }

  /** The conversation of one user (or of everyone, in order), optionally only entries after `afterSeq`. */
  feed(userId?: string, afterSeq = 0): FeedEntry[] {
    const all = userId === undefined ? [...this.feeds.values()].flat().sort((a, b) => a.seq - b.seq) : [...(this.feeds.get(userId) ?? [])];
    return all.filter((e) => e.seq > afterSeq);
  }

  /** Messages the bot delivered to `userId` (LINE message objects, in order). */
  botMessages(userId: string): any[] {
    return this.feed(userId)
      .filter((e): e is BotEntry => e.from === 'bot' && e.delivered)
      .map((e) => e.message);
  }

  /** Resolves once `userId` has received at least `count` bot messages in total. */
  waitForBotMessages(userId: string, count: number, timeoutMs = 5_000): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const msgs = this.botMessages(userId);
        if (msgs.length >= count) {
          cleanup();
          resolve(msgs);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`LocalLine: expected >= ${count} bot message(s) to ${userId} within ${timeoutMs} ms, got ${this.botMessages(userId).length}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('entry', check);
      };
      this.on('entry', check);
      check();
    });
  }

  // ------------------------------------------------------------------ what users do

  /**
   * The user does something: the stand-in records it in their feed, builds the webhook event LINE
   * would send, signs it and POSTs it to the bot's /webhook.
   */
  async act(userId: string, action: UserAction): Promise<ActResult> {
    const user = this.users.get(userId);
    if (!user) throw new SimulatorInputError(404, 'no such user');
    const clean = normaliseAction(action);
    if (user.blocked && clean.type !== 'follow') {
      throw new SimulatorInputError(409, 'this user has blocked the bot: unblock it first');
    }
    const event = this.buildEvent(user, clean);
    if (clean.type === 'follow') {
      user.blocked = false;
      user.followed = true;
      this.emit('user', { ...user });
    } else if (clean.type === 'unfollow') {
      user.blocked = true;
      this.emit('user', { ...user });
    }
    const entry = this.record({ from: 'user', userId, at: Date.now(), action: clean }) as UserEntry;
    const result = await this.postWebhook([event]);
    if (result.status !== undefined) entry.webhookStatus = result.status;
    if (result.error !== undefined) entry.webhookError = result.error;
    if (result.status !== 200) this.emit('entry-updated', { ...entry });
    return { entry: { ...entry }, ...(result.status !== undefined ? { status: result.status } : {}) };
  }

  /** POSTs raw events, signed, to the bot's /webhook (what LINE's servers do). */
  async postWebhook(events: readonly Record<string, unknown>[]): Promise<{ status?: number; error?: string }> {
    if (!this.webhookUrl) return { error: 'the bot is not listening yet' };
    for (const e of events) {
      this.sentEvents.push(e);
      if (this.sentEvents.length > 200) this.sentEvents.shift();
    }
    const body = JSON.stringify({ destination: DESTINATION, events });
    try {
      const res = await fetch(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': sign(body, this.channelSecret), 'user-agent': 'LineBotWebhook/2.0' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Ends every open simulator stream (called before the web server closes). */
  endStreams(): void {
    this.emit('close-streams');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endStreams();
    this.saveNow();
    await this.fake.close();
  }

  // ------------------------------------------------------------------ keeping users across restarts

  /**
   * Keeps the simulated users and their conversations in `file` (JSON), so restarting the bot
   * brings them back (same LINE user IDs, so the bot's sessions match). Loads the file now when it
   * exists; saves shortly after every change and on close. Delete the file to start afresh.
   * Returns a warning when the file was unreadable (it is then set aside and the simulator starts empty).
   */
  useStateFile(file: string): string | undefined {
    let warning: string | undefined;
    this.stateFile = file;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { users?: SimUser[]; feeds?: Record<string, FeedEntry[]> };
      for (const u of saved.users ?? []) {
        if (typeof u?.userId !== 'string' || this.users.has(u.userId)) continue;
        const user: SimUser = { ...u, language: u.language === 'en' ? 'en' : 'th' };
        this.users.set(user.userId, user);
        this.fake.setProfile(user.userId, { displayName: user.displayName, language: user.language });
        const feed = (saved.feeds?.[user.userId] ?? []).filter((e) => e && typeof e.seq === 'number').slice(-this.feedLimit);
        this.feeds.set(user.userId, feed);
        for (const e of feed) this.seq = Math.max(this.seq, e.seq);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        const aside = `${file}.unreadable-${Date.now()}`;
        try {
          renameSync(file, aside);
        } catch {
          /* leave it */
        }
        warning = `simulator state ${file} was unreadable (${(err as Error).message}); moved to ${aside}, starting with no users`;
      }
    }
    const later = () => this.scheduleSave();
    this.on('entry', later);
    this.on('entry-updated', later);
    this.on('user', later);
    return warning;
  }

  private scheduleSave(): void {
    if (!this.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 500);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.stateFile) return;
    const feeds: Record<string, FeedEntry[]> = {};
    for (const [userId, feed] of this.feeds) feeds[userId] = feed.slice(-200);
    const tmp = `${this.stateFile}.tmp-${process.pid}`;
    try {
      mkdirSync(path.dirname(this.stateFile), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ version: 1, users: this.listUsers(), feeds }));
      renameSync(tmp, this.stateFile);
    } catch {
      // Best effort: the simulator still works from memory.
    }
  }

  // ------------------------------------------------------------------ internals

  private buildEvent(user: SimUser, action: UserAction): Record<string, unknown> {
    const base: Record<string, unknown> = {
      mode: 'active',
      timestamp: this.nextTimestamp(),
      source: { type: 'user', userId: user.userId },
      webhookEventId: ulid(),
      deliveryContext: { isRedelivery: false },
    };
    if (action.type === 'unfollow') return { type: 'unfollow', ...base };
    const replyToken = randomBytes(16).toString('hex');
    this.fake.registerReplyToken(replyToken, user.userId);
    this.tokenUsers.set(replyToken, user.userId);
    if (this.tokenUsers.size > 2_000) this.tokenUsers.delete(this.tokenUsers.keys().next().value!);
    const withToken = { ...base, replyToken };
    switch (action.type) {
      case 'follow':
        return { type: 'follow', ...withToken, follow: { isUnblocked: user.followed } };
      case 'text':
        return { type: 'message', ...withToken, message: { type: 'text', id: messageId(), quoteToken: quoteToken(), text: action.text } };
      case 'sticker':
        return {
          type: 'message',
          ...withToken,
          message: {
            type: 'sticker',
            id: messageId(),
            quoteToken: quoteToken(),
            packageId: action.packageId ?? '446',
            stickerId: action.stickerId ?? '1988',
            stickerResourceType: 'STATIC',
          },
        };
      case 'location':
        return {
          type: 'message',
          ...withToken,
          message: {
            type: 'location',
            id: messageId(),
            latitude: action.latitude,
            longitude: action.longitude,
            ...(action.title ? { title: action.title } : {}),
            ...(action.address ? { address: action.address } : {}),
          },
        };
      case 'postback':
        return { type: 'postback', ...withToken, postback: { data: action.data, ...(action.params ? { params: action.params } : {}) } };
    }
  }

  private nextTimestamp(): number {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }

  private record(partial: Omit<UserEntry, 'seq'> | Omit<BotEntry, 'seq'> | Omit<SystemEntry, 'seq'>): FeedEntry {
    const entry = { ...partial, seq: ++this.seq } as FeedEntry;
    let feed = this.feeds.get(entry.userId);
    if (!feed) {
      feed = [];
      this.feeds.set(entry.userId, feed);
    }
    feed.push(entry);
    if (feed.length > this.feedLimit) feed.splice(0, feed.length - this.feedLimit);
    this.emit('entry', entry);
    return entry;
  }

  private onSent(m: SentMessage): void {
    const user = this.users.get(m.userId);
    // Messages to IDs the simulator never created (e.g. a test's own users) stay out of the feeds.
    if (!user) return;
    this.record({ from: 'bot', userId: m.userId, at: m.at, via: m.via, message: m.message, delivered: !user.blocked });
  }

  private onRequest(r: RecordedRequest): void {
    const body = (r.body ?? {}) as Record<string, unknown>;
    if (r.path === '/v2/bot/chat/loading/start' && r.status < 300) {
      const userId = String(body['chatId'] ?? '');
      if (this.users.has(userId)) {
        const seconds = Number(body['loadingSeconds'] ?? 20);
        this.record({ from: 'system', userId, at: r.at, kind: 'loading', text: 'loading', seconds });
      }
      return;
    }
    if (!MESSAGE_PATHS.has(r.path) || r.status < 400 || r.status === 409) return;
    const targets: string[] = [];
    if (r.path.endsWith('/reply')) {
      const u = this.tokenUsers.get(String(body['replyToken'] ?? ''));
      if (u) targets.push(u);
    } else if (r.path.endsWith('/push')) {
      targets.push(String(body['to'] ?? ''));
    } else if (r.path.endsWith('/multicast') && Array.isArray(body['to'])) {
      targets.push(...(body['to'] as unknown[]).map(String));
    }
    const why = r.schemaErrors.length > 0 ? r.schemaErrors.join('; ') : `HTTP ${r.status}`;
    const text = `LINE would reject this ${r.path.split('/').pop()}: ${why}`;
    for (const userId of new Set(targets)) {
      if (this.users.has(userId)) this.record({ from: 'system', userId, at: r.at, kind: 'rejected', text });
    }
  }
}

/** A bad request from the simulator page (answered with `status`). */
export class SimulatorInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorInputError';
  }
}

/** Checks and trims what the page sent; throws SimulatorInputError (400) on nonsense. */
export function normaliseAction(input: unknown): UserAction {
  const a = (input ?? {}) as Record<string, unknown>;
  const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
  switch (a['type']) {
    case 'text': {
      const text = str(a['text'], 5_000);
      if (!text || text.trim() === '') throw new SimulatorInputError(400, 'text is required');
      return { type: 'text', text };
    }
    case 'postback': {
      const data = str(a['data'], 300);
      if (data === undefined) throw new SimulatorInputError(400, 'postback data is required');
      const out: UserAction = { type: 'postback', data };
      const displayText = str(a['displayText'], 300);
      if (displayText) out.displayText = displayText;
      const params = a['params'];
      if (params && typeof params === 'object' && !Array.isArray(params)) {
        const p: Record<string, string> = {};
        for (const [k, v] of Object.entries(params)) if (typeof v === 'string') p[k] = v.slice(0, 100);
        if (Object.keys(p).length > 0) out.params = p;
      }
      return out;
    }
    case 'location': {
      const latitude = Number(a['latitude']);
      const longitude = Number(a['longitude']);
      if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90 || !Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
        throw new SimulatorInputError(400, 'latitude must be -90..90 and longitude -180..180');
      }
      const out: UserAction = { type: 'location', latitude, longitude };
      const title = str(a['title'], 100);
      const address = str(a['address'], 300);
      if (title) out.title = title;
      if (address) out.address = address;
      return out;
    }
    case 'sticker': {
      const out: UserAction = { type: 'sticker' };
      const packageId = str(a['packageId'], 20);
      const stickerId = str(a['stickerId'], 20);
      if (packageId) out.packageId = packageId;
      if (stickerId) out.stickerId = stickerId;
      return out;
    }
    case 'follow':
      return { type: 'follow' };
    case 'unfollow':
      return { type: 'unfollow' };
    default:
      throw new SimulatorInputError(400, 'type must be text, postback, location, sticker, follow or unfollow');
  }
}

/** A ULID-shaped id like LINE's webhookEventId (time part first, so they sort by time). */
function ulid(): string {
  let t = Date.now();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = Array.from(randomBytes(16), (b) => CROCKFORD[b % 32]).join('');
  return time + rand;
}

let idCounter = BigInt(Date.now()) * 1000n + 500_000n;
function messageId(): string {
  idCounter += 1n;
  return idCounter.toString();
}

function quoteToken(): string {
  return randomBytes(48).toString('base64url');
}
