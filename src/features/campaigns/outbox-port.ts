import type { Message } from '../../bot/messages.js';

/**
 * What campaigns need of the outbox (src/outbox/outbox.ts, CONTRACTS.md): record items before
 * they are sent (idempotent by _id) and read their outcome.
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
  get(ids: string[]): Promise<OutboxItemOut[]>;
}
