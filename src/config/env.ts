import { z } from 'zod';

/**
 * The bot's configuration: the external contract other tools drive it through.
 * Every name is documented in .env.example. Parsing fails with one line per bad variable, all at once.
 */
const origin = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && (u.pathname === '/' || u.pathname === '');
      } catch {
        return false;
      }
    }, `${name} must be an http(s) origin such as https://api.line.me (no path)`)
    .transform((v) => new URL(v).origin);

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const optionalNonEmpty = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intIn(0, 65535).default(3000),
  HOST: z.string().trim().default('0.0.0.0'),
  MONGODB_URI: optionalNonEmpty.refine(
    (v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v),
    'MONGODB_URI must start with mongodb:// or mongodb+srv://',
  ),
  LINE_CHANNEL_SECRET: z
    .string({ error: 'LINE_CHANNEL_SECRET is required (LINE Developers console → Basic settings)' })
    .trim()
    .min(1, 'LINE_CHANNEL_SECRET is required (LINE Developers console → Basic settings)'),
  LINE_CHANNEL_ACCESS_TOKEN: z
    .string({ error: 'LINE_CHANNEL_ACCESS_TOKEN is required (LINE Developers console → Messaging API)' })
    .trim()
    .min(1, 'LINE_CHANNEL_ACCESS_TOKEN is required (LINE Developers console → Messaging API)'),
  LINE_API_BASE_URL: origin('LINE_API_BASE_URL').default('https://api.line.me'),
  LINE_DATA_API_BASE_URL: origin('LINE_DATA_API_BASE_URL').default('https://api-data.line.me'),
  // Where officers open the dashboard (sign-in links sent in LINE); default http://localhost:PORT.
  PUBLIC_BASE_URL: optionalNonEmpty.refine((v) => v === undefined || /^https?:\/\/[^/]+\/?$/.test(v), 'PUBLIC_BASE_URL must be an http(s) origin such as https://bot.example.org'),
  LINE_REQUEST_TIMEOUT_MS: intIn(100, 60_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  SESSION_IDLE_DAYS: intIn(1, 365).default(60),
  // Upcoming trainings one person may hold at once (seats and waiting places together).
  TRAINING_MAX_ACTIVE_SIGNUPS: intIn(1, 50).default(3),
  INBOX_CONCURRENCY: intIn(1, 256).default(16),
  INBOX_SWEEP_SECONDS: intIn(1, 3600).default(15),
  INBOX_RETENTION_DAYS: intIn(1, 365).default(7),
  // Per-user processing lease; a heartbeat renews it while a handler runs, so it can be short.
  INBOX_LEASE_MS: intIn(1_000, 600_000).default(10_000),
  // Events of one user are looked at this long after the newest arrived (and an event is handled
  // only once this old), so one that reached another web process a few ms later is still handled
  // in LINE timestamp order. 0 turns it off.
  INBOX_SETTLE_MS: intIn(0, 5_000).default(30),
  // Per-user events accepted per minute at the webhook (a flood is acknowledged and skipped).
  INBOX_USER_MAX_PER_MINUTE: intIn(1, 100_000).default(60),
  // Deadline of each database call on the webhook path: a hung database gets a quick 503.
  WEBHOOK_DB_TIMEOUT_MS: intIn(50, 1_900).default(800),
  // A failed event's sealed payload is kept this long for `npm run replay`.
  FAILED_EVENT_KEEP_DAYS: intIn(1, 90).default(7),
  SHUTDOWN_GRACE_MS: intIn(0, 120_000).default(10_000),
  // Bangkok time; no campaign notice or reminder is sent inside them ("off" to send any time).
  QUIET_HOURS: z
    .string()
    .trim()
    .default('21:00-08:00')
    .refine((v) => v === 'off' || /^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$/.test(v), 'QUIET_HOURS must be HH:MM-HH:MM (Bangkok time) or off'),
  // Share of LINE's per-channel rate limits this process takes (processes share the channel).
  LINE_RATE_LIMIT_SHARE: z.coerce.number().gt(0).max(1).default(1),
  // 32 random bytes, base64 (`openssl rand -base64 32`). Seals national ID numbers at rest.
  DATA_ENCRYPTION_KEY: optionalNonEmpty.refine(
    (v) => v === undefined || isKey(v),
    'DATA_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  ),
  // Earlier keys, kept only to read values sealed with them until `npm run reseal` has run.
  DATA_ENCRYPTION_KEYS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(/[\s,]+/).filter(Boolean))
    .refine((keys) => keys.every(isKey), 'DATA_ENCRYPTION_KEYS must be a comma-separated list of 32-byte base64 keys'),
  // Bearer token for GET /metrics on the web port; unset: /metrics is not served there.
  METRICS_TOKEN: optionalNonEmpty.refine((v) => v === undefined || v.length >= 16, 'METRICS_TOKEN must be at least 16 characters'),
  // A separate listener for /metrics without a token (any role), on METRICS_HOST (default 127.0.0.1).
  METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), intIn(1, 65535).optional()),
  METRICS_HOST: z.string().trim().default('127.0.0.1'),
});

function isKey(v: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(v.trim()) && Buffer.from(v, 'base64').length === 32;
}

export type Config = z.infer<typeof schema> & {
  /** Local mode (dev stand-in for LINE): the only case a missing DATA_ENCRYPTION_KEY is allowed. */
  localMode: boolean;
};

export class ConfigError extends Error {
  /** Every variable with a problem, in the order of the schema. */
  readonly variables: string[];
  constructor(problems: readonly { variable: string; text: string }[]) {
    // One line per problem, all at once: an operator fixes them in one round.
    super(problems.map((p) => `configuration error: ${p.text}`).join('\n'));
    this.variables = problems.map((p) => p.variable);
    this.name = 'ConfigError';
  }
  /** The first variable with a problem. */
  get variable(): string {
    return this.variables[0] ?? 'configuration';
  }
}

export interface LoadOptions {
  /** Set by the entry point when it runs the local-mode stand-in. */
  localMode?: boolean;
}

/** Parses the environment; throws one ConfigError listing every bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Config {
  const localMode = opts.localMode ?? false;
  const result = schema.safeParse(env);
  const problems: { variable: string; text: string }[] = [];
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? 'configuration');
      if (seen.has(variable)) continue;
      seen.add(variable);
      problems.push({ variable, text: issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}` });
    }
  }
  const key = typeof env['DATA_ENCRYPTION_KEY'] === 'string' ? env['DATA_ENCRYPTION_KEY'].trim() : '';
  if (!localMode && !key) {
    // Without one shared key every instance would seal with a key of its own.
    problems.push({ variable: 'DATA_ENCRYPTION_KEY', text: 'DATA_ENCRYPTION_KEY is required outside local mode (openssl rand -base64 32)' });
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return { ...result.data, localMode };
}
