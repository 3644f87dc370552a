import { takeWorklistSeq } from '../agent/agent-store.js';
import { liveConnections } from '../agent/connections.js';
import type { Agent } from '../agent/model.js';
import { connectionGone } from '../agent/presence.js';
import { holdingOf, holdsTellWaiting } from '../agent/transitions.js';
import { getConversations } from '../conversation/conversation-store.js';
import type { ChannelName, Conversation, TransferNote } from '../conversation/model.js';
import { byRank } from '../routing/priority.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { tideMetrics } from '../runtime/metrics.js';

/** One entry of the `worklist` frame (DESIGN §4). */
export interface WorklistItem {
  conversationId: string;
  state: 'active' | 'inactive';
  waitingOn: 'agent' | 'customer';
  queue: string;
  channel: ChannelName;
  customer: { id: string; name?: string };
  lastMessage: { direction: 'in' | 'out'; text: string; at: string };
  slaDueAt: string | null;
  slaBreached: boolean;
  followUpAt: string | null;
  priority: number;
  /** What whoever handed the conversation over wrote for its next owner (null when none). */
  transferNote: TransferNote | null;
}

export interface WorklistFrame {
  type: 'worklist';
  seq: number;
  agent: { id: string; status: Agent['status']; active: number; preferredConcurrency: number; maxLoad: number };
  items: WorklistItem[];
  /** Lowest-ranked items left out so that the frame fits API Gateway's 128 KB (absent when none). */
  omitted?: number;
}

/** API Gateway's WebSocket message limit. */
export const maxFrameBytes = 128 * 1024;

/**
 * Shapes the frame from the agent and a snapshot of the conversations it holds: best first,
 * `lastMessage.text` already cut to 500 characters on the conversation, and, if the list still
 * would not fit in a frame, the lowest-ranked items left out (`omitted`).
 */
export function worklistFrame(agent: Agent, held: readonly Conversation[]): WorklistFrame {
  const open = held.filter((c) => holdingOf(c, agent.agentId)).sort(byRank);
  const frame: WorklistFrame = {
    type: 'worklist',
    seq: agent.worklistSeq,
    agent: {
      id: agent.agentId,
      status: agent.status,
      active: open.filter((c) => c.state === 'active').length,
      preferredConcurrency: agent.preferredConcurrency,
      maxLoad: agent.maxLoad,
    },
    items: open.map(itemOf),
  };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  let size = bytes(frame);
  if (size <= maxFrameBytes) return frame;
  // Room for `"omitted":N` too; items are separated by one comma each.
  const budget = maxFrameBytes - 32;
  const items = [...frame.items];
  while (items.length > 0 && size > budget) size -= bytes(items.pop()) + 1;
  return { ...frame, items, omitted: frame.items.length - items.length };
}

function itemOf(c: Conversation): WorklistItem {
  return {
    conversationId: c.conversationId,
    state: c.state as 'active' | 'inactive',
    waitingOn: c.waitingOn,
    queue: c.queue,
    channel: c.channel,
    customer: c.customerName ? { id: c.customerId, name: c.customerName } : { id: c.customerId },
    lastMessage: { direction: c.lastMessage.direction, text: c.lastMessage.text, at: c.lastMessage.at },
    slaDueAt: c.slaDueAt ?? null,
    slaBreached: Boolean(c.slaBreached),
    followUpAt: c.followUpAt ?? null,
    priority: c.priority,
    transferNote: c.transferNote ? { text: c.transferNote.text, from: c.transferNote.from, at: c.transferNote.at } : null,
  };
}

/**
 * Sends frames to every live connection of an agent. A connection API Gateway reports gone (410)
 * is forgotten, and if it was the last one the presence grace starts. A failed post is not lost
 * work: the next change pushes the whole list again, and the client can `sync`.
 */
export async function postToAgent(deps: Deps, agent: Agent, frames: readonly object[]): Promise<number> {
  const connections = liveConnections(agent, deps.clock.now());
  let sent = 0;
  await Promise.all(
    connections.map(async (connectionId) => {
      for (const frame of frames) {
        try {
          if ((await deps.pusher.post(connectionId, frame)) === 'gone') {
            await connectionGone(deps, connectionId, agent.agentId);
            return;
          }
          sent++;
        } catch (error) {
          logger.warn('push failed', { agentId: agent.agentId, connectionId, error: (error as Error).name });
          deps.metrics?.count(tideMetrics.pushFailures, {});
          return;
        }
      }
    }),
  );
  return sent;
}

export type PushOutcome = 'sent' | 'no-connections' | 'superseded' | 'unknown-agent';

/**
 * Pushes the agent's whole work list, as a snapshot: the conversations it holds as they stood at
 * one moment, never a closed one, never more active items than it held, never one that another
 * agent holds.
 *
 *  1. Take the next `seq`: this also reads the agent, with what it holds (`holds`, changed in the
 *     same transaction as every conversation it concerns) and its connections, consistently.
 *  2. Read those conversations, consistently (not from the change stream's images, which may be
 *     older than the moment of step 1).
 *  3. Check each against `holds`. If one disagrees, a change landed after step 1; that change has
 *     its own push with a higher `seq` coming, so this one is dropped rather than mixing two
 *     moments. On a second disagreement with the same versions, `holds` itself is wrong: logged,
 *     and shown as the conversations say (the sweep repairs `holds`).
 * `before` frames (a new customer message) go out first, on the same connections.
 */
export async function pushWorklist(deps: Deps, agentId: string, options: { before?: readonly object[] } = {}): Promise<PushOutcome> {
  let previous: Map<string, number> | undefined;
  let last: Agent | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const agent = await takeWorklistSeq(deps, agentId);
    if (!agent) return 'unknown-agent';
    last = agent;
    if (liveConnections(agent, deps.clock.now()).length === 0) return 'no-connections';
    const ids = Object.keys(agent.holds ?? {});
    const images = await getConversations(deps, ids);
    const disagreeing = ids.filter((id) => {
      const c = images.find((i) => i.conversationId === id);
      return !c || holdingOf(c, agentId, holdsTellWaiting(deps.config)) !== agent.holds[id];
    });
    const versions = new Map(images.map((c) => [c.conversationId, c.version]));
    const drifted = previous && disagreeing.every((id) => previous!.get(id) === versions.get(id));
    if (disagreeing.length === 0 || drifted) {
      if (disagreeing.length > 0) logger.error('work list: holds disagree with the conversations', { agentId, conversations: disagreeing.length });
      await postToAgent(deps, agent, [...(options.before ?? []), worklistFrame(agent, images)]);
      return 'sent';
    }
    previous = versions;
  }
  // Still moving: the pushes of the changes that moved it come with higher sequence numbers.
  if (options.before?.length && last) await postToAgent(deps, last, options.before);
  return 'superseded';
}
