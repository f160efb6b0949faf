import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { projectRoot } from '../../src/core/paths.js';

const KEY = Buffer.alloc(32, 9).toString('base64');
const base = { LINE_CHANNEL_SECRET: 's', LINE_CHANNEL_ACCESS_TOKEN: 't', DATA_ENCRYPTION_KEY: KEY };

function configError(env: NodeJS.ProcessEnv, opts?: { localMode?: boolean }): ConfigError {
  try {
    loadConfig(env, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable('loadConfig accepted it');
}

describe('loadConfig', () => {
  it('when only the LINE credentials and the key are given, then the defaults apply', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ PORT: 3000, LINE_API_BASE_URL: 'https://api.line.me', LINE_DATA_API_BASE_URL: 'https://api-data.line.me', DATA_ENCRYPTION_KEYS: [], localMode: false });
    expect(c.MONGODB_URI).toBeUndefined();
    expect(c.METRICS_TOKEN).toBeUndefined();
  });

  it.each([
    [{ ...base, LINE_CHANNEL_SECRET: undefined }, 'LINE_CHANNEL_SECRET'],
    [{ ...base, LINE_CHANNEL_ACCESS_TOKEN: '' }, 'LINE_CHANNEL_ACCESS_TOKEN'],
    [{ ...base, PORT: 'eighty' }, 'PORT'],
    [{ ...base, PORT: '70000' }, 'PORT'],
    [{ ...base, MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ ...base, LINE_API_BASE_URL: 'https://api.line.me/v2' }, 'LINE_API_BASE_URL'],
    [{ ...base, LINE_DATA_API_BASE_URL: 'not a url' }, 'LINE_DATA_API_BASE_URL'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...base, DATA_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'DATA_ENCRYPTION_KEY'],
    [{ ...base, DATA_ENCRYPTION_KEYS: `${KEY},nope` }, 'DATA_ENCRYPTION_KEYS'],
    [{ ...base, METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
  ])('when %j, then one line naming %s', (env, variable) => {
    const err = configError(env as NodeJS.ProcessEnv);
    expect(err.variables).toEqual([variable]);
    expect(err.message).toContain(variable);
    expect(err.message).not.toContain('\n');
  });

  it('when several values are bad, then every one is reported at once, one line each', () => {
    const err = configError({ LINE_CHANNEL_ACCESS_TOKEN: 't', PORT: 'eighty', LOG_LEVEL: 'loud', MONGODB_URI: 'postgres://x' });
    expect(err.variables).toEqual(['PORT', 'MONGODB_URI', 'LINE_CHANNEL_SECRET', 'LOG_LEVEL', 'DATA_ENCRYPTION_KEY']);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(5);
    for (const [i, v] of err.variables.entries()) expect(lines[i]).toMatch(new RegExp(`^configuration error: .*${v}`));
  });

  it('when the key is missing outside local mode (whatever NODE_ENV says), then start-up is refused with one line', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      const err = configError({ ...base, NODE_ENV, DATA_ENCRYPTION_KEY: '' });
      expect(err.variables).toEqual(['DATA_ENCRYPTION_KEY']);
      expect(err.message).toBe('configuration error: DATA_ENCRYPTION_KEY is required outside local mode (openssl rand -base64 32)');
    }
  });

  it('when in local mode, then the key may be missing', () => {
    expect(loadConfig({ ...base, DATA_ENCRYPTION_KEY: undefined }, { localMode: true }).localMode).toBe(true);
  });

  it('when old keys are listed, then each is kept for reading', () => {
    const old = Buffer.alloc(32, 1).toString('base64');
    const older = Buffer.alloc(32, 2).toString('base64');
    expect(loadConfig({ ...base, DATA_ENCRYPTION_KEYS: ` ${old}, ${older} ` }).DATA_ENCRYPTION_KEYS).toEqual([old, older]);
  });

  it('when .env.example is copied to .env unchanged, then it is a valid local-mode configuration', () => {
    const env = parseEnv(readFileSync(join(projectRoot, '.env.example'), 'utf8'));
    // Local mode's stand-in supplies the LINE credentials; the key may stay empty.
    expect(loadConfig({ ...env, LINE_CHANNEL_SECRET: 's', LINE_CHANNEL_ACCESS_TOKEN: 't' }, { localMode: true })).toMatchObject({ PORT: 3000, DATA_ENCRYPTION_KEYS: [], METRICS_HOST: '127.0.0.1' });
    expect(configError(env).variables).toEqual(['LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN', 'DATA_ENCRYPTION_KEY']);
  });

  it('when a base URL has a trailing slash, then it is kept as an origin', () => {
    expect(loadConfig({ ...base, LINE_API_BASE_URL: 'http://127.0.0.1:9999/' }).LINE_API_BASE_URL).toBe('http://127.0.0.1:9999');
  });
});
