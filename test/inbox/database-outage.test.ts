import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { createWebApp, type WebApp } from '../../src/app/web.js';
import { loadConfig } from '../../src/config/env.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../dev/embedded-db.js';
import { createLogger } from '../../src/core/logger.js';
import { projectRoot } from '../../src/core/paths.js';
import { FakeLine } from '../../dev/fake-line/server.js';
import { ev, signedBody } from '../support/events.js';
import { TEST_SECRET, TEST_TOKEN } from '../support/bot.js';

// This file runs its own database server so that it can stop and restart it.
let dataDir: string;
let db: EmbeddedDatabase;
let port: number;
let fake: FakeLine;
let rt: Runtime;
let web: WebApp;

const start = () =>
  startEmbeddedDatabase({ dataDir, cacheDir: join(projectRoot, '.cache'), projectRoot, port: port || undefined });

beforeAll(async () => {
  if (process.env.MONGODB_URI) return; // an external database cannot be stopped from here
  dataDir = mkdtempSync(join(tmpdir(), 'otopbot-outage-'));
  db = await start();
  port = Number(new URL(db.uri).port);
  fake = await FakeLine.start({ channelAccessToken: TEST_TOKEN });
  const config = loadConfig({
    LINE_CHANNEL_SECRET: TEST_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TEST_TOKEN,
    LINE_API_BASE_URL: fake.url,
    LOG_LEVEL: 'silent',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
  });
  rt = await createRuntime({ config, logger: createLogger('silent'), mongoUri: `${db.uri.replace(/\/?$/, '')}/outage` });
  web = createWebApp(rt);
});

afterAll(async () => {
  await web?.stop();
  await rt?.close().catch(() => undefined);
  await db?.stop();
  await fake?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const post = (events: unknown[]) => {
  const { body, signature } = signedBody(events, TEST_SECRET);
  return request(web.app).post('/webhook').set('content-type', 'application/json').set('x-line-signature', signature).send(body);
};

describe.skipIf(Boolean(process.env.MONGODB_URI))('when the database goes away and comes back', () => {
  it('then webhooks get a quick 503 while it is down, health says 503, and a redelivery after it returns is processed once', async () => {
    const userId = 'U' + 'd'.repeat(32);
    const e = ev.text(userId, 'hello');
    fake.registerReplyToken(e.replyToken!, userId);

    await db.stop();
    const t0 = Date.now();
    const down = await post([e]);
    const elapsed = Date.now() - t0;
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(2_000); // inside LINE's 2-second limit
    expect((await request(web.app).get('/healthz')).status).toBe(503);

    db = await start();
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = (await request(web.app).get('/healthz')).status === 200;
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy).toBe(true);

    const redelivered = { ...e, deliveryContext: { isRedelivery: true } };
    expect((await post([redelivered])).status).toBe(200);
    expect((await post([redelivered])).status).toBe(200);
    await rt.processor.idle();
    expect(fake.sent(userId)).toHaveLength(1);
  });
});
