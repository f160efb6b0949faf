import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, setLogPepper, userRef, withEventId } from '../../src/core/logger.js';

const USER = 'U' + 'f'.repeat(32);

describe('log references', () => {
  it('when a LINE id is known, then its log reference cannot be computed without the pepper', () => {
    setLogPepper(Buffer.alloc(32, 1));
    const ref = userRef(USER);
    expect(ref).toBe(userRef(USER)); // stable: one user's lines can be followed
    expect(ref).not.toContain(createHash('sha256').update(USER).digest('base64url').slice(0, 10));
    setLogPepper(Buffer.alloc(32, 2));
    expect(userRef(USER)).not.toBe(ref);
  });
});

describe('event ids on log lines', () => {
  it('when lines are logged inside an event scope, by any logger and after awaits, then each carries the event id, and none outside it', async () => {
    const lines: { eventId?: string; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().trim().split('\n')) lines.push(JSON.parse(l) as { eventId?: string; msg: string });
        done();
      },
    });
    const log = createLogger('info', sink);
    const child = log.child({ module: 'x' });
    await withEventId('evt-1', async () => {
      log.info('first');
      await new Promise((r) => setTimeout(r, 5));
      child.info('second');
    });
    log.info('outside');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.msg, l.eventId])).toEqual([
      ['first', 'evt-1'],
      ['second', 'evt-1'],
      ['outside', undefined],
    ]);
  });
});
