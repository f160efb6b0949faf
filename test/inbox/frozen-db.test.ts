import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../src/app/web.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestBot, TEST_SECRET, type TestBot } from '../support/bot.js';
import { ev, signedBody } from '../support/events.js';
import { startFreezeProxy } from '../support/freeze-proxy.js';

let bot: TestBot;
let proxy: Awaited<ReturnType<typeof startFreezeProxy>>;
let rt: Runtime;
let web: WebApp;

beforeAll(async () => {
  bot = await startTestBot('frozen');
  proxy = await startFreezeProxy(bot.db.uri);
  rt = await createRuntime({ config: bot.config, logger: createLogger('silent'), mongoUri: proxy.uri });
  web = createWebApp(rt);
});
afterAll(async () => {
  proxy?.thaw();
  await web?.stop();
  await rt?.close().catch(() => undefined);
  await proxy?.close();
  await bot?.close();
});

const post = (events: unknown[]) => {
  const { body, signature } = signedBody(events, TEST_SECRET);
  return request(web.app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', signature).send(body);
};

describe('a frozen database (stopped, not killed)', () => {
  it('when the database stops answering, then webhooks get a quick 503 and /healthz says 503; when it answers again, a redelivery is handled once', async () => {
    const u = bot.user();
    const e = ev.text(u.id, 'hello');
    bot.fake.registerReplyToken(e.replyToken!, u.id);
    proxy.freeze();
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => post([e])));
    expect(Date.now() - t0).toBeLessThan(1_900); // inside LINE's 2 s, all of them
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(503));
    const t1 = Date.now();
    expect((await request(web.app).get('/healthz')).status).toBe(503);
    expect(Date.now() - t1).toBeLessThan(1_500);

    proxy.thaw();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await post([{ ...e, deliveryContext: { isRedelivery: true } }])).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    for (let i = 0; i < 50 && bot.fake.sent(u.id).length < 1; i++) {
      rt.processor.kick(u.id, 0);
      await rt.processor.idle();
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.fake.sent(u.id)).toHaveLength(1);
  }, 30_000);
});
