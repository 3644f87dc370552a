import { putIfUnchanged } from './conversation-store.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';
import type { Conversation } from './model.js';
import { ownConversation } from './ownership.js';

const maxAttempts = 5;

/**
 * An agent sets a conversation's business priority (higher is sooner; the queue's priority is the
 * starting point). It is re-ranked at once, in the work list and wherever it moves next.
 */
export async function setConversationPriority(deps: Deps, agentId: string, conversationId: string, priority: number): Promise<Conversation> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await ownConversation(deps, agentId, conversationId);
    const next: Conversation = { ...current, priority, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    next.rank = rankOf(next, deps.config.priority);
    const result = await transactWrite(deps.db, [
      putIfUnchanged(deps.tables, next, current.version),
    ]);
    if (!result.committed) continue;
    await pushWorklist(deps, agentId, [next]);
    return next;
  }
  throw new Error('setPriority: too much contention on one conversation');
}
