/**
 * A fake LINE Messaging API server for tests and the local simulator.
 *
 * It serves the real paths `@line/bot-sdk` 11 calls (the SDK keeps only the origin of `baseURL`),
 * answers the way api.line.me does (status codes, error bodies, `x-line-request-id`,
 * `x-line-accepted-request-id` on a 409), validates request bodies against LINE's OpenAPI
 * definitions with real discriminator dispatch (see ./openapi-validator.ts) plus LINE's documented
 * limits the spec lacks (./line-limits.ts), and records everything for assertions.
 *
 *   const fake = await FakeLine.start({ channelAccessToken: 'token' });
 *   const client = new messagingApi.MessagingApiClient({ channelAccessToken: 'token', baseURL: fake.url });
 *   fake.registerReplyToken('rt-1', 'Uuser');
 *   await client.replyMessage({ replyToken: 'rt-1', messages: [{ type: 'text', text: 'hi' }] });
 *   expect(fake.sent('Uuser')[0]?.message.text).toBe('hi');
 */
import { FakeRichMenus } from './rich-menus.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkLineLimits } from './line-limits.js';
import { findOpenApiDir, loadLineOpenApi, type LineOpenApi, type SchemaIssue } from './openapi-validator.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. '/v2/bot/message/push'. */
  path: string;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Parsed JSON body (or undefined when there was none / it wasn't JSON). */
  body: unknown;
  /** Date.now() when the request was received. */
  at: number;
  /** Status the fake answered. Requests are recorded when answered (delayed ones appear late). */
  status: number;
  /** Body validation problems as 'property: message' (empty when valid or not validated). */
  schemaErrors: string[];
}

export interface SentMessage {
  userId: string;
  via: 'reply' | 'push' | 'multicast' | 'broadcast' | 'narrowcast';
  message: any; // the message object exactly as the bot sent it
  at: number;
  retryKey?: string;
  /** The message id the fake assigned (what `sentMessages[].id` returned for push/reply). */
  id: string;
  /** Present for quotable message types sent by push/reply. */
  quoteToken?: string;
}

export interface Fault {
  /** Exact request path (no query) or a RegExp tested against it. Omitted: any path. */
  path?: string | RegExp;
  /** HTTP method, case-insensitive. Omitted: any method. */
  method?: string;
  /** Answer with this status instead of serving the request. Omitted: serve normally (after delayMs). */
  status?: number;
  /** Body for `status`; defaults to a LINE-like `{message}` for that status. Strings are sent raw. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (or before serving normally when no status is given). */
  delayMs?: number;
  /** How many matching requests this fault applies to. Default 1; Infinity for "until reset". */
  times?: number;
  /**
   * Drop the connection instead of answering: 'before' serving (nothing sent, like a reset on the
   * way in), or 'after' serving (LINE accepted it, but the answer is lost on the way back).
   * Recorded with status 0.
   */
  drop?: 'before' | 'after';
  /**
   * Applies to each matching request with this probability (0–1) instead of to the next ones;
   * `times` then counts only the requests it hit. For fault-mode benchmarks.
   */
  probability?: number;
}

export interface FakeLineProfile {
  displayName?: string;
  language?: string;
  pictureUrl?: string;
  statusMessage?: string;
}

export interface FakeLineStartOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Folder holding LINE's `messaging-api.yml`. Default: `../shared/line-openapi` resolved from
   * process.cwd() and from the project root (or $LINE_OPENAPI_DIR); validation is skipped silently
   * when not found. `null` turns OpenAPI validation off (LINE's extra documented limits still apply).
   */
  openapiDir?: string | null;
  /** When given, every request must carry `Authorization: Bearer <token>` or gets 401. */
  channelAccessToken?: string;
  /** Reply tokens expire this long after registration. Default 60 000 ms. */
  replyTokenTtlMs?: number;
  /** Largest accepted request body; LINE answers 413 above 2 MB. */
  maxBodyBytes?: number;
  /**
   * Keep at most this many recorded requests and sent messages (oldest dropped first), for
   * long-running use such as local mode. Default: keep everything (tests assert on it all).
   */
  historyLimit?: number;
  /**
   * Requests per second accepted per endpoint, as LINE enforces them (multicast 200/s by default;
   * over it: 429 rate limited with `Retry-After: 1`). 0 turns a limit off.
   */
  rateLimits?: { multicast?: number; push?: number };
}

const DEFAULT_REPLY_TOKEN_TTL_MS = 60_000;
const MAX_MESSAGES = 5;
const MAX_MULTICAST_TO = 500;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** POST endpoints whose bodies get validated (their schemas are compiled when a fake starts). */
const VALIDATED_ROUTES: [string, string][] = [
  ['POST', '/v2/bot/message/reply'],
  ['POST', '/v2/bot/message/push'],
  ['POST', '/v2/bot/message/multicast'],
  ['POST', '/v2/bot/message/broadcast'],
  ['POST', '/v2/bot/message/narrowcast'],
  ['POST', '/v2/bot/chat/loading/start'],
];
/** Message types LINE returns a quoteToken for. */
const QUOTABLE = new Set(['text', 'textV2', 'sticker', 'image', 'video']);

export const LINE_ERRORS = {
  authRequired: "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'",
  authFailed: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
  invalidReplyToken: 'Invalid reply token',
  retryKeyAccepted: 'The retry key is already accepted',
  retryKeyInvalid: "The value for the 'X-Line-Retry-Key' header is invalid",
  rateLimited: 'The API rate limit has been exceeded. Try again later.',
  monthlyLimit: 'You have reached your monthly limit.',
  notFound: 'Not found',
  tooLarge: 'Request Entity Too Large',
  invalidJson: 'The request body could not be parsed as JSON',
} as const;

type Json = Record<string, unknown>;
type SendVia = 'push' | 'multicast' | 'broadcast' | 'narrowcast';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  schemaErrors?: string[];
}

interface Incoming {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
  requestId: string;
  bodyError?: Reply;
  /** The body as bytes, for image uploads (rich-menu images). */
  raw?: Buffer;
}

interface ReplyTokenEntry {
  userId: string;
  registeredAt: number;
  used: boolean;
}

interface AcceptedRetry {
  requestId: string;
  sentMessages?: { id: string; quoteToken?: string }[];
}

let messageIdCounter = BigInt(Date.now()) * 1000n;
function nextMessageId(): string {
  messageIdCounter += 1n;
  return messageIdCounter.toString();
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeMessage(m: unknown): string {
  if (!isObj(m)) return JSON.stringify(m);
  if (m['type'] === 'text' && typeof m['text'] === 'string') {
    const t = m['text'];
    return `text ${JSON.stringify(t.length > 80 ? `${t.slice(0, 77)}...` : t)}`;
  }
  if (typeof m['altText'] === 'string') return `${String(m['type'])} (altText ${JSON.stringify(m['altText'])})`;
  return String(m['type']);
}

export class FakeLine extends EventEmitter {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  /** The OpenAPI validator in use, or null when validation is off / the spec was not found. */
  readonly openapi: LineOpenApi | null;

  private readonly server: http.Server;
  private readonly token: string | undefined;
  private readonly replyTokenTtlMs: number;
  private readonly maxBodyBytes: number;
  private readonly historyLimit: number;
  private readonly rateLimits: { multicast: number; push: number };
  private readonly windows = new Map<string, number[]>();
  /** Requests answered since start (kept when the history is limited). */
  requestCount = 0;
  /** Requests refused for going over the rate limit (429), by endpoint. */
  readonly rateLimited = { multicast: 0, push: 0 };
  private readonly profiles = new Map<string, FakeLineProfile>();
  private readonly knownUsers = new Set<string>();
  private replyTokens = new Map<string, ReplyTokenEntry>();
  private retryKeys = new Map<string, AcceptedRetry>();
  private faults: Fault[] = [];
  private delivered: SentMessage[] = [];
  private consumption = 0;
  /** Rich menus, their images, the default, per-user links and aliases (dev/fake-line/rich-menus.ts). */
  readonly richMenus = new FakeRichMenus();
  private quotaLimit: number | undefined;
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  static async start(opts: FakeLineStartOptions = {}): Promise<FakeLine> {
    const openapiDir = opts.openapiDir === undefined ? findOpenApiDir() : opts.openapiDir;
    const openapi = openapiDir ? loadLineOpenApi(openapiDir) : null;
    // Compile the validators of the endpoints served here now (once per process) rather than on the
    // first request, so a test's first call is not ~200 ms slower than the rest.
    openapi?.precompile(VALIDATED_ROUTES.map(([method, p]) => openapi.requestSchemaFor(method, p)).filter((n) => n !== undefined));
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const fake = new FakeLine(server, `http://${host}:${addr.port}`, openapi, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `fake-line internal error: ${String(err)}` }));
        }
      });
    });
    return fake;
  }

  private constructor(server: http.Server, url: string, openapi: LineOpenApi | null, opts: FakeLineStartOptions) {
    super();
    this.server = server;
    this.url = url;
    this.openapi = openapi;
    this.token = opts.channelAccessToken;
    this.replyTokenTtlMs = opts.replyTokenTtlMs ?? DEFAULT_REPLY_TOKEN_TTL_MS;
    this.maxBodyBytes = opts.maxBodyBytes ?? 2 * 1024 * 1024;
    this.historyLimit = opts.historyLimit ?? Infinity;
    this.rateLimits = { multicast: opts.rateLimits?.multicast ?? 200, push: opts.rateLimits?.push ?? 2_000 };
  }

  /** Sliding one-second window per endpoint: true when this request goes over the limit. */
  private overRateLimit(via: 'multicast' | 'push'): boolean {
    const limit = this.rateLimits[via];
    if (!limit) return false;
    const now = Date.now();
    const w = (this.windows.get(via) ?? []).filter((t) => now - t < 1_000);
    this.windows.set(via, w);
    if (w.length >= limit) {
      this.rateLimited[via]++;
      return true;
    }
    w.push(now);
    return false;
  }

  // ---------------------------------------------------------------- test-facing API

  /** Make `replyToken` valid (once, for replyTokenTtlMs) for replies to `userId`. */
  registerReplyToken(replyToken: string, userId: string): void {
    if (this.replyTokens.size >= 1000) {
      // Long-running use (local mode): forget tokens that could no longer be used anyway.
      const now = Date.now();
      for (const [t, e] of this.replyTokens) if (now - e.registeredAt > this.replyTokenTtlMs) this.replyTokens.delete(t);
    }
    this.replyTokens.set(replyToken, { userId, registeredAt: Date.now(), used: false });
    this.knownUsers.add(userId);
  }

  /** GET /v2/bot/profile/{userId} answers this (else 404). `language` stays absent unless set. */
  setProfile(userId: string, profile: FakeLineProfile): void {
    this.profiles.set(userId, { ...profile });
    this.knownUsers.add(userId);
  }

  /** The profile set for `userId`, if any (a copy). */
  profile(userId: string): FakeLineProfile | undefined {
    const p = this.profiles.get(userId);
    return p ? { ...p } : undefined;
  }

  /**
   * Monthly quota: `undefined` -> `{type:'none'}` (the default); a number -> `{type:'limited', value}`
   * and push/multicast/broadcast/narrowcast get 429 "You have reached your monthly limit." once the
   * consumption would exceed it.
   */
  setQuota(limit: number | undefined): void {
    this.quotaLimit = limit;
  }

  /** Queue a fault for the next `times` (default 1) matching requests. First queued, first used. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Messages delivered so far in arrival order, optionally only those to `userId`. */
  sent(userId?: string): SentMessage[] {
    return userId === undefined ? [...this.delivered] : this.delivered.filter((m) => m.userId === userId);
  }

  /** Resolves with sent(userId) once at least `count` messages went to `userId`. */
  waitForSent(userId: string, count: number, timeoutMs = 5000): Promise<SentMessage[]> {
    const already = this.sent(userId);
    if (already.length >= count) return Promise.resolve(already);
    return new Promise<SentMessage[]>((resolve, reject) => {
      const onSent = (m: SentMessage) => {
        if (m.userId !== userId) return;
        const now = this.sent(userId);
        if (now.length >= count) {
          cleanup();
          resolve(now);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(this.describeWaitFailure(userId, count, timeoutMs)));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('sent', onSent);
      };
      this.on('sent', onSent);
    });
  }

  /** Every request whose body failed validation so far. */
  schemaErrors(): { path: string; errors: string[] }[] {
    return this.requests.filter((r) => r.schemaErrors.length > 0).map((r) => ({ path: r.path, errors: [...r.schemaErrors] }));
  }

  /** Quota consumption so far (what GET /v2/bot/message/quota/consumption reports). */
  get totalUsage(): number {
    return this.consumption;
  }

  /**
   * Forget requests, sent messages, faults, reply tokens, retry keys, consumption and the users
   * learnt from them (broadcast audience). Keeps profiles (and the quota setting).
   */
  reset(): void {
    this.requests.length = 0;
    this.delivered = [];
    this.faults = [];
    this.replyTokens = new Map();
    this.retryKeys = new Map();
    this.consumption = 0;
    this.knownUsers.clear();
    for (const userId of this.profiles.keys()) this.knownUsers.add(userId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.pendingDelays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.pendingDelays.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  override on(event: 'sent', listener: (m: SentMessage) => void): this;
  override on(event: 'request', listener: (r: RecordedRequest) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  // ---------------------------------------------------------------- HTTP handling

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = await this.readIncoming(req);
    let reply: Reply | undefined;

    const fault = this.takeFault(incoming.method, incoming.path);
    if (fault?.delayMs) await this.sleep(fault.delayMs);
    if (this.closed) return;
    if (fault?.drop === 'before') {
      this.record(incoming, { status: 0 });
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      reply = {
        status: fault.status,
        body: fault.body === undefined ? defaultFaultBody(fault.status) : fault.body,
        ...(fault.headers ? { headers: fault.headers } : {}),
      };
    }
    reply ??= this.authenticate(incoming) ?? incoming.bodyError ?? this.route(incoming);
    if (fault?.drop === 'after') {
      this.record(incoming, { ...reply, status: 0 });
      req.socket.destroy();
      return;
    }
    this.respond(res, incoming, reply);
  }

  private async readIncoming(req: IncomingMessage): Promise<Incoming> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake-line.local');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > this.maxBodyBytes) tooLarge = true;
      else chunks.push(buf);
    }
    const incoming: Incoming = { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, headers, body: undefined, at, requestId: randomUUID() };
    if (tooLarge) {
      incoming.bodyError = { status: 413, body: { message: LINE_ERRORS.tooLarge } };
      return incoming;
    }
    if (/^image\//.test(headers['content-type'] ?? '')) {
      incoming.raw = Buffer.concat(chunks);
      return incoming;
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    if (raw.length > 0) {
      try {
        incoming.body = JSON.parse(raw);
      } catch {
        incoming.body = raw;
        incoming.bodyError = { status: 400, body: { message: LINE_ERRORS.invalidJson } };
      }
    }
    return incoming;
  }

  private takeFault(method: string, urlPath: string): Fault | undefined {
    const idx = this.faults.findIndex((f) => {
      if (f.method && f.method.toUpperCase() !== method) return false;
      if (f.probability !== undefined && Math.random() >= f.probability) return false;
      if (f.path === undefined) return true;
      if (typeof f.path === 'string') return f.path === urlPath;
      f.path.lastIndex = 0;
      return f.path.test(urlPath);
    });
    if (idx < 0) return undefined;
    const fault = this.faults[idx]!;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) this.faults.splice(idx, 1);
    else fault.times = left;
    return fault;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.pendingDelays.add(entry);
    });
  }

  private authenticate(inc: Incoming): Reply | undefined {
    if (this.token === undefined) return undefined;
    const auth = inc.headers['authorization'];
    if (!auth || !/^Bearer\s+/i.test(auth)) return { status: 401, body: { message: LINE_ERRORS.authRequired } };
    if (auth.replace(/^Bearer\s+/i, '') !== this.token) return { status: 401, body: { message: LINE_ERRORS.authFailed } };
    return undefined;
  }

  private route(inc: Incoming): Reply {
    const { method, path: p } = inc;
    const richMenu = this.richMenus.route(method, p, inc.body, inc.raw, inc.headers['content-type']);
    if (richMenu) {
      if (method === 'POST' && p === '/v2/bot/richmenu') {
        const invalid = this.validateBody(inc);
        if (invalid) return invalid;
      }
      return richMenu;
    }
    const post = (handler: () => Reply): Reply => (method === 'POST' ? handler() : methodNotAllowed());
    const get = (handler: () => Reply): Reply => (method === 'GET' ? handler() : methodNotAllowed());
    switch (p) {
      case '/v2/bot/message/reply':
        return post(() => this.handleReply(inc));
      case '/v2/bot/message/push':
        return post(() => this.handleSend(inc, 'push'));
      case '/v2/bot/message/multicast':
        return post(() => this.handleSend(inc, 'multicast'));
      case '/v2/bot/message/broadcast':
        return post(() => this.handleSend(inc, 'broadcast'));
      case '/v2/bot/message/narrowcast':
        return post(() => this.handleSend(inc, 'narrowcast'));
      case '/v2/bot/message/validate/reply':
      case '/v2/bot/message/validate/push':
      case '/v2/bot/message/validate/multicast':
      case '/v2/bot/message/validate/broadcast':
      case '/v2/bot/message/validate/narrowcast':
        return post(() => this.validateBody(inc) ?? { status: 200, body: {} });
      case '/v2/bot/chat/loading/start':
        return post(() => this.validateBody(inc) ?? { status: 202, body: {} });
      case '/v2/bot/chat/markAsRead':
        return post(() => this.validateBody(inc) ?? { status: 200, body: {} });
      case '/v2/bot/message/quota':
        return get(() => ({
          status: 200,
          body: this.quotaLimit === undefined ? { type: 'none' } : { type: 'limited', value: this.quotaLimit },
        }));
      case '/v2/bot/message/quota/consumption':
        return get(() => ({ status: 200, body: { totalUsage: this.consumption } }));
      case '/v2/bot/info':
        return get(() => ({
          status: 200,
          body: {
            userId: 'U0000000000000000000000000fa4e11e',
            basicId: '@fakeline',
            displayName: 'Fake LINE bot',
            chatMode: 'bot',
            markAsReadMode: 'auto',
          },
        }));
      default:
        break;
    }
    const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(p);
    if (profile) return get(() => this.handleProfile(decodeURIComponent(profile[1]!)));
    return { status: 404, body: { message: LINE_ERRORS.notFound } };
  }

  /** OpenAPI schema + LINE's extra limits + the structural checks this fake relies on. */
  private validateBody(inc: Incoming, structural: SchemaIssue[] = []): Reply | undefined {
    const issues: SchemaIssue[] = [];
    const schemaIssues = this.openapi?.validateRequest(inc.method, inc.path, inc.body) ?? [];
    issues.push(...schemaIssues);
    const covered = new Set(issues.map((i) => i.property));
    // The spec-independent layers only add problems at properties the schema didn't already flag.
    for (const extra of [...structural, ...checkLineLimits(inc.path, inc.body)]) {
      if (!covered.has(extra.property)) {
        issues.push(extra);
        covered.add(extra.property);
      }
    }
    if (issues.length === 0) return undefined;
    return {
      status: 400,
      body: {
        message: `The request body has ${issues.length} error(s)`,
        details: issues.map((i) => ({ message: i.message, property: i.property })),
      },
      schemaErrors: issues.map((i) => `${i.property}: ${i.message}`),
    };
  }

  private structuralChecks(body: unknown, via: SendVia | 'reply'): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    if (!isObj(body)) return [{ property: '', message: 'The request body must be a JSON object' }];
    const messages = body['messages'];
    if (!Array.isArray(messages)) issues.push({ property: 'messages', message: 'must be specified' });
    else if (messages.length < 1 || messages.length > MAX_MESSAGES) {
      issues.push({ property: 'messages', message: `Size must be between 1 and ${MAX_MESSAGES}` });
    }
    if (via === 'reply' && typeof body['replyToken'] !== 'string') issues.push({ property: 'replyToken', message: 'must be specified' });
    if (via === 'push' && (typeof body['to'] !== 'string' || body['to'] === '')) issues.push({ property: 'to', message: 'must be specified' });
    if (via === 'multicast') {
      const to = body['to'];
      if (!Array.isArray(to)) issues.push({ property: 'to', message: 'must be specified' });
      else if (to.length < 1 || to.length > MAX_MULTICAST_TO) issues.push({ property: 'to', message: `Size must be between 1 and ${MAX_MULTICAST_TO}` });
    }
    return issues;
  }

  private handleReply(inc: Incoming): Reply {
    const invalid = this.validateBody(inc, this.structuralChecks(inc.body, 'reply'));
    if (invalid) return invalid;
    const body = inc.body as Json;
    const token = body['replyToken'] as string;
    const entry = this.replyTokens.get(token);
    if (!entry || entry.used || Date.now() - entry.registeredAt > this.replyTokenTtlMs) {
      return { status: 400, body: { message: LINE_ERRORS.invalidReplyToken } };
    }
    entry.used = true;
    const sentMessages = this.deliver([entry.userId], body['messages'] as unknown[], 'reply', undefined, true);
    return { status: 200, body: { sentMessages } };
  }

  private handleSend(inc: Incoming, via: SendVia): Reply {
    if ((via === 'multicast' || via === 'push') && this.overRateLimit(via)) {
      return { status: 429, headers: { 'retry-after': '1' }, body: { message: LINE_ERRORS.rateLimited } };
    }
    const retryKey = inc.headers['x-line-retry-key'];
    if (retryKey !== undefined) {
      if (!UUID_RE.test(retryKey)) return { status: 400, body: { message: LINE_ERRORS.retryKeyInvalid } };
      const accepted = this.retryKeys.get(retryKey);
      if (accepted) {
        return {
          status: 409,
          headers: { 'x-line-accepted-request-id': accepted.requestId },
          body: { message: LINE_ERRORS.retryKeyAccepted, ...(accepted.sentMessages ? { sentMessages: accepted.sentMessages } : {}) },
        };
      }
    }
    const invalid = this.validateBody(inc, this.structuralChecks(inc.body, via));
    if (invalid) return invalid;
    const body = inc.body as Json;
    const recipients =
      via === 'push' ? [body['to'] as string] : via === 'multicast' ? [...new Set(body['to'] as string[])] : [...this.knownUsers];
    if (this.quotaLimit !== undefined && this.consumption + recipients.length > this.quotaLimit) {
      return { status: 429, body: { message: LINE_ERRORS.monthlyLimit } };
    }
    const sentMessages = this.deliver(recipients, body['messages'] as unknown[], via, retryKey, via === 'push');
    this.consumption += recipients.length; // one per recipient, however many message objects
    if (retryKey !== undefined) {
      this.retryKeys.set(retryKey, { requestId: inc.requestId, ...(via === 'push' ? { sentMessages } : {}) });
    }
    if (via === 'push') return { status: 200, body: { sentMessages } };
    if (via === 'narrowcast') return { status: 202, body: {} };
    return { status: 200, body: {} };
  }

  private handleProfile(userId: string): Reply {
    const profile = this.profiles.get(userId);
    if (!profile) return { status: 404, body: { message: LINE_ERRORS.notFound } };
    const body: Json = { userId, displayName: profile.displayName ?? 'LINE User' };
    if (profile.pictureUrl !== undefined) body['pictureUrl'] = profile.pictureUrl;
    if (profile.statusMessage !== undefined) body['statusMessage'] = profile.statusMessage;
    if (profile.language !== undefined) body['language'] = profile.language;
    return { status: 200, body };
  }

  private deliver(
    userIds: string[],
    messages: unknown[],
    via: SentMessage['via'],
    retryKey: string | undefined,
    withIds: boolean,
  ): { id: string; quoteToken?: string }[] {
    const sentMessages: { id: string; quoteToken?: string }[] = [];
    const batch: SentMessage[] = [];
    for (const userId of userIds) {
      if (via === 'push' || via === 'multicast') this.knownUsers.add(userId);
      for (const message of messages) {
        const id = nextMessageId();
        const quotable = withIds && isObj(message) && QUOTABLE.has(String(message['type']));
        const quoteToken = quotable ? randomBytes(48).toString('base64url') : undefined;
        const sm: SentMessage = { userId, via, message, at: Date.now(), id };
        if (retryKey !== undefined) sm.retryKey = retryKey;
        if (quoteToken !== undefined) sm.quoteToken = quoteToken;
        batch.push(sm);
        if (withIds) sentMessages.push(quoteToken === undefined ? { id } : { id, quoteToken });
      }
    }
    this.delivered.push(...batch);
    if (this.delivered.length > this.historyLimit) this.delivered.splice(0, this.delivered.length - this.historyLimit);
    // Emit after the whole batch is stored so listeners see consistent sent() results.
    queueMicrotask(() => {
      for (const sm of batch) this.emit('sent', sm);
    });
    return sentMessages;
  }

  private record(inc: Incoming, reply: Reply): RecordedRequest {
    const record: RecordedRequest = {
      method: inc.method,
      path: inc.path,
      headers: inc.headers,
      body: inc.body,
      at: inc.at,
      status: reply.status,
      schemaErrors: reply.schemaErrors ?? [],
    };
    this.requests.push(record);
    this.requestCount++;
    if (this.requests.length > this.historyLimit) this.requests.splice(0, this.requests.length - this.historyLimit);
    this.emit('request', record);
    return record;
  }

  private respond(res: ServerResponse, inc: Incoming, reply: Reply): void {
    this.record(inc, reply);
    if (res.destroyed || this.closed) return;
    const payload = reply.body === undefined ? '' : Buffer.isBuffer(reply.body) || typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': Buffer.isBuffer(reply.body) ? 'application/octet-stream' : typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'x-line-request-id': inc.requestId,
      ...reply.headers,
    });
    res.end(payload);
  }

  private describeWaitFailure(userId: string, count: number, timeoutMs: number): string {
    const mine = this.sent(userId);
    const lines = [`FakeLine: expected >= ${count} message(s) to ${userId} within ${timeoutMs} ms, got ${mine.length}.`];
    mine.forEach((m, i) => lines.push(`  [${i}] via ${m.via}: ${describeMessage(m.message)}`));
    const others = this.delivered.filter((m) => m.userId !== userId);
    if (others.length > 0) {
      lines.push(`Sent to other users (${others.length}):`);
      for (const m of others.slice(-10)) lines.push(`  ${m.userId} via ${m.via}: ${describeMessage(m.message)}`);
    }
    const failed = this.requests.filter((r) => r.status >= 400);
    if (failed.length > 0) {
      lines.push(`Failed requests (${failed.length}):`);
      for (const r of failed.slice(-10)) {
        lines.push(`  ${r.method} ${r.path} -> ${r.status}${r.schemaErrors.length ? `: ${r.schemaErrors.join('; ')}` : ''}`);
      }
    }
    lines.push(`Requests seen: ${this.requests.length}.`);
    return lines.join('\n');
  }
}

function methodNotAllowed(): Reply {
  return { status: 405, body: { message: 'Method Not Allowed' } };
}

function defaultFaultBody(status: number): unknown {
  if (status === 429) return { message: LINE_ERRORS.rateLimited };
  if (status >= 500) return { message: 'Internal server error' };
  return { message: http.STATUS_CODES[status] ?? `Error ${status}` };
}
