import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../core/logger.js';
import { userKeyOf, type Inbox, type LineEvent } from '../inbox/inbox.js';
import { UserRateLimit } from './user-rate-limit.js';
import { isValidSignature } from './signature.js';

export interface WebhookOptions {
  channelSecret: string;
  inbox: Inbox;
  logger: Logger;
  /** Called after the 200 with the users that have new events. */
  onStored: (userKeys: string[]) => void;
  /** Called before the store with the users it is for; the returned callback once it ended. */
  onStoring?: (userKeys: string[]) => () => void;
  /** False while shutting down: LINE gets 503 and redelivers elsewhere. */
  accepting: () => boolean;
  /** Per-user events per minute admitted (the rest is acknowledged and skipped). */
  userMaxPerMinute?: number;
}

/**
 * POST /webhook: verify the signature on the raw bytes, store the events durably (deduplicated),
 * answer 200, then let the processor work. Nothing is parsed before the signature is checked.
 */
export function webhookRouter(opts: WebhookOptions): Router {
  const router = express.Router();
  const log = opts.logger.child({ module: 'webhook' });
  const limit = new UserRateLimit(opts.userMaxPerMinute ?? 60);
  let skipped = 0;
  router.post(
    '/webhook',
    express.raw({ type: () => true, limit: '2mb' }),
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!isValidSignature(raw, opts.channelSecret, req.get('x-line-signature'))) {
        log.warn({ bytes: raw.length }, 'webhook rejected: bad signature');
        res.status(401).json({ message: 'invalid signature' });
        return;
      }
      let events: unknown[];
      try {
        const body = JSON.parse(raw.toString('utf8')) as { events?: unknown };
        if (!body || !Array.isArray(body.events)) throw new Error('events is not an array');
        events = body.events;
      } catch {
        res.status(400).json({ message: 'malformed body' });
        return;
      }
      // A user over their rate: acknowledged, not stored (see UserRateLimit).
      events = events.filter((e) => {
        if (limit.take(userKeyOf(e as LineEvent))) return true;
        if (++skipped % 100 === 1) log.warn({ skipped }, 'events over the per-user rate skipped');
        return false;
      });
      if (events.length === 0) {
        res.status(200).json({}); // the console's "Verify" button, or only over-rate events
        return;
      }
      if (!opts.accepting()) {
        res.status(503).json({ message: 'shutting down' });
        return;
      }
      const stored = opts.onStoring?.([...new Set(events.map((e) => userKeyOf(e as LineEvent)))]);
      try {
        const result = await opts.inbox.store(events);
        log.debug({ stored: result.stored, duplicates: result.duplicates }, 'webhook stored');
        if (result.overCap > 0) log.warn({ skipped: result.overCap }, 'events skipped: their user already has the most events waiting');
        res.status(200).json({});
        if (result.userKeys.length) opts.onStored(result.userKeys);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'webhook not stored; asking LINE to redeliver');
        res.status(503).json({ message: 'temporarily unavailable' });
      } finally {
        stored?.();
      }
    },
  );
  return router;
}
