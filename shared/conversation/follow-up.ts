import { putIfUnchanged } from './conversation-store.js';
import { getAgent } from '../agent/agent-store.js';
import { releaseSlot } from '../agent/load.js';
import { TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import { routeAgentQueues } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';
import { armTimer } from '../timers/arm.js';
import type { Conversation } from './model.js';
import { ownConversation } from './ownership.js';
import { stopWaitingOnAgent } from './waiting.js';

const maxAttempts = 5;
/** Further out than this is more likely a typo than a promise to a customer. */
const maxFollowUpDays = 90;

/**
 * "I'll get back to you at `at`": the conversation leaves the actionable list (inactive, waiting
 * on the agent, `followUpAt` set), frees its slot like an inactive conversation, and comes back
 * first in the agent's list at `at` (shared/timers). A customer message before then brings it
 * back at once.
 */
export async function scheduleFollowUp(deps: Deps, agentId: string, conversationId: string, atIso: string): Promise<Conversation> {
  const at = new Date(atIso);
  const now = deps.clock.now();
  if (!(at.getTime() > now.getTime())) throw new TideError('invalid_request', 'a follow-up time must be in the future');
  if (at.getTime() > now.getTime() + maxFollowUpDays * 86_400_000) {
    throw new TideError('invalid_request', `a follow-up is at most ${maxFollowUpDays} days ahead`);
  }
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await ownConversation(deps, agentId, conversationId);
    const hidden: Conversation = {
      ...current,
      ...stopWaitingOnAgent(),
      state: 'inactive',
      waitingOn: 'agent',
      followUpAt: at.toISOString(),
      inactiveAt: null,
      autoCloseAt: null,
      reassignAt: null,
      updatedAt: now.toISOString(),
      version: current.version + 1,
    };
    hidden.rank = rankOf(hidden, deps.config.priority);
    const result = await transactWrite(deps.db, [
      putIfUnchanged(deps.tables, hidden, current.version),
      ...(current.state === 'active' ? [releaseSlot(deps.tables, agentId)] : []),
    ]);
    if (!result.committed) continue;
    await armTimer(deps, hidden);
    await pushWorklist(deps, agentId, [hidden]);
    if (current.state === 'active') {
      const agent = await getAgent(deps, agentId);
      await routeAgentQueues(deps, agent?.queues ?? []);
    }
    return hidden;
  }
  throw new Error('followUp: too much contention on one conversation');
}
