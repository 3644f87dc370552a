import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure, type NamedWrite } from '../storage/commit.js';
import { storedForm } from '../storage/versioned.js';
import { getConversation } from './conversation-store.js';
import type { ChannelName, Direction, ProviderName } from './model.js';
import { messageExpiry } from './retention.js';
import { queryAll } from '../storage/query-all.js';

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
  /** When DynamoDB may delete it (epoch seconds): its conversation's, once that closed (shared/conversation/retention.ts). */
  expiresAt?: number;
}

export async function getMessage(deps: StoreDeps, messageId: string, consistent = true): Promise<StoredMessage | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: consistent }));
  return Item as StoredMessage | undefined;
}

/**
 * The write of a new message: refused if the id exists (derived ids make that the dedupe).
 * `expiresAt` is the retention rule's (`messageExpiry`, from the conversation it is written with).
 */
export const messageWrite = (deps: Pick<Deps, 'tables'>, message: StoredMessage, expiresAt?: number): NamedWrite => ({
  name: `message:${message.messageId}`,
  write: {
    Put: { TableName: deps.tables.messages, Item: storedForm({ ...message, expiresAt }), ConditionExpression: 'attribute_not_exists(messageId)' },
  },
});

/**
 * Stores a new message on its own; 'exists' when a message with this id is already stored. A
 * message filed with a closed conversation (`afterClose`) takes that conversation's expiry.
 */
export async function putMessage(deps: StoreDeps & Pick<Deps, 'config'>, message: StoredMessage): Promise<'stored' | 'exists'> {
  const filedWith = message.afterClose ? await getConversation(deps, message.conversationId, false) : undefined;
  try {
    await deps.db.send(new PutCommand(messageWrite(deps, message, messageExpiry(deps.config, filedWith, message.sentAt)).write.Put!));
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

/**
 * The ids of a conversation's messages, oldest first, every page of the `byConversation` index
 * (keys only). The index is eventually consistent: a message written a moment ago may be missing,
 * and one moved or deleted a moment ago may still be listed.
 */
export async function messageIdsOf(deps: StoreDeps, conversationId: string): Promise<string[]> {
  return queryAll(
    deps.db,
    {
      TableName: deps.tables.messages,
      IndexName: 'byConversation',
      KeyConditionExpression: 'conversationId = :c',
      ExpressionAttributeValues: { ':c': conversationId },
    },
    'messageId',
  );
}

/** How many writes run at once when a conversation's messages are stamped one by one. */
const stampConcurrency = 8;

/**
 * Gives each of a conversation's messages its expiry, one conditional write each: only a message
 * that still exists and still belongs to the conversation. Returns how many were stamped.
 */
export async function setMessagesExpiry(deps: StoreDeps, conversationId: string, messageIds: readonly string[], expiresAt: number): Promise<number> {
  let stamped = 0;
  const queue = [...new Set(messageIds)];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await deps.db.send(
          new UpdateCommand({
            TableName: deps.tables.messages,
            Key: { messageId: id },
            UpdateExpression: 'SET expiresAt = :e',
            ConditionExpression: 'conversationId = :c',
            ExpressionAttributeValues: { ':e': expiresAt, ':c': conversationId },
          }),
        );
        stamped++;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(stampConcurrency, queue.length) }, worker));
  return stamped;
}

/** DynamoDB kept leaving some deletes of a batch unprocessed (throttling): the caller may run again. */
export class UnprocessedDeletesError extends Error {
  constructor(readonly left: number) {
    super(`${left} deletes left unprocessed after ${maxBatchAttempts} attempts`);
    this.name = 'UnprocessedDeletesError';
  }
}

const maxBatchAttempts = 8;

/** Deletes messages by id, 25 per call (DynamoDB's limit), retrying what DynamoDB leaves unprocessed. */
export async function deleteMessages(deps: StoreDeps, messageIds: readonly string[]): Promise<void> {
  const unique = [...new Set(messageIds)];
  for (let i = 0; i < unique.length; i += 25) {
    let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined = unique
      .slice(i, i + 25)
      .map((messageId) => ({ DeleteRequest: { Key: { messageId } } }));
    for (let attempt = 0; requests && requests.length; attempt++) {
      if (attempt === maxBatchAttempts) throw new UnprocessedDeletesError(requests.length);
      // Unprocessed items are DynamoDB asking us to slow down: back off before sending them again.
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const out: BatchWriteCommandOutput = await deps.db.send(new BatchWriteCommand({ RequestItems: { [deps.tables.messages]: requests } }));
      requests = out.UnprocessedItems?.[deps.tables.messages];
    }
  }
}
