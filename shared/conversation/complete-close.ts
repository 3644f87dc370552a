import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { releaseOpenConversation } from './customer-store.js';
import { messageIdsOf, setMessagesExpiry } from './message-store.js';
import type { Conversation } from './model.js';

/**
 * What follows every close, outside its transaction (an agent's `close`, the customer's "no,
 * that's all", the auto-close timer, an erasure): the customer is released (no open conversation,
 * the customer item expires with this one), then every message of the conversation gets the
 * conversation's expiry, so a closed conversation's history is deleted all at once, `messageDays`
 * after the close (shared/conversation/retention.ts).
 *
 * The stamp costs one write per message. It never fails the close: a message it misses (the
 * function died, the index had not listed the message yet, DynamoDB throttled) keeps the ceiling
 * it was written with, so it is deleted later, never kept for good.
 */
export async function completeClose(deps: Pick<Deps, 'db' | 'tables'>, closed: Conversation): Promise<void> {
  await releaseOpenConversation(deps, closed);
  if (closed.expiresAt === undefined) return;
  try {
    // The last message by id too: the index may not list it yet, and it is the one just written.
    const ids = [...(await messageIdsOf(deps, closed.conversationId)), closed.lastMessage.messageId];
    await setMessagesExpiry(deps, closed.conversationId, ids, closed.expiresAt);
  } catch (error) {
    logger.warn('messages of a closed conversation keep their ceiling expiry', { conversationId: closed.conversationId, error: (error as Error)?.name });
  }
}
