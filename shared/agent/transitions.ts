import type { AgentConfig } from '../config/schema.js';
import type { Conversation } from '../conversation/model.js';
import type { Context } from '../conversation/transitions.js';
import type { TideConfig } from '../config/schema.js';
import { canTakeQueueWork, loadOf, type Agent, type AgentStatus, type Holding } from './model.js';

/**
 * Every change of an agent's routing state, as pure functions (the agent's half of the state
 * machine; the conversation's half is shared/conversation/transitions.ts).
 *
 * An agent's load is never changed directly: `holding` derives it from the conversation's before
 * and after images, so the agent's `holds` and `active`, and the conversations themselves, agree
 * by construction. Each result is written conditional on the version read.
 */

const bump = (agent: Agent, changes: Partial<Agent>): Agent => ({ ...agent, ...changes, version: agent.version + 1 });

/** Whether `holds` tells `waiting` from `active`: only dynamic concurrency needs it (see Holding). */
export const holdsTellWaiting = (config: Pick<TideConfig, 'routing'>) => config.routing.dynamicConcurrencyMargin > 0;

/**
 * How `agentId` holds this conversation image: not at all, or as active or inactive work; with
 * `tellWaiting`, active work waiting on the agent is `waiting`.
 */
export function holdingOf(c: Conversation | undefined, agentId: string, tellWaiting = false): Holding | undefined {
  if (!c || c.assignedTo !== agentId || c.state === 'closed' || c.state === 'queued') return undefined;
  if (c.state !== 'active') return 'inactive';
  return tellWaiting && c.waitingOn === 'agent' ? 'waiting' : 'active';
}

/** The agents a conversation change concerns: who held it before, who holds it after. */
export const agentsConcerned = (before: Conversation | undefined, after: Conversation): string[] =>
  [...new Set([before?.assignedTo, after.assignedTo].filter((a): a is string => Boolean(a)))];

/** The agents whose `holds` a change alters (only they need to be read and written with it). */
export const agentsMoved = (before: Conversation | undefined, after: Conversation, tellWaiting = false): string[] =>
  agentsConcerned(before, after).filter((id) => holdingOf(before, id, tellWaiting) !== holdingOf(after, id, tellWaiting));

/**
 * The agent's next image after a conversation changed from `before` to `after`, or undefined
 * when the change does not touch how the agent holds it. Taking an active slot stamps
 * `lastAssignedAt`.
 */
export function holding(agent: Agent, before: Conversation | undefined, after: Conversation, ctx: Context): Agent | undefined {
  const tellWaiting = holdsTellWaiting(ctx.config);
  const was = holdingOf(before, agent.agentId, tellWaiting);
  const now = holdingOf(after, agent.agentId, tellWaiting);
  if (was === now) return undefined;
  const holds = { ...agent.holds };
  if (now) holds[after.conversationId] = now;
  else delete holds[after.conversationId];
  return bump(agent, {
    holds,
    ...loadOf(holds, ctx.config.routing),
    // A new slot taken (not an active conversation turning to wait on the agent, or back).
    ...(now && now !== 'inactive' && (!was || was === 'inactive') ? { lastAssignedAt: ctx.now.toISOString() } : {}),
  });
}

/**
 * Presence. Online starts the ramp-up when configured (one slot at once, one more per interval:
 * `rampUpSecondsPerSlot`); away keeps the conversations but takes no queue work; offline too
 * (its conversations are handled by `agentLeft` in the conversation's transitions).
 */
export function setStatus(agent: Agent, status: AgentStatus, ctx: Context): Agent | undefined {
  if (agent.status === status) return undefined;
  const ramp = ctx.config.routing.rampUpSecondsPerSlot;
  if (status === 'online') {
    return bump(agent, { status, onlineSince: ctx.now.toISOString(), routingLimit: ramp > 0 ? 1 : undefined });
  }
  return bump(agent, { status, routingLimit: undefined });
}

/** A ramp-up step: the limit grows with the time online, up to preferred concurrency. */
export function rampUp(agent: Agent, ctx: Context): Agent | undefined {
  const interval = ctx.config.routing.rampUpSecondsPerSlot;
  if (agent.status !== 'online' || agent.routingLimit === undefined || interval <= 0 || !agent.onlineSince) return undefined;
  const elapsed = Math.max(0, ctx.now.getTime() - Date.parse(agent.onlineSince)) / 1000;
  const limit = 1 + Math.floor(elapsed / interval);
  if (limit <= agent.routingLimit) return undefined;
  return bump(agent, { routingLimit: limit >= agent.preferredConcurrency ? undefined : limit });
}

/** The profile from configuration or the admin API; live state (status, load, holds) is kept. */
export function withProfile(agent: Agent | undefined, profile: AgentConfig): Agent {
  const fields = {
    name: profile.name ?? profile.id,
    queues: [...profile.queues],
    preferredConcurrency: profile.preferredConcurrency,
    maxLoad: profile.maxLoad,
  };
  if (!agent) {
    return { agentId: profile.id, ...fields, status: 'offline', active: 0, holds: {}, version: 1, worklistSeq: 0, connections: {} };
  }
  return bump(agent, fields);
}

/**
 * The queues in which the agent can take work, for the Availability rows: every queue it serves
 * while online and below its routing limit, none otherwise.
 */
export const availableIn = (agent: Agent | undefined): string[] => (agent && canTakeQueueWork(agent) ? agent.queues : []);

/** Availability rows to add and remove when an agent goes from `before` to `after`. */
export function availabilityChanges(before: Agent | undefined, after: Agent): { add: string[]; remove: string[] } {
  const was = new Set(availableIn(before));
  const now = new Set(availableIn(after));
  return { add: [...now].filter((q) => !was.has(q)), remove: [...was].filter((q) => !now.has(q)) };
}
