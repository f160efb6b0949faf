import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../src/app/web.js';
import { createLogger } from '../../src/core/logger.js';
import { ev, signedBody } from '../support/events.js';
import { waitFor } from '../support/wait.js';
import { startTestBot, TEST_SECRET, type TestBot } from '../support/bot.js';

// A web process that dies between saving a user's session and getting its answer to LINE: the
// answer was saved in the same conditional write as the session, so the process that takes the
// user over delivers it, once (LINE takes a reply token once; the fake LINE does the same).

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot('answer-takeover', { INBOX_LEASE_MS: '1000', INBOX_SWEEP_SECONDS: '1' });
});
afterAll(async () => bot?.close());

/**
 * The dying process's way to LINE: forwards to the fake LINE, except that message requests can be
 * held (never answered: the process dies while waiting) — before reaching LINE, or after LINE
 * took them. `cut()` is the process's death: its connections go, nothing more gets through.
 */
async function lineLink(target: string, hold: 'before' | 'after') {
  const sockets = new Set<Socket>();
  let held = 0;
  let cut = false;
  const body = (req: IncomingMessage) => new Promise<Buffer>((r) => { const parts: Buffer[] = []; req.on('data', (c: Buffer) => parts.push(c)); req.on('end', () => r(Buffer.concat(parts))); });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const data = await body(req);
      const message = /\/v2\/bot\/message\/(reply|push)/.test(req.url ?? '');
      if (cut || (message && hold === 'before')) {
        held++;
        return; // never reaches LINE, never answered
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const r = await fetch(`${target}${req.url}`, { method: req.method, headers, ...(data.length ? { body: new Uint8Array(data) } : {}) });
      const out = Buffer.from(await r.arrayBuffer());
      if (message) {
        held++;
        return; // LINE took it; its answer never comes back
      }
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
      res.end(out);
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    cut() {
      cut = true;
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** A second web process on the same database, reaching LINE through `lineUrl`. */
async function dyingProcess(lineUrl: string): Promise<{ rt: Runtime; web: WebApp; kill(): Promise<void> }> {
  const rt = await createRuntime({
    config: { ...bot.config, LINE_API_BASE_URL: lineUrl, LINE_REQUEST_TIMEOUT_MS: 60_000 } as typeof bot.config,
    logger: createLogger('silent'),
    mongoUri: bot.db.uri,
    gateway: { baseDelayMs: 10 },
  });
  return {
    rt,
    web: createWebApp(rt),
    // As faults.ts kills a process: nothing shut down gracefully, no lease released.
    async kill() {
      void rt.processor.stop();
      void rt.drainer.stop();
      await rt.db.conn.close(true).catch(() => undefined);
    },
  };
}

const post = (app: WebApp['app'], events: unknown[]) => {
  const { body, signature } = signedBody(events, TEST_SECRET);
  return request(app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', signature).send(body);
};
let sweeping = false;
const startSweeper = () => {
  if (!sweeping) bot.web.startSweeper();
  sweeping = true;
};
const sessionOf = async (userId: string) => bot.rt.models.Session.findById(userId).lean();

describe('a web process dies between saving a session and sending its answer', () => {
  it('when it dies before the reply reached LINE, then the sweeper of another process replies with the same token (through four 500s), once, and nothing is pushed', async () => {
    const link = await lineLink(bot.fake.url, 'before');
    const dying = await dyingProcess(link.url);
    const u = bot.user();
    const e = ev.text(u.id, 'สวัสดี');
    bot.fake.registerReplyToken(e.replyToken!, u.id);
    expect((await post(dying.web.app, [e])).status).toBe(200);
    await waitFor(() => link.held() > 0, 10_000); // the session is saved, the reply on its way
    expect(link.held()).toBeGreaterThan(0);
    expect((await sessionOf(u.id))?.applied).toEqual([e.webhookEventId]);
    await dying.kill();
    link.cut();
    // LINE answering 500 took nothing: the taker-over keeps replying (it may never push instead).
    bot.fake.fail({ path: '/v2/bot/message/reply', status: 500, times: 4 });
    startSweeper();
    await waitFor(() => bot.fake.sent(u.id).length > 0, 15_000);
    await bot.settle();
    await new Promise((r) => setTimeout(r, 300)); // a double would show by now
    expect(bot.fake.sent(u.id)).toHaveLength(1);
    expect(bot.fake.sent(u.id)[0]!.via).toBe('reply');
    expect(bot.fake.requests.filter((r) => r.path === '/v2/bot/message/reply' && (r.body as { replyToken: string }).replyToken === e.replyToken).map((r) => r.status)).toEqual([500, 500, 500, 500, 200]);
    expect(bot.fake.requests.filter((r) => r.path === '/v2/bot/message/push')).toHaveLength(0);
    const s = await sessionOf(u.id);
    expect(s?.answer ?? null).toBeNull();
    expect(s?.leaseOwner ?? null).toBeNull();
  }, 30_000);

  it('when it dies after LINE took the reply but before the answer came back, then the other process\'s reply with the same token is refused and nothing is sent twice', async () => {
    const link = await lineLink(bot.fake.url, 'after');
    const dying = await dyingProcess(link.url);
    const u = bot.user();
    const first = ev.text(u.id, 'สวัสดี');
    bot.fake.registerReplyToken(first.replyToken!, u.id);
    expect((await post(dying.web.app, [first])).status).toBe(200);
    await waitFor(() => link.held() > 0, 10_000);
    expect(bot.fake.sent(u.id)).toHaveLength(1); // LINE took it
    await dying.kill();
    link.cut();
    // The user writes again, to the live process: it waits out the dead one's lease, finds the
    // saved answer, replies with its token (refused: used) and answers the new message.
    const second = ev.text(u.id, 'ขอบคุณ');
    expect((await bot.deliver([second])).status).toBe(200);
    await waitFor(() => bot.fake.sent(u.id).length >= 2, 15_000);
    await bot.settle();
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.fake.sent(u.id)).toHaveLength(2);
    expect(bot.fake.sent(u.id).every((m) => m.via === 'reply')).toBe(true);
    expect(bot.fake.requests.filter((r) => r.path === '/v2/bot/message/push')).toHaveLength(0);
    expect((await sessionOf(u.id))?.applied).toEqual([first.webhookEventId, second.webhookEventId]);
    // The refused re-reply is on record as an unknown outcome, not pushed.
    expect(await bot.rt.models.Outbox.countDocuments({ _id: `evt:${first.webhookEventId}:reply`, status: 'unknown' })).toBe(1);
  }, 30_000);

  it('when the session save lands but its acknowledgement is lost, then the answer saved with it is sent, once', async () => {
    const u = bot.user();
    const commit = bot.rt.sessions.commit.bind(bot.rt.sessions);
    let calls = 0;
    bot.rt.sessions.commit = async (session, ...rest) => {
      if (calls++ > 0) return commit(session, ...rest);
      // The write lands (on a copy: the caller learns nothing of it), its answer is lost.
      await commit(structuredClone(session), ...rest);
      throw new Error('connection reset after the write (injected)');
    };
    try {
      const e = ev.text(u.id, 'สวัสดี');
      expect((await bot.deliver([e])).status).toBe(200);
      await bot.settle();
      startSweeper();
      await waitFor(() => bot.fake.sent(u.id).length > 0, 15_000);
      await bot.settle();
      await new Promise((r) => setTimeout(r, 300));
      expect(bot.fake.sent(u.id)).toHaveLength(1);
      expect(bot.fake.sent(u.id)[0]!.via).toBe('reply');
      expect((await sessionOf(u.id))?.applied).toEqual([e.webhookEventId]);
    } finally {
      bot.rt.sessions.commit = commit;
    }
  }, 30_000);
});
