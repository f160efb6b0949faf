import type { Message } from '../../line/gateway.js';
import { pushItems, type Outbox } from '../../outbox/outbox.js';

/**
 * Pushes a feature sends outside the reply to an event (a help request to its officer, an
 * officer's answer to a producer). Recorded in the outbox before they are sent, under a key
 * derived from the cause, so a repeated cause never sends twice.
 */
export interface Pusher {
  push(key: string, to: string, messages: Message[]): Promise<void>;
}

export function outboxPusher(outbox: Outbox): Pusher {
  return {
    async push(key, to, messages) {
      await outbox.enqueue(pushItems(key, to, messages, { type: 'officers', id: key }));
    },
  };
}
