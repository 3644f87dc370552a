import type { Agent } from '../agent/model.js';
import { listAgentConnections, removeConnection } from '../agent/connections.js';
import { takeWorklistSeq } from '../agent/agent-store.js';
import { listAgentWork } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { byRank } from '../routing/priority.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';

/** One entry of the `worklist` frame (DESIGN §4). */
export interface WorklistItem {
  conversationId: string;
  state: 'active' | 'inactive';
  waitingOn: 'agent' | 'customer';
  queue: string;
  customer: { id: string; name?: string };
  lastMessage: { direction: 'in' | 'out'; text: string; at: string };
  slaDueAt: string | null;
  slaBreached: boolean;
  followUpAt: string | null;
  priority: number;
}

export interface WorklistFrame {
  type: 'worklist';
  seq: number;
  agent: { id: string; status: Agent['status']; active: number; preferredConcurrency: number; maxLoad: number };
  items: WorklistItem[];
}

/** Shapes the frame from the agent and its conversations (any order, any staleness filtered). */
export function worklistFrame(agent: Agent, conversations: readonly Conversation[]): WorklistFrame {
  const open = conversations
    .filter((c) => c.assignedTo === agent.agentId && (c.state === 'active' || c.state === 'inactive'))
    .sort(byRank);
  return {
    type: 'worklist',
    seq: agent.worklistSeq,
    agent: {
      id: agent.agentId,
      status: agent.status,
      active: open.filter((c) => c.state === 'active').length,
      preferredConcurrency: agent.preferredConcurrency,
      maxLoad: agent.maxLoad,
    },
    items: open.map((c) => ({
      conversationId: c.conversationId,
      state: c.state as 'active' | 'inactive',
      waitingOn: c.waitingOn,
      queue: c.queue,
      customer: c.customerName ? { id: c.customerId, name: c.customerName } : { id: c.customerId },
      lastMessage: { direction: c.lastMessage.direction, text: c.lastMessage.text, at: c.lastMessage.at },
      slaDueAt: c.slaDueAt,
      slaBreached: c.slaBreached,
      followUpAt: c.followUpAt,
      priority: c.priority,
    })),
  };
}

/**
 * Sends a frame to every connection of an agent; a connection API Gateway reports gone (410) is
 * removed. Returns how many connections received it.
 */
export async function sendToAgent(deps: Deps, agentId: string, frame: object, connectionIds?: string[]): Promise<number> {
  const ids = connectionIds ?? (await listAgentConnections(deps, agentId));
  const results = await Promise.all(
    ids.map(async (id) => {
      try {
        const outcome = await deps.pusher.post(id, frame);
        if (outcome === 'gone') await removeConnection(deps, id);
        return outcome === 'sent' ? 1 : 0;
      } catch (error) {
        // A failed push is not lost work: the next change pushes the whole list again and the
        // client can `sync`. Log and carry on with the other connections.
        logger.warn('push failed', { agentId, connectionId: id, error: (error as Error).name });
        return 0;
      }
    }),
  );
  return results.reduce<number>((a, b) => a + b, 0);
}

/**
 * Pushes the agent's full, ordered work list to all its connections.
 *
 * `fresh` are conversations this invocation just wrote: the work-list index is eventually
 * consistent, so their current images replace whatever the index returned ("read your writes").
 */
export async function pushWorklist(
  deps: Deps,
  agentId: string,
  fresh: readonly Conversation[] = [],
  /** The agent's connections, when the caller has just listed them. */
  knownConnectionIds?: string[],
): Promise<void> {
  const connectionIds = knownConnectionIds ?? (await listAgentConnections(deps, agentId));
  if (connectionIds.length === 0) return;
  const agent = await takeWorklistSeq(deps, agentId);
  if (!agent) return;
  const listed = await listAgentWork(deps, agentId);
  const freshIds = new Set(fresh.map((c) => c.conversationId));
  const merged = [...listed.filter((c) => !freshIds.has(c.conversationId)), ...fresh];
  await sendToAgent(deps, agentId, worklistFrame(agent, merged), connectionIds);
}
