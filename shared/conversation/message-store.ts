import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure, type NamedWrite } from '../storage/commit.js';
import { storedForm } from '../storage/versioned.js';
import type { ChannelName, Direction, ProviderName } from './model.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

/** An outbound message's delivery status; it only moves forward (shared/delivery/status.ts). */
export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/** An attachment as the provider described it; Tide keeps the reference, not the bytes. */
export interface MessageMedia {
  /** Where the provider serves it (Twilio's `MediaUrlN`, Messenger's `payload.url`). */
  url?: string;
  /** The provider's media id (WhatsApp: fetched through the Graph API). */
  providerMediaId?: string;
  contentType?: string;
  /** image, audio, video, document, sticker, location, … */
  kind?: string;
}

/** A message as stored in the Messages table (the conversation's history). */
export interface StoredMessage {
  messageId: string;
  conversationId: string;
  channel: ChannelName;
  /** Who carries it (absent: the channel's usual provider, shared/channels/registry.ts). */
  provider?: ProviderName;
  direction: Direction;
  text: string;
  sentAt: string;
  // Inbound
  externalId?: string;
  from?: string;
  media?: MessageMedia[];
  /** A courtesy message that came after the conversation closed, filed with it. */
  afterClose?: boolean;
  // Outbound
  to?: string;
  agentId?: string;
  /** Sent by Tide itself (the queue's closing message). */
  automatic?: boolean;
  /** Digest of the agent's request (requestId and fields): a retry of it finds this message. */
  requestDigest?: string;
  status?: DeliveryStatus;
  statusAt?: string;
  /** The channel's id for the message, once sent. */
  providerMessageId?: string;
  error?: { code: string; message: string };
  /** Delivery attempts made so far. */
  attempts?: number;
}

export async function getMessage(deps: StoreDeps, messageId: string, consistent = true): Promise<StoredMessage | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: consistent }));
  return Item as StoredMessage | undefined;
}

/** The write of a new message: refused if the id exists (derived ids make that the dedupe). */
export const messageWrite = (deps: Pick<Deps, 'tables'>, message: StoredMessage): NamedWrite => ({
  name: `message:${message.messageId}`,
  write: {
    Put: { TableName: deps.tables.messages, Item: storedForm(message), ConditionExpression: 'attribute_not_exists(messageId)' },
  },
});

/** Stores a new message on its own; 'exists' when a message with this id is already stored. */
export async function putMessage(deps: StoreDeps, message: StoredMessage): Promise<'stored' | 'exists'> {
  try {
    await deps.db.send(new PutCommand(messageWrite(deps, message).write.Put!));
    return 'stored';
  } catch (error) {
    if (isConditionFailure(error)) return 'exists';
    throw error;
  }
}

/**
 * Files an inbound message under another conversation: it was stored first, and the customer's
 * open conversation turned out to be another one (a concurrent first message opened it).
 */
export async function moveMessage(deps: StoreDeps, messageId: string, conversationId: string): Promise<void> {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.messages,
      Key: { messageId },
      UpdateExpression: 'SET conversationId = :c',
      ExpressionAttributeValues: { ':c': conversationId },
    }),
  );
}
