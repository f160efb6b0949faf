import { createHash } from 'node:crypto';
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
    },
    destination,
  );
}

/** A short, stable, non-reversible reference to a LINE user for correlating log lines. */
export function userRef(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 10);
}
