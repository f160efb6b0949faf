import type { LineGateway, Message } from '../../line/gateway.js';

/**
 * Pushes a feature sends outside the reply to an event (to an officer, to a producer an officer
 * answers). Each carries a key derived from its cause, so a retry of the same cause can be
 * recognised. Until the outbox (src/outbox/) is on this branch, it pushes through the gateway.
 */
export interface Pusher {
  push(key: string, to: string, messages: Message[]): Promise<void>;
}

export function gatewayPusher(gateway: LineGateway): Pusher {
  return {
    async push(_key, to, messages) {
      await gateway.push(to, messages);
    },
  };
}
