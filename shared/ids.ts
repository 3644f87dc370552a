import { createHash, randomUUID } from 'node:crypto';

const digest = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 26);

export const newConversationId = (): string => `c_${randomUUID()}`;

/**
 * An inbound message's id is derived from the channel and the channel's own message id, so a
 * provider's retry maps onto the same item and the conditional put of the message is the dedupe.
 */
export const inboundMessageId = (channel: string, externalId: string): string => `mi_${digest(channel, externalId)}`;

/**
 * An agent reply carrying a `requestId` gets an id derived from it, so a client that retries a
 * `send` after a lost ack does not message the customer twice.
 */
export const outboundMessageId = (agentId: string, conversationId: string, requestId?: string): string =>
  requestId ? `mo_${digest(agentId, conversationId, requestId)}` : `mo_${randomUUID()}`;
