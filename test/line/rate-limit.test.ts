import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { LineGateway } from '../../src/line/gateway.js';
import { parseRetryAfter, RateLimiter } from '../../src/line/rate-limit.js';
import { FakeLine } from '../../dev/fake-line/server.js';

describe('the token bucket', () => {
  it('when requests come faster than the limit, then they are spaced to the rate of that endpoint', async () => {
    let t = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter({ limits: { multicast: 200 }, now: () => t, sleep: async (ms) => void (waits.push(ms), (t += ms)) });
    for (let i = 0; i < 400; i++) await limiter.take('multicast');
    // 20 at once (a tenth of a second's worth), then 180 per second: never over 200 in a second.
    expect(t).toBeGreaterThanOrEqual(2_100);
    expect(t).toBeLessThanOrEqual(2_150);
  });

  it('when LINE says Retry-After, then nothing goes to that endpoint until then, and other endpoints are unaffected', async () => {
    let t = 0;
    const limiter = new RateLimiter({ now: () => t, sleep: async (ms) => void (t += ms) });
    limiter.blockFor('multicast', 3_000);
    await limiter.take('push');
    expect(t).toBe(0);
    await limiter.take('multicast');
    expect(t).toBeGreaterThanOrEqual(3_000);
  });

  it('when Retry-After is seconds or a date, then both are read', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('the gateway and the fake LINE rate limit', () => {
  let fake: FakeLine;
  beforeAll(async () => {
    fake = await FakeLine.start({ channelAccessToken: 't', rateLimits: { multicast: 20 } });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('when the fake LINE enforces 20 multicasts a second, then a burst over it gets 429 with Retry-After', async () => {
    const raw = new LineGateway({ channelAccessToken: 't', baseURL: fake.url, timeoutMs: 2_000, logger: createLogger('silent'), limiter: new RateLimiter({ limits: { multicast: 10_000 } }) });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => raw.multicastOnce([`U${String(i).padStart(32, '0')}`], [{ type: 'text', text: 'x' }], crypto.randomUUID())));
    expect(results.filter((r) => r.outcome === 'retry' && r.status === 429 && r.retryAfterMs === 1_000).length).toBeGreaterThanOrEqual(10);
  });

  it('when the gateway sends through its bucket at the fake LINE limit, then LINE never refuses for rate', async () => {
    await new Promise((r) => setTimeout(r, 1_100));
    fake.reset();
    const before = fake.rateLimited.multicast;
    const gw = new LineGateway({ channelAccessToken: 't', baseURL: fake.url, timeoutMs: 2_000, logger: createLogger('silent'), limiter: new RateLimiter({ limits: { multicast: 18 } }) });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => gw.multicastOnce([`U${String(i).padStart(32, '0')}`], [{ type: 'text', text: 'x' }], crypto.randomUUID())));
    expect(results.every((r) => r.outcome === 'sent')).toBe(true);
    expect(fake.rateLimited.multicast - before).toBe(0);
  });
});
