import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { LineDeliveryError, LineGateway, type DeliveryFailure } from '../../src/line/gateway.js';
import { LinePayloadError } from '../../src/line/limits.js';
import { text } from '../../src/bot/messages.js';
import { FakeLine } from '../../dev/fake-line/server.js';

const TOKEN = 'gw-token';
let fake: FakeLine;
let failures: DeliveryFailure[];
let gw: LineGateway;
let now = Date.now();

beforeAll(async () => {
  fake = await FakeLine.start({ channelAccessToken: TOKEN });
  // Warm up the fake's request path (schema compilation, first connection) once, so the first
  // test's 300 ms reply deadline measures the gateway, not a cold start on a loaded machine.
  fake.registerReplyToken('warm-up', 'U1');
  await fetch(`${fake.url}/v2/bot/message/reply`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ replyToken: 'warm-up', messages: [{ type: 'text', text: 'hi' }] }) });
});
afterAll(async () => fake?.close());
// Every request the gateway made must match LINE's OpenAPI definitions.
afterEach(() => expect(fake.schemaErrors()).toEqual([]));
beforeEach(() => {
  fake.reset();
  failures = [];
  now = Date.now();
  gw = new LineGateway({
    channelAccessToken: TOKEN,
    baseURL: fake.url,
    timeoutMs: 300,
    logger: createLogger('silent'),
    baseDelayMs: 5,
    maxAttempts: 4,
    onFailure: (f) => void failures.push(f),
    now: () => now,
  });
});

const msgs = (n: number) => Array.from({ length: n }, (_, i) => text(`message ${i + 1}`));
const paths = () => fake.requests.map((r) => r.path);

describe('LineGateway.reply', () => {
  it('when the reply token is valid, then it replies once', async () => {
    fake.registerReplyToken('tok1', 'U1');
    const r = await gw.reply('tok1', msgs(2));
    expect(r).toEqual({ outcome: 'sent', attempts: 1 });
    expect(paths()).toEqual(['/v2/bot/message/reply']);
  });

  it('when the token is older than the reply window, then it is not fresh', () => {
    expect(gw.isFresh(now - 55_000)).toBe(false);
    expect(gw.isFresh(now - 1_000)).toBe(true);
  });

  it('when LINE rejects a token never used, then the outcome is refused and nothing was sent', async () => {
    const r = await gw.reply('never-registered', msgs(1));
    expect(r.outcome).toBe('refused');
    expect(fake.sent('U1')).toHaveLength(0);
  });

  it('when the reply is slower than the timeout, then it is aborted, tried again with the token, and delivered once', async () => {
    fake.registerReplyToken('tok-slow', 'U1');
    fake.fail({ path: '/v2/bot/message/reply', delayMs: 600 });
    const started = Date.now();
    const r = await gw.reply('tok-slow', msgs(1));
    expect(Date.now() - started).toBeLessThan(600); // really aborted at 300 ms, not waited out
    expect(r.outcome).toBe('sent');
    await new Promise((res) => setTimeout(res, 700)); // the held request is served late: token used
    expect(fake.sent('U1')).toHaveLength(1);
  });

  it('when LINE accepts the reply but the answer is lost, then the outcome is unknown and it is not sent again', async () => {
    fake.registerReplyToken('tok-lost', 'U1');
    fake.fail({ path: '/v2/bot/message/reply', drop: 'after' });
    const r = await gw.reply('tok-lost', msgs(1));
    expect(r.outcome).toBe('unknown');
    expect(fake.sent('U1')).toHaveLength(1);
  });

  it('when LINE answers 500 to a reply, then the token is tried again and the reply lands once', async () => {
    fake.registerReplyToken('tok-500', 'U1');
    fake.fail({ path: '/v2/bot/message/reply', status: 500 });
    const r = await gw.reply('tok-500', msgs(1));
    expect(r).toEqual({ outcome: 'sent', attempts: 2 });
    expect(fake.sent('U1')).toHaveLength(1);
  });

  it('when a quick-reply label is over 20 characters, then nothing is sent and the error names it', async () => {
    const bad = text('pick', [{ label: 'x'.repeat(21), data: 'a=1' }]);
    await expect(gw.reply('t', [bad])).rejects.toThrow(LinePayloadError);
    await expect(gw.push('U1', [bad])).rejects.toThrow(/quickReply\.items\[0\]\.action\.label: 21/);
    expect(fake.requests).toHaveLength(0);
  });

  it('when a text is over 5,000 characters or postback data over 300, then it is refused before sending', async () => {
    await expect(gw.push('U1', [text('ก'.repeat(5001))])).rejects.toThrow(/text: 5001/);
    await expect(gw.push('U1', [text('ok', [{ label: 'a', data: 'd'.repeat(301) }])])).rejects.toThrow(/data: 301/);
    await expect(gw.push('U1', [text('ok', Array.from({ length: 14 }, (_, i) => ({ label: `o${i}`, data: `i=${i}` })))])).rejects.toThrow(/items: 14/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('LineGateway.push retries', () => {
  it('when LINE answers 500 twice, then it retries with the same retry key and body and delivers once', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 500, times: 2 });
    await gw.push('U2', msgs(1));
    const pushes = fake.requests.filter((r) => r.path === '/v2/bot/message/push');
    expect(pushes.map((p) => p.status)).toEqual([500, 500, 200]);
    const keys = new Set(pushes.map((p) => p.headers['x-line-retry-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(pushes.map((p) => JSON.stringify(p.body))).size).toBe(1);
    expect(fake.sent('U2')).toHaveLength(1);
  });

  it('when rate limited (429), then it backs off and retries', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 429, body: { message: 'The API rate limit has been exceeded. Try again later.' } });
    await gw.push('U2', msgs(1));
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('when the first attempt is accepted but its answer is lost, then the 409 of the retry counts as sent', async () => {
    // The fake delivers, then answers too late for the gateway's 300 ms timeout.
    fake.fail({ path: '/v2/bot/message/push', delayMs: 500 });
    await gw.push('U3', msgs(1));
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.sent('U3')).toHaveLength(1);
    expect(fake.requests.some((r) => r.status === 409)).toBe(true);
    expect(failures).toHaveLength(0);
  });

  it('when the monthly quota is exhausted, then it does not retry and reports the failure', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 429, body: { message: 'You have reached your monthly limit.' } });
    const err = await gw.push('U4', msgs(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineDeliveryError);
    expect((err as LineDeliveryError).kind).toBe('quota');
    expect(fake.requests).toHaveLength(1);
    expect(failures).toEqual([expect.objectContaining({ kind: 'push:quota', status: 429 })]);
    expect(JSON.stringify(failures)).not.toContain('U4');
  });

  it('when LINE keeps failing, then it gives up after the attempts and reports', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 503, times: 10 });
    await expect(gw.push('U5', msgs(1))).rejects.toThrow(LineDeliveryError);
    expect(fake.requests).toHaveLength(4);
    expect(failures[0]?.kind).toBe('push:unavailable');
  });

  it('when LINE rejects the request (400), then it is not retried', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 400, body: { message: 'bad' } });
    await expect(gw.push('U6', msgs(1))).rejects.toMatchObject({ kind: 'rejected' });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('LineGateway.multicast', () => {
  it('when there are 1,201 recipients, then three requests of at most 500, each with its own retry key', async () => {
    const ids = Array.from({ length: 1201 }, (_, i) => `U${String(i).padStart(32, '0')}`);
    const r = await gw.multicast(ids, msgs(1));
    expect(r.sent).toHaveLength(1201);
    const reqs = fake.requests.filter((q) => q.path === '/v2/bot/message/multicast');
    expect(reqs.map((q) => (q.body as { to: string[] }).to.length)).toEqual([500, 500, 201]);
    expect(new Set(reqs.map((q) => q.headers['x-line-retry-key'])).size).toBe(3);
  });

  it('when the quota runs out mid-way, then the rest is not attempted and is returned as failed', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `U${String(i).padStart(32, '0')}`);
    fake.fail({ path: '/v2/bot/message/multicast', status: 429, body: { message: 'You have reached your monthly limit.' } });
    const r = await gw.multicast(ids, msgs(1));
    expect(r.quotaExhausted).toBe(true);
    expect(r.failed).toHaveLength(1000);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('LineGateway extras', () => {
  it('when asked to show loading, then it calls the loading endpoint with a multiple of 5 seconds', async () => {
    await gw.showLoading('U7', 7);
    const req = fake.requests.find((r) => r.path === '/v2/bot/chat/loading/start');
    expect(req?.body).toEqual({ chatId: 'U7', loadingSeconds: 10 });
  });

  it('when the profile has a language, then it is returned; unknown users give undefined', async () => {
    fake.setProfile('U8', { displayName: 'Somsri', language: 'en' });
    expect(await gw.getProfileLanguage('U8')).toBe('en');
    expect(await gw.getProfileLanguage('Unobody')).toBeUndefined();
  });

});
