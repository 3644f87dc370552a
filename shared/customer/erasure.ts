import { randomBytes } from 'node:crypto';
import { commitChange, contextOf } from '../conversation/change.js';
import { deleteClosedConversation, getConversation } from '../conversation/conversation-store.js';
import { customerKey, deleteCustomer } from '../conversation/customer-store.js';
import { deleteMessages } from '../conversation/message-store.js';
import { isOpen, type Conversation } from '../conversation/model.js';
import { close } from '../conversation/transitions.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { withRetries } from '../storage/commit.js';
import { findCustomerRecords, messagesOf, type CustomerRef } from './records.js';

/**
 * `DELETE /v1/admin/customers/{channel}/{customerId}` (docs/data.md): erases everything Tide
 * stores about a customer: their messages, their conversations and their customer item.
 *
 * An erasure must succeed whatever the customer is doing, so an open conversation is not a
 * refusal: it is closed first, through the state machine like any close, which takes it off its
 * agent (their `active` count and work list follow from the change stream, and the freed slot is
 * routed) and disarms its timers. Then the customer item goes (so a message arriving now starts
 * afresh instead of joining what is being deleted), then each conversation: its messages, then
 * the conversation itself, last, so an erasure cut short is finished by running it again (the
 * `byCustomer` index still finds what is left).
 *
 * Every step is logged with an erasure id, the admin's id, conversation ids and counts: never
 * the customer's id, name or any text.
 */

export interface ErasureReport {
  /** Names this erasure's log lines, which carry no customer id. */
  erasureId: string;
  /** Open conversations closed first (their agents released). */
  closed: number;
  conversations: number;
  messages: number;
  /** Whether there was a customer item to delete. */
  customerItem: boolean;
}

/**
 * Erases a customer; `not_found` when nothing of theirs is stored (never written, already erased
 * or expired), which is also how an administrator checks that an erasure is complete.
 */
export async function eraseCustomer(deps: Deps, ref: CustomerRef, by: string): Promise<ErasureReport> {
  const { customer, conversations } = await findCustomerRecords(deps, ref);
  if (!customer && conversations.length === 0) throw new TideError('not_found', 'nothing is stored for this customer (never written, expired, or already erased)');
  const erasureId = `er_${randomBytes(9).toString('base64url')}`;
  const log = (message: string, fields: Record<string, unknown>) => logger.info(message, { erasureId, ...fields });
  const open = conversations.filter(isOpen);
  log('customer erasure started', { by, conversations: conversations.length, open: open.length, customerItem: Boolean(customer) });

  let closed = 0;
  for (const conversation of open) {
    const released = await closeForErasure(deps, conversation.conversationId);
    if (!released) continue;
    closed++;
    log('customer erasure: open conversation closed', { conversationId: conversation.conversationId, agentId: released.assignedTo ?? null });
  }

  const customerItem = await deleteCustomer(deps, customerKey(ref.channel, ref.customerId));
  log('customer erasure: customer item deleted', { existed: customerItem });

  let messages = 0;
  for (const conversation of conversations) {
    const erased = await eraseConversation(deps, conversation);
    messages += erased;
    log('customer erasure: conversation deleted', { conversationId: conversation.conversationId, messages: erased });
  }

  const report = { erasureId, closed, conversations: conversations.length, messages, customerItem };
  log('customer erasure done', { by, closed, conversations: report.conversations, messages, customerItem });
  return report;
}

/** Closes an open conversation as any close does (its agent released); returns it as it was, or undefined if it had closed meanwhile. */
function closeForErasure(deps: Deps, conversationId: string): Promise<Conversation | undefined> {
  return withRetries<Conversation | undefined>('erasure close', async () => {
    const before = await getConversation(deps, conversationId);
    if (!before || !isOpen(before)) return { done: true, value: undefined };
    const ctx = contextOf(deps);
    const after = close(before, before, ctx);
    // The agent who held it is read by commitChange.
    const outcome = await commitChange(deps, ctx, { before, after, agents: [] });
    return outcome.committed ? { done: true, value: before } : { done: false };
  });
}

/**
 * Deletes a closed conversation's messages, then the conversation. The index may not list a
 * message written a moment ago, so the messages are looked up again until a round finds none
 * new (at most three rounds). Returns how many messages were deleted.
 */
async function eraseConversation(deps: Deps, conversation: Conversation): Promise<number> {
  const deleted = new Set<string>();
  for (let round = 0; round < 3; round++) {
    // Re-read from the second round on: a message applied meanwhile is the conversation's last.
    const current = round === 0 ? conversation : ((await getConversation(deps, conversation.conversationId)) ?? conversation);
    const fresh = (await messagesOf(deps, current)).map((m) => m.messageId).filter((id) => !deleted.has(id));
    if (fresh.length === 0) break;
    await deleteMessages(deps, fresh);
    for (const id of fresh) deleted.add(id);
  }
  if (!(await deleteClosedConversation(deps, conversation.conversationId))) {
    // Only an open conversation is refused, and every one was closed above: a race lost; nothing is half done.
    throw new TideError('invalid_state', `conversation ${conversation.conversationId} changed during the erasure; run it again`);
  }
  return deleted.size;
}
