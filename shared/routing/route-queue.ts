import { getAgents } from '../agent/agent-store.js';
import { canTakeQueueWork, queueLoadOf, routingLimitOf, type Agent } from '../agent/model.js';
import { commitChange, contextOf } from '../conversation/change.js';
import { nextQueued } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { assign } from '../conversation/transitions.js';
import type { Deps } from '../runtime/deps.js';
import { tideMetrics } from '../runtime/metrics.js';
import { availableAgentIds } from './availability-store.js';
import { chooseAgent } from './choose-agent.js';
import { byRank } from './priority.js';

/**
 * What the change stream saw that routing should know even before the indexes do (they lag):
 * conversations just queued, and agents whose capacity just appeared (their images save reads).
 */
export interface RoutingHints {
  conversations?: readonly Conversation[];
  agents?: readonly Agent[];
  /**
   * Look at the queue before asking who has room: a recheck, which on a day with room finds it
   * empty (the sweep, which on a busy day finds work and no room, asks who has room first).
   */
  queueFirst?: boolean;
}

/** Queued conversations a pass without hints reads first (the whole queue when it holds fewer). */
const headSize = 10;

/** Agents read per round trip when more candidates are needed (eventually consistent: the write checks). */
const agentsPerRead = 4;

/**
 * One routing pass over a queue: hands its best conversations to agents who have room, until
 * either runs out. It runs once per batch of changes (shared/follow-ups), however many events in
 * the batch concern the queue, and from the sweep.
 *
 * Its cost does not grow with the number of agents or the depth of the queue:
 *  - who has room: the agents whose slot just freed (their images come with the hint), and, when
 *    they are not enough, the queue's Availability rows: one strongly consistent query (exact,
 *    no lag); when nobody has room the pass ends there;
 *  - which conversations: one index query for as many as could be placed, plus the conversations
 *    the stream just saw queued (found even while the index lags);
 *  - which agent: among those with room, read a few at a time in random order (hinted images
 *    need no read), the least loaded, ties broken at random (shared/routing/choose-agent.ts).
 * Each assignment is one transaction on the conversation and the agent, conditional on both
 * versions: a stale image or a concurrent router costs a retry with the image the refusal
 * returned, never a double assignment or an overfilled agent.
 */
/** What a pass did: the conversations it assigned, and whether it left room unused. */
export interface RoutingPass {
  assigned: Conversation[];
  /**
   * A candidate stayed queued although agents still had room (lost races on every try): nothing
   * else would route it before the sweep, since a slot freed by an agent who had room routes
   * nothing (shared/follow-ups/derive.ts). The caller asks for a recheck.
   */
  leftBehind: boolean;
  /** Someone could still take work when the candidates ran out (see shared/routing/rechecks.ts); false from a recheck that found the queue empty, which did not ask. */
  roomLeft: boolean;
}

export async function routeQueue(deps: Deps, queue: string, hints: RoutingHints = {}): Promise<RoutingPass> {
  const random = deps.random ?? Math.random;
  const loaded = new Map<string, Agent>();
  for (const agent of hints.agents ?? []) if (canTakeQueueWork(agent) && agent.queues.includes(queue)) loaded.set(agent.agentId, agent);
  // Who else has room is asked only when needed: after a slot freed, the agent who freed it is
  // usually all the room there is (had anyone else had room, the queue would be empty).
  let room: Set<string> | undefined;
  let unread: string[] = [];
  const askAvailability = async () => {
    room = new Set(await availableAgentIds(deps, queue));
    for (const id of loaded.keys()) if (!room.has(id)) loaded.delete(id);
    unread = shuffle([...room].filter((id) => !loaded.has(id)), random);
  };
  const hinted = mergeCandidates([], hints.conversations ?? [], queue);
  // A recheck looks at the head of the queue first: an empty queue, the usual case on a day with
  // room, ends the pass without asking who has room, and a head long enough for the room found
  // is not read twice.
  let head: Conversation[] | undefined;
  if (hints.queueFirst && loaded.size === 0 && hinted.length === 0) {
    head = await nextQueued(deps, queue, headSize);
    if (head.length === 0) return { assigned: [], roomLeft: false, leftBehind: false };
  }
  if (loaded.size === 0) {
    await askAvailability();
    if (room!.size === 0) return { assigned: [], roomLeft: false, leftBehind: false };
  }
  const read = async (ids: string[]) => {
    unread = unread.filter((id) => !ids.includes(id));
    for (const agent of await getAgents(deps, ids, false)) loaded.set(agent.agentId, agent);
  };

  const roomFor = room ? 2 * room.size : [...loaded.values()].reduce((n, a) => n + Math.ceil(routingLimitOf(a) - queueLoadOf(a)), 0);
  // New work that fits where there is room needs no look at the queue: had older work been
  // waiting with room there, an earlier pass would have placed it (and a lagging index is what
  // rechecks and the sweep are for). When room is short, the queue decides who goes first.
  const fits = hinted.length > 0 && !hints.agents?.length && room !== undefined && hinted.length <= room.size;
  const limit = Math.min(100, roomFor + 5);
  const queued = fits ? [] : head && (head.length < headSize || head.length >= limit) ? head : await nextQueued(deps, queue, limit);
  const candidates = mergeCandidates(queued, hints.conversations ?? [], queue);
  const assigned: Conversation[] = [];
  let leftBehind = false;
  for (const first of candidates) {
    let candidate = first;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 4) {
        leftBehind = true;
        break;
      }
      const preferred = candidate.preferredAgentId;
      if (preferred && room?.has(preferred) && !loaded.has(preferred)) await read([preferred]);
      let agent = chooseAgent(loaded.values(), queue, preferred, random);
      if (!agent && !room) await askAvailability();
      while (!agent && unread.length > 0) {
        await read(unread.slice(0, agentsPerRead));
        agent = chooseAgent(loaded.values(), queue, preferred, random);
      }
      if (!agent) return { assigned, roomLeft: false, leftBehind }; // nobody has room left
      const ctx = contextOf(deps);
      const after = assign(candidate, agent, ctx);
      const outcome = await commitChange(deps, ctx, { before: candidate, after, agents: [agent] });
      if (outcome.committed) {
        loaded.set(agent.agentId, outcome.agents[0] ?? agent);
        assigned.push(after);
        deps.metrics?.measure(tideMetrics.routingLatency, { Queue: queue }, ctx.now.getTime() - Date.parse(candidate.waitingSince ?? candidate.updatedAt));
        break;
      }
      for (const conflict of outcome.conflicts) {
        if (conflict.name === `agent:${agent.agentId}`) {
          // Someone else changed the agent: decide again on the image the refusal returned.
          if (conflict.current) loaded.set(agent.agentId, conflict.current as unknown as Agent);
          else loaded.delete(agent.agentId);
        }
      }
      const changed = outcome.conflicts.find((c) => c.name === 'conversation');
      if (changed) {
        const current = changed.current as Conversation | undefined;
        // Taken, closed or moved meanwhile; or changed but still queued here: try with the new image.
        if (!current || current.state !== 'queued' || current.queuedIn !== queue) break;
        candidate = current;
      }
    }
  }
  const roomLeft = unread.length > 0 || Boolean(chooseAgent(loaded.values(), queue, undefined, random));
  return { assigned, roomLeft, leftBehind };
}

/** Index results and stream hints for one queue, best first, each at its newest version. */
function mergeCandidates(fromIndex: readonly Conversation[], hinted: readonly Conversation[], queue: string): Conversation[] {
  const byId = new Map<string, Conversation>();
  for (const c of [...fromIndex, ...hinted]) {
    if (c.state !== 'queued' || c.queuedIn !== queue) continue;
    const seen = byId.get(c.conversationId);
    if (!seen || seen.version < c.version) byId.set(c.conversationId, c);
  }
  return [...byId.values()].sort(byRank);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
