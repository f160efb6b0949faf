import type { Message } from '../../bot/messages.js';

/**
 * What campaigns need of the outbox (src/outbox/outbox.ts, CONTRACTS.md): record items before
 * they are sent (idempotent by _id), read their outcome, and take back what is not sent yet
 * when a campaign is paused or cancelled.
 */
export interface OutboxItemIn {
  _id: string;
  kind: 'push' | 'multicast';
  to: string[];
  messages: Message[];
  cause: { type: string; id: string };
  notBefore?: Date;
}

export interface OutboxItemOut {
  _id: string;
  status: 'pending' | 'sent' | 'failed' | 'unknown';
  sentAt?: Date;
  failure?: { kind: string; status?: number; reason: string };
}

export interface OutboxPort {
  enqueue(items: OutboxItemIn[]): Promise<void>;
  /** Outcome only (no recipients or messages): asked every round for the batches in flight. */
  outcomes(ids: string[]): Promise<OutboxItemOut[]>;
  /** Takes back items not yet picked up by a sender (they settle as failed, kind `withdrawn`); returns how many. */
  withdraw(ids: string[], reason: string): Promise<number>;
}
