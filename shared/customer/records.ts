import { conversationIdsOfCustomer, getConversations } from '../conversation/conversation-store.js';
import { customerKey, getCustomer, type Customer } from '../conversation/customer-store.js';
import { oldestFirst } from '../conversation/history.js';
import { messageIdsOf, type StoredMessage } from '../conversation/message-store.js';
import { channelNames, type ChannelName, type Conversation } from '../conversation/model.js';
import { TideError } from '../errors.js';
import { closingMessageId } from '../ids.js';
import type { Deps } from '../runtime/deps.js';
import { batchGet } from '../storage/batch-get.js';

/**
 * A customer as an administrator names one (`/v1/admin/customers/{channel}/{customerId}`): the
 * channel they write on and their address on it (`from` of their messages). One person on two
 * channels is two customers to Tide, as they are two conversations' worth of history.
 */
export interface CustomerRef {
  channel: ChannelName;
  customerId: string;
}

/** The path's channel and customer id, checked: `invalid_request` if either cannot name a customer. */
export function customerRefOf(params: Record<string, string | undefined> | undefined): CustomerRef {
  const channel = params?.channel ?? '';
  const customerId = params?.customerId ?? '';
  if (!(channelNames as readonly string[]).includes(channel)) throw new TideError('invalid_request', `channel: one of ${channelNames.join(', ')}`);
  // The inbound contract's limit on `from` (shared/channels/generic/inbound-request.ts).
  if (customerId.length < 1 || customerId.length > 256) throw new TideError('invalid_request', 'customerId: 1-256 characters, URL-encoded');
  return { channel: channel as ChannelName, customerId };
}

/** What Tide stores about a customer, found from the customer item and the `byCustomer` index. */
export interface CustomerRecords {
  customer?: Customer;
  /** Oldest first; read consistently from the table. */
  conversations: Conversation[];
}

/**
 * Every conversation of the customer, and their customer item. The index may lag by a moment, so
 * the conversations the customer item names (read consistently: the open one is the newest) are
 * added, and every conversation is read from the table: one the index still lists after it was
 * deleted is not returned.
 */
export async function findCustomerRecords(deps: Pick<Deps, 'db' | 'tables'>, ref: CustomerRef): Promise<CustomerRecords> {
  const [customer, indexed] = await Promise.all([
    getCustomer(deps, customerKey(ref.channel, ref.customerId)),
    conversationIdsOfCustomer(deps, ref.channel, ref.customerId),
  ]);
  const named = [customer?.openConversationId, customer?.lastConversationId].filter((id): id is string => Boolean(id));
  const conversations = (await getConversations(deps, [...indexed, ...named]))
    .filter((c) => c.channel === ref.channel && c.customerId === ref.customerId)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return { ...(customer ? { customer } : {}), conversations };
}

/**
 * Every message of a conversation, oldest first: the `byConversation` index, plus what it may not
 * list yet (the conversation's last message, the queue's closing message), each read
 * consistently from the table; one moved to another conversation is left to that one.
 */
export async function messagesOf(deps: Pick<Deps, 'db' | 'tables'>, conversation: Conversation): Promise<StoredMessage[]> {
  const ids = [...(await messageIdsOf(deps, conversation.conversationId)), conversation.lastMessage.messageId, closingMessageId(conversation.conversationId)];
  const messages = await batchGet<StoredMessage>(deps.db, deps.tables.messages, 'messageId', ids, true);
  return messages.filter((m) => m.conversationId === conversation.conversationId).sort(oldestFirst);
}
