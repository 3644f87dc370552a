import { createHash } from 'node:crypto';
import { commitChange, contextOf } from '../conversation/change.js';
import { getConversations } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { agentLeft, agentReturned } from '../conversation/transitions.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { withRetries } from '../storage/commit.js';
import { commitAgent, getAgent } from './agent-store.js';
import type { Agent, AgentStatus } from './model.js';
import type { RememberAnswer } from './request-log.js';
import { rampUp, setStatus } from './transitions.js';

/**
 * Changes an agent's presence.
 *  - online: takes back conversations whose customers wrote while the agent was away (up to
 *    maxLoad); the Availability rows appear, and the change stream routes queued work to the
 *    agent within a second;
 *  - away: keeps its conversations, receives no queue work (reactivations still come back);
 *  - offline: active conversations waiting on the agent go back to their queues (customers must
 *    not wait on someone who left); those waiting on the customer become inactive and stay.
 * Returns the agent as it is afterwards.
 */
export async function setAgentStatus(deps: Deps, agentId: string, status: AgentStatus, options: { remember?: RememberAnswer } = {}): Promise<Agent> {
  let cameOnline = false;
  let agent = await withRetries<Agent>('setStatus', async () => {
    const current = await getAgent(deps, agentId);
    if (!current) throw new TideError('not_found', `agent ${agentId} does not exist`);
    const next = setStatus(current, status, contextOf(deps));
    if (!next) return { done: true, value: current };
    if (!(await commitAgent(deps, current, next, options.remember ? [options.remember({ status })] : []))) return { done: false };
    cameOnline = status === 'online';
    return { done: true, value: next };
  });
  // Best effort: a Scheduler outage must not stop an agent going online; the sweep raises a
  // ramp-up step whose timer is missing.
  if (cameOnline) await scheduleRampUp(deps, agent).catch((error: Error) => logger.warn('ramp-up timers not armed; the sweep will step', { agentId, error: error.name }));
  if (status === 'offline') agent = await handOverHeldWork(deps, agent, (c, _agent, ctx) => agentLeft(c, ctx));
  if (status === 'online') agent = await handOverHeldWork(deps, agent, agentReturned);
  return agent;
}

/**
 * Applies a presence transition to each conversation the agent holds, one transaction each (a
 * customer writing meanwhile makes that one read again). Returns the agent's latest image.
 */
async function handOverHeldWork(
  deps: Deps,
  agent: Agent,
  transition: (c: Conversation, agent: Agent, ctx: ReturnType<typeof contextOf>) => Conversation | undefined,
): Promise<Agent> {
  let current = agent;
  for (const held of await getConversations(deps, Object.keys(agent.holds))) {
    await withRetries('presence hand-over', async (attempt) => {
      const before = attempt === 0 ? held : (await getConversations(deps, [held.conversationId]))[0];
      if (attempt > 0) current = (await getAgent(deps, agent.agentId)) ?? current;
      if (!before || before.assignedTo !== agent.agentId || current.status !== agent.status) return { done: true, value: undefined };
      const ctx = contextOf(deps);
      const after = transition(before, current, ctx);
      if (!after) return { done: true, value: undefined };
      const outcome = await commitChange(deps, ctx, { before, after, agents: [current] });
      if (!outcome.committed) return { done: false };
      current = outcome.agents[0] ?? current;
      return { done: true, value: undefined };
    }).catch((error: Error) => logger.warn('presence hand-over of a conversation failed; the sweep retries', { conversationId: held.conversationId, error: error.name }));
  }
  return current;
}

/**
 * While an agent ramps up, its routing limit grows one slot per interval; a timer at each step
 * raises it, and the change stream routes the new slot when it opens.
 */
async function scheduleRampUp(deps: Deps, agent: Agent): Promise<void> {
  const interval = deps.config.routing.rampUpSecondsPerSlot;
  if (interval <= 0 || !agent.onlineSince) return;
  const since = Date.parse(agent.onlineSince);
  for (let step = 1; step < agent.preferredConcurrency; step++) {
    await deps.timers.schedule(rampTimerName(agent.agentId, since, step), new Date(since + step * interval * 1000), {
      kind: 'ramp',
      agentId: agent.agentId,
      onlineSince: agent.onlineSince,
    });
  }
}

export const rampTimerName = (agentId: string, since: number, step: number) =>
  `ramp-${createHash('sha256').update(agentId).digest('hex').slice(0, 24)}-${since}-${step}`;

/** A ramp-up step (timer or sweep): raises the routing limit if it is due. */
export async function onRampTimer(deps: Deps, agentId: string, onlineSince?: string): Promise<boolean> {
  return withRetries<boolean>('rampUp', async () => {
    const agent = await getAgent(deps, agentId);
    if (!agent || (onlineSince && agent.onlineSince !== onlineSince)) return { done: true, value: false };
    const next = rampUp(agent, contextOf(deps));
    if (!next) return { done: true, value: false };
    return (await commitAgent(deps, agent, next)) ? { done: true, value: true } : { done: false };
  });
}
