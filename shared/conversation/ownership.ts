import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { getConversation } from './conversation-store.js';
import type { Conversation } from './model.js';

/**
 * Reads a conversation an agent wants to act on and checks the agent may: agents act only on
 * their own open conversations. A closed conversation that was the agent's is `invalid_state`.
 */
export async function ownConversation(deps: Pick<Deps, 'db' | 'tables'>, agentId: string, conversationId: string): Promise<Conversation> {
  return ownedBy(await getConversation(deps, conversationId), agentId, conversationId);
}

/** The same check on a conversation already read (absent: it does not exist). */
export function ownedBy(conversation: Conversation | undefined, agentId: string, conversationId: string): Conversation {
  if (!conversation) throw new TideError('not_found', `conversation ${conversationId} does not exist`);
  if (conversation.state === 'closed') {
    if (conversation.lastAgentId === agentId) throw new TideError('invalid_state', 'the conversation is closed');
    throw new TideError('forbidden', 'the conversation is not yours');
  }
  if (conversation.assignedTo !== agentId) throw new TideError('forbidden', 'the conversation is not yours');
  return conversation;
}
