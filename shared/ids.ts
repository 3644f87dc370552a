import { createHash, randomBytes } from 'node:crypto';

const digest = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 26);

/** 128 random bits, base64url: short ids keep the items that list them (an agent's `holds`) small. */
export const newConversationId = (): string => `c_${randomBytes(16).toString('base64url')}`;

/**
 * An inbound message's id is derived from the channel and the channel's own message id, so a
 * provider's retry maps onto the same item and the conditional put of the message is the dedupe.
 */
export const inboundMessageId = (channel: string, externalId: string): string => `mi_${digest(channel, externalId)}`;

/** The one automatic closing message a conversation may get (derived, so it is stored once). */
export const closingMessageId = (conversationId: string): string => `mo_${digest('tide', conversationId, 'closing-message')}`;
