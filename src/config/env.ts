import { z } from 'zod';

/**
 * The bot's configuration: the external contract other tools drive it through.
 * Every name is documented in .env.example. Parsing fails with one line naming the variable.
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
  INBOX_CONCURRENCY: intIn(1, 256).default(16),
  INBOX_SWEEP_SECONDS: intIn(1, 3600).default(15),
  INBOX_RETENTION_DAYS: intIn(1, 365).default(7),
  SHUTDOWN_GRACE_MS: intIn(0, 120_000).default(10_000),
  // Bangkok time; no campaign notice or reminder is sent inside them ("off" to send any time).
  QUIET_HOURS: z
    .string()
    .trim()
    .default('21:00-08:00')
    .refine((v) => v === 'off' || /^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$/.test(v), 'QUIET_HOURS must be HH:MM-HH:MM (Bangkok time) or off'),
  // Share of LINE's per-channel rate limits this process takes (processes share the channel).
  LINE_RATE_LIMIT_SHARE: z.coerce.number().gt(0).max(1).default(1),
  // 32 random bytes, base64 (`openssl rand -base64 32`). Encrypts national ID numbers at rest.
  DATA_ENCRYPTION_KEY: optionalNonEmpty.refine(
    (v) => v === undefined || Buffer.from(v, 'base64').length === 32,
    'DATA_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  ),
})
  .refine((c) => c.NODE_ENV !== 'production' || c.DATA_ENCRYPTION_KEY, {
    path: ['DATA_ENCRYPTION_KEY'],
    message: 'DATA_ENCRYPTION_KEY is required in production (openssl rand -base64 32)',
  });

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'configuration');
  const text = issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}`;
  throw new ConfigError(variable, `configuration error: ${text}`);
}
