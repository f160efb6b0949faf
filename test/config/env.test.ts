import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';

const base = { LINE_CHANNEL_SECRET: 's', LINE_CHANNEL_ACCESS_TOKEN: 't' };

describe('loadConfig', () => {
  it('when only the LINE credentials are given, then the defaults apply', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ PORT: 3000, LINE_API_BASE_URL: 'https://api.line.me', LINE_DATA_API_BASE_URL: 'https://api-data.line.me' });
    expect(c.MONGODB_URI).toBeUndefined();
  });

  it.each([
    [{}, 'LINE_CHANNEL_SECRET'],
    [{ LINE_CHANNEL_SECRET: 's' }, 'LINE_CHANNEL_ACCESS_TOKEN'],
    [{ ...base, PORT: 'eighty' }, 'PORT'],
    [{ ...base, PORT: '70000' }, 'PORT'],
    [{ ...base, MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ ...base, LINE_API_BASE_URL: 'https://api.line.me/v2' }, 'LINE_API_BASE_URL'],
    [{ ...base, LINE_DATA_API_BASE_URL: 'not a url' }, 'LINE_DATA_API_BASE_URL'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('when %j, then one line naming %s', (env, variable) => {
    try {
      loadConfig(env as NodeJS.ProcessEnv);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toContain(variable);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('when a base URL has a trailing slash, then it is kept as an origin', () => {
    expect(loadConfig({ ...base, LINE_API_BASE_URL: 'http://127.0.0.1:9999/' }).LINE_API_BASE_URL).toBe('http://127.0.0.1:9999');
  });
});
