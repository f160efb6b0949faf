import { randomUUID } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeLine, type SentMessage } from '../../dev/fake-line/server.js';
import { findOpenApiDir } from '../../dev/fake-line/openapi-validator.js';

const TOKEN = 'test-channel-access-token';
const ALICE = 'U1111111111111111111111111111111a';
const BOB = 'U2222222222222222222222222222222b';
const CAROL = 'U3333333333333333333333333333333c';
const specAvailable = findOpenApiDir() !== null;

let fake: FakeLine;
let client: messagingApi.MessagingApiClient;

beforeAll(async () => {
  fake = await FakeLine.start({ channelAccessToken: TOKEN });
  client = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL: fake.url });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

interface RawResponse {
  status: number;
  headers: Headers;
  json: any;
}

async function raw(path: string, body?: unknown, init: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const res = await fetch(new URL(path, fake.url), {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Run an SDK call that must fail and return its HTTPFetchError. */
async function sdkError(call: Promise<unknown>): Promise<HTTPFetchError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(HTTPFetchError);
    return err as HTTPFetchError;
  }
  throw new Error('expected the SDK call to fail');
}

const push = (messages: unknown[], to = ALICE) => raw('/v2/bot/message/push', { to, messages });
const text = (t: string) => ({ type: 'text', text: t });

describe('FakeLine reply', () => {
  it('when the SDK replies with a registered token, then the message goes to that user and sentMessages come back', async () => {
    fake.registerReplyToken('rt-1', ALICE);
    const res = await client.replyMessage({ replyToken: 'rt-1', messages: [{ type: 'text', text: 'hello' }] });
    expect(res.sentMessages).toHaveLength(1);
    expect(res.sentMessages[0]?.id).toMatch(/^\d+$/);
    expect(res.sentMessages[0]?.quoteToken).toBeTruthy();
    const sent = fake.sent(ALICE);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ userId: ALICE, via: 'reply', message: { type: 'text', text: 'hello' } });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v2/bot/message/reply', status: 200, schemaErrors: [] });
    expect(fake.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
  });

  it('when a reply token is used twice, then the second reply gets 400 "Invalid reply token" and nothing more is delivered', async () => {
    fake.registerReplyToken('rt-once', ALICE);
    await client.replyMessage({ replyToken: 'rt-once', messages: [{ type: 'text', text: 'first' }] });
    const err = await sdkError(client.replyMessage({ replyToken: 'rt-once', messages: [{ type: 'text', text: 'second' }] }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body)).toEqual({ message: 'Invalid reply token' });
    expect(fake.sent(ALICE).map((m) => m.message.text)).toEqual(['first']);
  });

  it('when the reply token was never registered, then the reply gets 400 "Invalid reply token"', async () => {
    const err = await sdkError(client.replyMessage({ replyToken: 'nope', messages: [{ type: 'text', text: 'x' }] }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body).message).toBe('Invalid reply token');
    expect(fake.sent()).toEqual([]);
  });

  it('when the reply token is older than replyTokenTtlMs, then the reply gets 400', async () => {
    const quick = await FakeLine.start({ replyTokenTtlMs: 30 });
    try {
      const c = new messagingApi.MessagingApiClient({ channelAccessToken: 'any', baseURL: quick.url });
      quick.registerReplyToken('rt-old', ALICE);
      await new Promise((r) => setTimeout(r, 60));
      const err = await sdkError(c.replyMessage({ replyToken: 'rt-old', messages: [{ type: 'text', text: 'late' }] }));
      expect(err.status).toBe(400);
      expect(quick.sent()).toEqual([]);
    } finally {
      await quick.close();
    }
  });

  it('when a reply fails validation, then the token is not used up', async () => {
    fake.registerReplyToken('rt-keep', ALICE);
    const bad = await raw('/v2/bot/message/reply', { replyToken: 'rt-keep', messages: [] });
    expect(bad.status).toBe(400);
    const ok = await raw('/v2/bot/message/reply', { replyToken: 'rt-keep', messages: [text('ok')] });
    expect(ok.status).toBe(200);
  });
});

describe('FakeLine push, multicast, broadcast', () => {
  it('when the SDK pushes, then the message is delivered with a quote token and counts against the quota', async () => {
    const res = await client.pushMessage({ to: BOB, messages: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] });
    expect(res.sentMessages).toHaveLength(2);
    expect(fake.sent(BOB).map((m) => [m.via, m.message.text])).toEqual([
      ['push', 'a'],
      ['push', 'b'],
    ]);
    expect(fake.sent(BOB)[0]?.id).toBe(res.sentMessages[0]?.id);
    // Two message objects to one recipient count as one message.
    expect(await client.getMessageQuotaConsumption()).toEqual({ totalUsage: 1 });
  });

  it('when a push repeats an accepted retry key, then it gets 409 with x-line-accepted-request-id and nothing is delivered twice', async () => {
    const key = randomUUID();
    const first = await client.pushMessageWithHttpInfo({ to: BOB, messages: [{ type: 'text', text: 'once' }] }, key);
    const requestId = first.httpResponse.headers.get('x-line-request-id');
    expect(requestId).toBeTruthy();
    const err = await sdkError(client.pushMessage({ to: BOB, messages: [{ type: 'text', text: 'once' }] }, key));
    expect(err.status).toBe(409);
    expect(err.headers.get('x-line-accepted-request-id')).toBe(requestId);
    expect(JSON.parse(err.body).message).toBe('The retry key is already accepted');
    expect(fake.sent(BOB)).toHaveLength(1);
    expect(fake.sent(BOB)[0]?.retryKey).toBe(key);
  });

  it('when a push with a retry key failed with 500, then a retry with the same key is accepted', async () => {
    const key = randomUUID();
    fake.fail({ path: '/v2/bot/message/push', status: 500 });
    const err = await sdkError(client.pushMessage({ to: BOB, messages: [{ type: 'text', text: 'retry me' }] }, key));
    expect(err.status).toBe(500);
    expect(fake.sent(BOB)).toEqual([]);
    await client.pushMessage({ to: BOB, messages: [{ type: 'text', text: 'retry me' }] }, key);
    expect(fake.sent(BOB)).toHaveLength(1);
  });

  it('when the retry key is not a UUID, then the push gets 400', async () => {
    const res = await raw('/v2/bot/message/push', { to: BOB, messages: [text('x')] }, { headers: { 'x-line-retry-key': 'not-a-uuid' } });
    expect(res.status).toBe(400);
    expect(fake.sent()).toEqual([]);
  });

  it('when the SDK multicasts, then every recipient gets the messages and each recipient counts once', async () => {
    const key = randomUUID();
    expect(await client.multicast({ to: [ALICE, BOB, CAROL], messages: [{ type: 'text', text: 'hi all' }] }, key)).toEqual({});
    for (const u of [ALICE, BOB, CAROL]) expect(fake.sent(u)).toMatchObject([{ via: 'multicast', retryKey: key, message: { text: 'hi all' } }]);
    expect((await client.getMessageQuotaConsumption()).totalUsage).toBe(3);
    const again = await sdkError(client.multicast({ to: [ALICE, BOB, CAROL], messages: [{ type: 'text', text: 'hi all' }] }, key));
    expect(again.status).toBe(409);
    expect(fake.sent()).toHaveLength(3);
  });

  it('when a multicast has more than 500 recipients, then it gets 400', async () => {
    const to = Array.from({ length: 501 }, (_, i) => `U${String(i).padStart(32, '0')}`);
    const err = await sdkError(client.multicast({ to, messages: [{ type: 'text', text: 'x' }] }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body).details).toContainEqual(expect.objectContaining({ property: 'to' }));
    expect(fake.sent()).toEqual([]);
  });

  it('when a request carries no message or more than five, then it gets 400', async () => {
    for (const messages of [[], Array.from({ length: 6 }, (_, i) => text(`m${i}`))]) {
      const res = await push(messages);
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/^The request body has \d+ error\(s\)$/);
      expect(res.json.details).toContainEqual(expect.objectContaining({ property: 'messages' }));
    }
    expect(fake.sent()).toEqual([]);
  });

  it('when the SDK broadcasts, then every known user gets it', async () => {
    fake.registerReplyToken('rt-b', ALICE);
    fake.setProfile(CAROL, { displayName: 'Carol' });
    await client.broadcast({ messages: [{ type: 'text', text: 'news' }] }, randomUUID());
    expect(fake.sent().filter((m) => m.via === 'broadcast').map((m) => m.userId).sort()).toEqual([ALICE, CAROL].sort());
  });

  it('when the quota is limited and used up, then push gets 429 "You have reached your monthly limit."', async () => {
    const limited = await FakeLine.start();
    try {
      limited.setQuota(1);
      const c = new messagingApi.MessagingApiClient({ channelAccessToken: 'x', baseURL: limited.url });
      expect(await c.getMessageQuota()).toEqual({ type: 'limited', value: 1 });
      await c.pushMessage({ to: ALICE, messages: [{ type: 'text', text: '1' }] });
      const err = await sdkError(c.pushMessage({ to: ALICE, messages: [{ type: 'text', text: '2' }] }));
      expect(err.status).toBe(429);
      expect(JSON.parse(err.body).message).toBe('You have reached your monthly limit.');
      expect(limited.sent(ALICE)).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});

describe('FakeLine other endpoints', () => {
  it('when the SDK starts the loading animation, then it gets 202 and the request is recorded', async () => {
    const res = await client.showLoadingAnimationWithHttpInfo({ chatId: ALICE, loadingSeconds: 20 });
    expect(res.httpResponse.status).toBe(202);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v2/bot/chat/loading/start', status: 202, body: { chatId: ALICE, loadingSeconds: 20 } });
  });

  it('when loadingSeconds is not a multiple of 5 or above 60, then it gets 400', async () => {
    for (const loadingSeconds of [7, 65]) {
      const err = await sdkError(client.showLoadingAnimation({ chatId: ALICE, loadingSeconds }));
      expect(err.status).toBe(400);
    }
  });

  it('when the profile is unknown, then the SDK gets 404 {"message":"Not found"}', async () => {
    const err = await sdkError(client.getProfile('Uunknown'));
    expect(err.status).toBe(404);
    expect(JSON.parse(err.body)).toEqual({ message: 'Not found' });
  });

  it('when a profile was set, then the SDK gets it and language stays absent unless given', async () => {
    fake.setProfile(ALICE, { displayName: 'Alice' });
    expect(await client.getProfile(ALICE)).toEqual({ userId: ALICE, displayName: 'Alice' });
    fake.setProfile(BOB, { displayName: 'Bob', language: 'th', pictureUrl: 'https://example.com/bob.png' });
    expect(await client.getProfile(BOB)).toEqual({ userId: BOB, displayName: 'Bob', language: 'th', pictureUrl: 'https://example.com/bob.png' });
  });

  it('when reset, then profiles survive but requests and sent messages are forgotten', async () => {
    fake.setProfile(ALICE, { displayName: 'Alice' });
    await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'x' }] });
    fake.reset();
    expect(fake.requests).toEqual([]);
    expect(fake.sent()).toEqual([]);
    expect((await client.getProfile(ALICE)).displayName).toBe('Alice');
  });

  it('when the SDK asks for quota and bot info, then it gets LINE-shaped answers', async () => {
    expect(await client.getMessageQuota()).toEqual({ type: 'none' });
    expect(await client.getMessageQuotaConsumption()).toEqual({ totalUsage: 0 });
    const info = await client.getBotInfo();
    expect(info).toMatchObject({ chatMode: expect.any(String), markAsReadMode: expect.any(String), basicId: expect.any(String) });
  });

  it('when the path is unknown, then it gets 404 JSON', async () => {
    const res = await raw('/v2/bot/nope');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: 'Not found' });
  });

  it('when the access token is wrong or missing, then it gets 401 and nothing is delivered', async () => {
    const wrong = new messagingApi.MessagingApiClient({ channelAccessToken: 'wrong', baseURL: fake.url });
    const err = await sdkError(wrong.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'x' }] }));
    expect(err.status).toBe(401);
    expect(JSON.parse(err.body).message).toMatch(/^Authentication failed/);
    const res = await fetch(new URL('/v2/bot/info', fake.url));
    expect(res.status).toBe(401);
    expect(fake.sent()).toEqual([]);
  });

  it('when messages are delivered, then "sent" and "request" events fire', async () => {
    const sent: SentMessage[] = [];
    const paths: string[] = [];
    const onSent = (m: SentMessage) => sent.push(m);
    const onRequest = (r: { path: string }) => paths.push(r.path);
    fake.on('sent', onSent).on('request', onRequest);
    try {
      await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'evt' }] });
      await new Promise((r) => setTimeout(r, 10));
      expect(sent.map((m) => m.message.text)).toEqual(['evt']);
      expect(paths).toEqual(['/v2/bot/message/push']);
    } finally {
      fake.off('sent', onSent).off('request', onRequest);
    }
  });

  it('when a message arrives later, then waitForSent resolves; when it never arrives, then the error lists what was sent', async () => {
    const waiting = fake.waitForSent(ALICE, 2, 2000);
    await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'one' }] });
    await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'two' }] });
    expect((await waiting).map((m) => m.message.text)).toEqual(['one', 'two']);

    await push([text('x'.repeat(5001))], BOB);
    await expect(fake.waitForSent(ALICE, 3, 50)).rejects.toThrow(/expected >= 3 message\(s\) to U1+a.*got 2[\s\S]*text "one"[\s\S]*text "two"[\s\S]*Failed requests[\s\S]*messages\[0\]\.text/);
  });

  it('when closed with keep-alive connections open, then close resolves promptly', async () => {
    const f = await FakeLine.start();
    const c = new messagingApi.MessagingApiClient({ channelAccessToken: 'x', baseURL: f.url });
    await c.getBotInfo();
    const t0 = Date.now();
    await f.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('FakeLine faults', () => {
  it('when a 429 quota fault is queued, then the next push fails with that body, is recorded and delivers nothing', async () => {
    fake.fail({ path: '/v2/bot/message/push', status: 429, body: { message: 'You have reached your monthly limit.' } });
    const err = await sdkError(client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'x' }] }));
    expect(err.status).toBe(429);
    expect(JSON.parse(err.body)).toEqual({ message: 'You have reached your monthly limit.' });
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v2/bot/message/push', status: 429 });
    expect(fake.sent()).toEqual([]);
    // times defaults to 1
    await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'y' }] });
    expect(fake.sent(ALICE)).toHaveLength(1);
  });

  it('when a 429 fault has no body, then it carries the rate-limit message', async () => {
    fake.fail({ path: /\/message\/(push|multicast)$/, status: 429 });
    const err = await sdkError(client.multicast({ to: [ALICE], messages: [{ type: 'text', text: 'x' }] }));
    expect(err.status).toBe(429);
    expect(JSON.parse(err.body).message).toBe('The API rate limit has been exceeded. Try again later.');
  });

  it('when a 500 fault applies twice, then two requests fail and the third succeeds', async () => {
    fake.fail({ method: 'post', path: '/v2/bot/message/push', status: 500, times: 2, headers: { 'retry-after': '1' } });
    const first = await raw('/v2/bot/message/push', { to: ALICE, messages: [text('x')] });
    expect(first.status).toBe(500);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await push([text('x')])).status).toBe(500);
    expect((await push([text('x')])).status).toBe(200);
    expect(fake.sent(ALICE)).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('when a fault only delays, then the request is served normally after the delay', async () => {
    fake.fail({ path: '/v2/bot/message/push', delayMs: 150 });
    const t0 = Date.now();
    await client.pushMessage({ to: ALICE, messages: [{ type: 'text', text: 'slow' }] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(fake.sent(ALICE)).toHaveLength(1);
  });

  it('when a delayed push times out at the client, then LINE still delivers it and the retry gets 409', async () => {
    const key = randomUUID();
    fake.fail({ path: '/v2/bot/message/push', delayMs: 200 });
    const body = JSON.stringify({ to: ALICE, messages: [text('timeout')] });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-line-retry-key': key };
    await expect(fetch(new URL('/v2/bot/message/push', fake.url), { method: 'POST', headers, body, signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await fake.waitForSent(ALICE, 1, 2000);
    const retry = await raw('/v2/bot/message/push', JSON.parse(body), { headers: { 'x-line-retry-key': key } });
    expect(retry.status).toBe(409);
    expect(fake.sent(ALICE)).toHaveLength(1);
  });

  it('when a fault has a status and a delay, then it answers that status after the delay', async () => {
    fake.fail({ path: '/v2/bot/chat/loading/start', status: 503, delayMs: 100 });
    const t0 = Date.now();
    const err = await sdkError(client.showLoadingAnimation({ chatId: ALICE, loadingSeconds: 5 }));
    expect(err.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});

describe('FakeLine message validation', () => {
  const expectRejected = async (messages: unknown[], property: string | RegExp) => {
    const res = await push(messages);
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.message).toMatch(/^The request body has \d+ error\(s\)$/);
    const props = (res.json.details as { property: string }[]).map((d) => d.property);
    if (typeof property === 'string') expect(props).toContain(property);
    else expect(props.some((p) => property.test(p)), props.join(', ')).toBe(true);
    expect(fake.sent()).toEqual([]);
    expect(fake.schemaErrors().at(-1)?.path).toBe('/v2/bot/message/push');
    return res.json.details as { property: string; message: string }[];
  };
  const qrItem = (label: string) => ({ type: 'action', action: { type: 'message', label, text: label } });
  const bubbleWith = (contents: unknown[]) => ({
    type: 'flex',
    altText: 'flex',
    contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents } },
  });

  it('when a text message has more than 5,000 characters, then it is rejected', async () => {
    await expectRejected([text('x'.repeat(5001))], 'messages[0].text');
    expect((await push([text('x'.repeat(5000))])).status).toBe(200);
  });

  it('when a quick reply has 14 items, then it is rejected', async () => {
    const items = Array.from({ length: 14 }, (_, i) => qrItem(`opt ${i}`));
    await expectRejected([{ ...text('pick'), quickReply: { items } }], 'messages[0].quickReply.items');
  });

  it('when a quick reply label has 21 characters, then it is rejected', async () => {
    await expectRejected([{ ...text('pick'), quickReply: { items: [qrItem('x'.repeat(21))] } }], 'messages[0].quickReply.items[0].action.label');
  });

  it.skipIf(!specAvailable)('when a flex component has a bogus type, then it is rejected', async () => {
    expect(fake.openapi).not.toBeNull();
    await expectRejected([bubbleWith([{ type: 'bogus', text: 'x' }])], 'messages[0].contents.body.contents[0].type');
    // ...also deep inside a carousel bubble's nested box
    const nested = { type: 'box', layout: 'horizontal', contents: [{ type: 'text', text: 'ok' }, { type: 'sparkle' }] };
    const carousel = { type: 'carousel', contents: [{ type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [nested] } }] };
    await expectRejected([{ type: 'flex', altText: 'x', contents: carousel }], 'messages[0].contents.contents[0].body.contents[0].contents[1].type');
  });

  it.skipIf(!specAvailable)('when a flex button has no action, then it is rejected', async () => {
    await expectRejected([bubbleWith([{ type: 'button', style: 'primary' }])], 'messages[0].contents.body.contents[0].action');
  });

  it('when a postback action carries more than 300 characters of data, then it is rejected', async () => {
    const action = { type: 'postback', label: 'go', data: 'd'.repeat(301) };
    await expectRejected([{ ...text('pick'), quickReply: { items: [{ type: 'action', action }] } }], 'messages[0].quickReply.items[0].action.data');
  });

  it.skipIf(!specAvailable)('when a datetimepicker action has a bad mode, then it is rejected', async () => {
    const action = { type: 'datetimepicker', label: 'when', data: 'pick-date', mode: 'week' };
    const details = await expectRejected([bubbleWith([{ type: 'button', action }])], 'messages[0].contents.body.contents[0].action.mode');
    expect(details.find((d) => d.property.endsWith('.mode'))?.message).toMatch(/date.*time.*datetime/);
  });

  it.skipIf(!specAvailable)('when a message or action type is unknown, then it is rejected', async () => {
    await expectRejected([{ type: 'carrier-pigeon', text: 'coo' }], 'messages[0].type');
    await expectRejected([{ ...text('pick'), quickReply: { items: [{ type: 'action', action: { type: 'teleport', label: 'x' } }] } }], 'messages[0].quickReply.items[0].action.type');
  });

  it.skipIf(!specAvailable)('when a template has an unknown type or a flex container is bogus, then it is rejected', async () => {
    await expectRejected([{ type: 'template', altText: 'x', template: { type: 'spinner', text: 'x', actions: [] } }], 'messages[0].template.type');
    await expectRejected([{ type: 'flex', altText: 'x', contents: { type: 'scroll' } }], 'messages[0].contents.type');
  });

  it('when a text message has a quick reply of message, postback, datetimepicker and location actions, then it is accepted', async () => {
    const message: messagingApi.TextMessage = {
      type: 'text',
      text: 'What next?',
      quickReply: {
        items: [
          { type: 'action', action: { type: 'message', label: 'Register', text: 'register' } as messagingApi.MessageAction },
          { type: 'action', action: { type: 'postback', label: 'Later', data: 'step=later', displayText: 'Later' } as messagingApi.PostbackAction },
          {
            type: 'action',
            action: { type: 'datetimepicker', label: 'Pick a date', data: 'step=date', mode: 'date', initial: '2025-01-01' } as messagingApi.DatetimePickerAction,
          },
          { type: 'action', action: { type: 'location', label: 'Send location' } as messagingApi.LocationAction },
        ],
      },
    };
    fake.registerReplyToken('rt-qr', ALICE);
    await client.replyMessage({ replyToken: 'rt-qr', messages: [message] });
    expect(fake.schemaErrors()).toEqual([]);
    expect(fake.sent(ALICE)[0]?.message.quickReply.items).toHaveLength(4);
  });

  it('when a flex bubble and a flex carousel use box, text, button, image and separator, then they are accepted', async () => {
    const bubble = (n: number) => ({
      type: 'bubble',
      hero: { type: 'image', url: `https://example.com/p${n}.png`, size: 'full', aspectRatio: '20:13', aspectMode: 'cover' },
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'md',
        contents: [
          { type: 'text', text: `Product ${n}`, weight: 'bold', size: 'xl', wrap: true },
          { type: 'separator', margin: 'md' },
          {
            type: 'box',
            layout: 'baseline',
            contents: [{ type: 'text', text: 'Price', flex: 1 }, { type: 'text', text: '฿100', flex: 2, align: 'end' }],
          },
        ],
      },
      footer: {
        type: 'box',
        layout: 'vertical',
        contents: [
          { type: 'button', style: 'primary', action: { type: 'postback', label: 'Choose this product', data: `product=${n}` } },
          { type: 'button', style: 'link', action: { type: 'uri', label: 'Open shop', uri: 'https://example.com/shop' } },
        ],
      },
    });
    await client.pushMessage({
      to: ALICE,
      messages: [
        { type: 'flex', altText: 'One product', contents: bubble(1) } as messagingApi.FlexMessage,
        { type: 'flex', altText: 'Products', contents: { type: 'carousel', contents: [bubble(1), bubble(2), bubble(3)] } } as messagingApi.FlexMessage,
      ],
    });
    expect(fake.schemaErrors()).toEqual([]);
    expect(fake.sent(ALICE)).toHaveLength(2);
  });

  it('when a template buttons message is well-formed, then it is accepted', async () => {
    await client.pushMessage({
      to: ALICE,
      messages: [
        {
          type: 'template',
          altText: 'Choose a platform',
          template: {
            type: 'buttons',
            title: 'Marketplace',
            text: 'Where do you want to sell?',
            actions: [
              { type: 'postback', label: 'TikTok Shop', data: 'platform=tiktok' },
              { type: 'postback', label: 'Lazada', data: 'platform=lazada' },
              { type: 'uri', label: 'Help', uri: 'https://example.com/help' },
            ],
          },
        } as messagingApi.TemplateMessage,
      ],
    });
    expect(fake.schemaErrors()).toEqual([]);
  });

  it('when a template has too many buttons or an over-long label, then it is rejected', async () => {
    const actions = Array.from({ length: 5 }, (_, i) => ({ type: 'message', label: `b${i}`, text: `b${i}` }));
    await expectRejected([{ type: 'template', altText: 'x', template: { type: 'buttons', text: 'x', actions } }], 'messages[0].template.actions');
    const long = [{ type: 'message', label: 'x'.repeat(21), text: 'x' }];
    await expectRejected([{ type: 'template', altText: 'x', template: { type: 'buttons', text: 'x', actions: long } }], 'messages[0].template.actions[0].label');
  });

  it('when the body is not JSON, then it gets 400', async () => {
    const res = await fetch(new URL('/v2/bot/message/push', fake.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
  });

  it('when OpenAPI validation is off, then only the structural checks and LINE documented limits apply', async () => {
    const plain = await FakeLine.start({ openapiDir: null });
    try {
      expect(plain.openapi).toBeNull();
      const post = (messages: unknown[]) =>
        fetch(new URL('/v2/bot/message/push', plain.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: ALICE, messages }) });
      expect((await post([text('x'.repeat(5001))])).status).toBe(400);
      expect((await post([])).status).toBe(400);
      expect((await post([bubbleWith([{ type: 'bogus' }])])).status).toBe(200);
    } finally {
      await plain.close();
    }
  });

  it('when LINE definitions are absent, then loadingSeconds outside 5–60 or not a multiple of 5 still gets 400', async () => {
    const plain = await FakeLine.start({ openapiDir: null, channelAccessToken: TOKEN });
    try {
      const c = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL: plain.url });
      for (const loadingSeconds of [0, 7, 65]) expect((await sdkError(c.showLoadingAnimation({ chatId: ALICE, loadingSeconds }))).status).toBe(400);
      for (const loadingSeconds of [5, 60]) await c.showLoadingAnimation({ chatId: ALICE, loadingSeconds });
    } finally {
      await plain.close();
    }
  });
});
