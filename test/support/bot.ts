import request from 'supertest';
import type { messagingApi, webhook } from '@line/bot-sdk';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger } from '../../src/core/logger.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../src/app/web.js';
import { FakeLine, type SentMessage } from '../../dev/fake-line/server.js';
import { freshDatabase, type FreshDatabase } from './db.js';
import { ev, signedBody } from './events.js';

export const TEST_SECRET = 'test-channel-secret';
export const TEST_TOKEN = 'test-channel-access-token';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestBot {
  fake: FakeLine;
  rt: Runtime;
  web: WebApp;
  db: FreshDatabase;
  config: Config;
  /** POSTs a correctly signed webhook carrying these events. */
  deliver(events: readonly webhook.Event[]): Promise<request.Response>;
  /** Waits until every stored event has been processed and the outbox items due are sent. */
  settle(): Promise<void>;
  user(userId?: string, profile?: { language?: string; displayName?: string }): ChatUser;
  close(): Promise<void>;
}

let userSeq = 0;

/**
 * The whole bot as production runs it — express app, real database, LINE gateway — against the
 * fake LINE API. Each call gets its own database.
 */
export async function startTestBot(label: string, env: Record<string, string> = {}, opts: { flowsDir?: string; db?: FreshDatabase } = {}): Promise<TestBot> {
  const fake = await FakeLine.start({ channelAccessToken: TEST_TOKEN });
  // Another bot's database: a second instance (e.g. restarted with other keys) on the same data.
  const db = opts.db ?? (await freshDatabase(label));
  const config = loadConfig({
    NODE_ENV: 'test',
    LINE_CHANNEL_SECRET: TEST_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TEST_TOKEN,
    LINE_API_BASE_URL: fake.url,
    LINE_DATA_API_BASE_URL: fake.url,
    LINE_REQUEST_TIMEOUT_MS: '2000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    INBOX_SETTLE_MS: '0',
    ...env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const rt = await createRuntime({ config, logger, mongoUri: db.uri, gateway: { baseDelayMs: 10 }, outbox: { baseDelayMs: 20, pollMs: 100 }, inbox: { retryDelaysMs: [20, 40, 80, 160] }, flowsDir: opts.flowsDir });
  const web = createWebApp(rt);
  const bot: TestBot = {
    fake,
    rt,
    web,
    db,
    config,
    async deliver(events) {
      for (const e of events) {
        const token = (e as { replyToken?: string }).replyToken;
        const uid = e.source?.type === 'user' ? e.source.userId : undefined;
        if (token && uid) fake.registerReplyToken(token, uid);
      }
      const { body, signature } = signedBody(events, TEST_SECRET);
      return request(web.app)
        .post('/webhook')
        .set('content-type', 'application/json')
        .set('x-line-signature', signature)
        .send(body);
    },
    async settle() {
      await rt.processor.idle();
      // Pushes recorded by the handlers (promotion notices) that are due go out now.
      await rt.drainer.drainOnce();
    },
    user(userId, profile) {
      const id = userId ?? `U${(++userSeq).toString(16).padStart(32, '0')}`;
      if (profile) fake.setProfile(id, profile);
      return new ChatUser(bot, id);
    },
    async close() {
      await web.stop();
      await rt.close();
      if (!opts.db) await db.drop().catch(() => undefined);
      await fake.close();
    },
  };
  return bot;
}

type Msg = messagingApi.Message & { text?: string; altText?: string; quickReply?: messagingApi.QuickReply };

/** What the bot sent back for one thing the user did. */
export class Answer {
  constructor(readonly sent: SentMessage[]) {}
  get messages(): Msg[] {
    return this.sent.map((s) => s.message as Msg);
  }
  /** Texts (and alt texts of rich messages), joined: handy for toContain. */
  get text(): string {
    return this.messages.map((m) => m.text ?? m.altText ?? '').join('\n');
  }
  /** Labels of the quick replies on the last message. */
  get choices(): string[] {
    const last = this.messages.at(-1);
    return (last?.quickReply?.items ?? []).map((i) => (i.action as { label?: string }).label ?? '');
  }
  action(label: string): messagingApi.Action {
    for (const m of [...this.messages].reverse()) {
      const item = (m.quickReply?.items ?? []).find((i) => (i.action as { label?: string }).label === label);
      if (item?.action) return item.action;
      const found = findAction(m, label);
      if (found) return found;
    }
    throw new Error(`no button "${label}" in the answer; choices: ${this.choices.join(' | ')}; text: ${this.text.slice(0, 300)}`);
  }
}

function findAction(node: unknown, label: string): messagingApi.Action | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const o = node as Record<string, unknown>;
  const a = o.action as { label?: string } | undefined;
  if (a && typeof a === 'object' && a.label === label) return a as messagingApi.Action;
  for (const v of Object.values(o)) {
    const f = findAction(v, label);
    if (f) return f;
  }
  return undefined;
}

/** One simulated LINE user: a test reads like a chat. */
export class ChatUser {
  last: Answer = new Answer([]);
  constructor(
    readonly bot: TestBot,
    readonly id: string,
  ) {}

  private async act(event: webhook.Event): Promise<Answer> {
    const before = this.bot.fake.sent(this.id).length;
    const res = await this.bot.deliver([event]);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    await this.bot.settle();
    this.last = new Answer(this.bot.fake.sent(this.id).slice(before));
    return this.last;
  }

  follow() {
    return this.act(ev.follow(this.id));
  }
  unfollow() {
    return this.act(ev.unfollow(this.id));
  }
  says(text: string) {
    return this.act(ev.text(this.id, text));
  }
  postback(data: string, params?: Record<string, string>) {
    return this.act(ev.postback(this.id, data, params));
  }
  sharesLocation(lat: number, lng: number, address = '') {
    return this.act(ev.location(this.id, lat, lng, address));
  }
  sendsSticker() {
    return this.act(ev.sticker(this.id));
  }
  /** Taps a button (quick reply, flex or template) from the last answer, by its label. */
  taps(label: string, params?: Record<string, string>) {
    const action = this.last.action(label) as { type: string; data?: string; text?: string };
    if (action.type === 'postback' || action.type === 'datetimepicker') return this.postback(action.data ?? '', params);
    if (action.type === 'message') return this.says(action.text ?? label);
    throw new Error(`button "${label}" is a ${action.type} action; use the matching helper`);
  }
}

/**
 * Events stored and not yet processed for a chat: a user's wait in their session document
 * (`inbox`, see src/inbox/inbox.ts), other chats' in inbox_pending.
 */
export async function waitingEvents(rt: Runtime, userKey: string): Promise<number> {
  const s = await rt.models.Session.collection.findOne({ _id: userKey as never });
  const inUser = s?.inbox && typeof s.inbox === 'object' ? Object.keys(s.inbox as object).length : 0;
  return inUser + (await rt.models.InboxPending.countDocuments({ userKey }));
}
