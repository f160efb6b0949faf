import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets and personal data must never reach them: callers log user
 * references (userRef), never LINE user IDs, message text, names, phones or ID numbers; the
 * redaction list below is the safety net for mistakes, not the policy.
 */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-line-signature"]',
  'channelSecret',
  'channelAccessToken',
  '*.channelSecret',
  '*.channelAccessToken',
  'nationalId',
  '*.nationalId',
  'phone',
  '*.phone',
  'text',
  '*.text',
  'replyToken',
  '*.replyToken',
  'userId',
  '*.userId',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Every line logged while an event is handled names it, so one conversation's trail can be followed.
      mixin: () => {
        const eventId = eventScope.getStore()?.eventId;
        return eventId ? { eventId } : {};
      },
    },
    destination,
  );
}

const eventScope = new AsyncLocalStorage<{ eventId: string }>();

/** Runs `fn` with every log line inside it (any logger, any module) carrying `eventId`. */
export function withEventId<T>(eventId: string, fn: () => T): T {
  return eventScope.run({ eventId }, fn);
}

// Until the runtime sets the secret pepper, a random one: refs are then unlinkable, never guessable.
let pepper: Buffer = randomBytes(32);

/** Sets the secret that keys log references (derived from the encryption key by the runtime). */
export function setLogPepper(secret: Buffer): void {
  pepper = Buffer.from(secret);
}

/**
 * A short, stable reference to a LINE user for correlating log lines: an HMAC with a secret
 * pepper, so knowing a LINE id does not let anyone find that person in logs or erasure records.
 */
export function userRef(userId: string): string {
  return createHmac('sha256', pepper).update(userId).digest('base64url').slice(0, 12);
}
