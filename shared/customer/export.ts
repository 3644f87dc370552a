import { conversationView, messageView, type ConversationView, type MessageView } from '../conversation/history.js';
import type { ChannelName, Conversation } from '../conversation/model.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { findCustomerRecords, messagesOf, type CustomerRef } from './records.js';

/**
 * `GET /v1/admin/customers/{channel}/{customerId}/export` (docs/data.md): everything Tide stores
 * about a customer, as one JSON document an administrator can hand over (a subject access
 * request): the customer item, every conversation and every message, in the history API's shapes.
 */

export interface CustomerExport {
  exportedAt: string;
  /** Null when no customer item is left (it expires with their last conversation, and may go first). */
  customer: {
    channel: ChannelName;
    id: string;
    /** They sent STOP and not START since. */
    optedOut: boolean;
    optedOutAt: string | null;
    /** When DynamoDB may delete the item; null: not scheduled (a conversation is open, or they opted out). */
    expiresAt: string | null;
  } | null;
  /** Oldest first. */
  conversations: Array<{ conversation: ExportedConversation; messages: MessageView[] }>;
}

export type ExportedConversation = ConversationView & {
  createdAt: string;
  closedAt: string | null;
  /** When DynamoDB may delete it with its messages; null while open, or when kept until erased. */
  expiresAt: string | null;
};

const isoOf = (epochSeconds: number | undefined) => (epochSeconds === undefined ? null : new Date(epochSeconds * 1000).toISOString());

const exportedConversation = (c: Conversation): ExportedConversation => ({
  ...conversationView(c),
  createdAt: c.createdAt,
  closedAt: c.closedAt ?? null,
  expiresAt: isoOf(c.expiresAt),
});

/**
 * The export of one customer; `not_found` when Tide stores nothing about them. Messages are read
 * a conversation at a time, each page of the indexes followed to its end. `by` (the admin) is
 * logged with the counts, never the customer's id.
 */
export async function exportCustomer(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, ref: CustomerRef, by: string): Promise<CustomerExport> {
  const { customer, conversations } = await findCustomerRecords(deps, ref);
  if (!customer && conversations.length === 0) throw new TideError('not_found', 'nothing is stored for this customer (never written, expired, or erased)');
  const exported: CustomerExport['conversations'] = [];
  for (const conversation of conversations) {
    exported.push({ conversation: exportedConversation(conversation), messages: (await messagesOf(deps, conversation)).map(messageView) });
  }
  const messages = exported.reduce((sum, c) => sum + c.messages.length, 0);
  logger.info('customer data exported', { by, conversations: exported.length, messages, customerItem: Boolean(customer) });
  return {
    exportedAt: deps.clock.now().toISOString(),
    customer: customer
      ? { channel: ref.channel, id: ref.customerId, optedOut: Boolean(customer.optedOut), optedOutAt: customer.optedOutAt ?? null, expiresAt: isoOf(customer.expiresAt) }
      : null,
    conversations: exported,
  };
}
