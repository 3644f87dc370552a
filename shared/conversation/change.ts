import { agentWrites, getAgents } from '../agent/agent-store.js';
import type { Agent } from '../agent/model.js';
import { agentsConcerned, agentsMoved, holding, holdsTellWaiting } from '../agent/transitions.js';
import type { Deps } from '../runtime/deps.js';
import { commit, type CommitOutcome, type NamedWrite } from '../storage/commit.js';
import { conversationWrite } from './conversation-store.js';
import { messageWrite, type StoredMessage } from './message-store.js';
import type { Conversation } from './model.js';
import { messageExpiry } from './retention.js';
import type { Context } from './transitions.js';

/**
 * A conversation going from `before` to `after` (a transition's result), with what must be
 * written with it: the agents who hold it (their `holds`, `active` and Availability rows, derived
 * from the two images) and new messages. One transaction, or one conditional write when only the
 * conversation changes.
 */
export interface ConversationChange {
  before: Conversation | undefined;
  after: Conversation;
  /** Current images of the agents the change concerns (who held it before, who holds it after). */
  agents: readonly Agent[];
  messages?: readonly StoredMessage[];
  /** Anything else that must commit with it (the record of the agent's request). */
  also?: readonly NamedWrite[];
}

export function changeWrites(deps: Pick<Deps, 'tables'>, ctx: Context, change: ConversationChange): { writes: NamedWrite[]; agents: Agent[] } {
  const writes: NamedWrite[] = [conversationWrite(deps, change.before, change.after)];
  const agents: Agent[] = [];
  for (const agentId of agentsConcerned(change.before, change.after)) {
    const agent = change.agents.find((a) => a.agentId === agentId);
    // An agent removed by an administrator holds nothing any more: the conversation moves alone.
    if (!agent) continue;
    const next = holding(agent, change.before, change.after, ctx);
    if (!next) continue;
    writes.push(...agentWrites(deps, agent, next));
    agents.push(next);
  }
  for (const message of change.messages ?? []) writes.push(messageWrite(deps, message, messageExpiry(ctx.config, change.after, message.sentAt)));
  writes.push(...(change.also ?? []));
  return { writes, agents };
}

/**
 * Commits a change; on success also returns the agents' new images. An agent whose `holds` the
 * change moves and whom the caller did not read is read here (consistently): with dynamic
 * concurrency a customer's message or an agent's reply moves the agent's holding too
 * (`waiting`), which callers that only read agents for a change of state need not know.
 */
export async function commitChange(
  deps: Pick<Deps, 'db' | 'tables'>,
  ctx: Context,
  change: ConversationChange,
): Promise<CommitOutcome & { agents: Agent[] }> {
  const unread = agentsMoved(change.before, change.after, holdsTellWaiting(ctx.config)).filter((id) => !change.agents.some((a) => a.agentId === id));
  if (unread.length > 0) change = { ...change, agents: [...change.agents, ...(await getAgents(deps, unread))] };
  const { writes, agents } = changeWrites(deps, ctx, change);
  const outcome = await commit(deps.db, writes);
  return { ...outcome, agents };
}

export const contextOf = (deps: Pick<Deps, 'clock' | 'config'>): Context => ({ now: deps.clock.now(), config: deps.config });
