import { createHash } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addSeconds } from '../clock.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure } from '../storage/commit.js';
import { getAgent } from './agent-store.js';
import { liveConnections, removeConnection } from './connections.js';
import type { Agent } from './model.js';
import { setAgentStatus } from './set-status.js';

/** Agent ids may hold characters schedule names may not (`@`); a digest keeps names valid. */
export const presenceTimerName = (agentId: string, gen: number) =>
  `presence-${createHash('sha256').update(agentId).digest('hex').slice(0, 32)}-${gen}`;

/**
 * A connection is gone, however it ended: `$disconnect`, or a push answered 410 (API Gateway
 * does not always deliver `$disconnect`). When it was the agent's last live one, the presence
 * grace starts: a dropped network or a page reload must not cost an agent their customers, but
 * an agent who really left must not keep customers waiting.
 */
export async function connectionGone(deps: Deps, connectionId: string, agentId?: string): Promise<void> {
  const agent = await removeConnection(deps, connectionId, agentId);
  if (agent) await startPresenceGrace(deps, agent);
}

/** Arms the presence check if the agent has nothing live left and is not offline already. */
export async function startPresenceGrace(deps: Deps, agent: Agent): Promise<void> {
  const now = deps.clock.now();
  if (agent.status === 'offline' || liveConnections(agent, now).length > 0) return;
  const at = addSeconds(now, deps.config.routing.presenceGraceSeconds);
  let gen: number;
  try {
    const out = await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId: agent.agentId },
        UpdateExpression: 'SET presenceCheckAt = :at ADD presenceGen :one',
        ConditionExpression: 'attribute_exists(agentId)',
        ExpressionAttributeValues: { ':at': at.toISOString(), ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    gen = (out.Attributes as Agent).presenceGen!;
  } catch (error) {
    if (isConditionFailure(error)) return;
    throw error;
  }
  // If this schedule is lost, the sweep finds the overdue `presenceCheckAt` (shared/routing/sweep.ts).
  await deps.timers.schedule(presenceTimerName(agent.agentId, gen), at, { kind: 'presence', agentId: agent.agentId, gen });
}

/**
 * The grace period ended: offline, unless the agent has a live connection again (a reconnect
 * also clears `presenceCheckAt`) or a later check superseded this one.
 */
export async function onPresenceTimer(deps: Deps, agentId: string, gen: number): Promise<boolean> {
  const agent = await getAgent(deps, agentId);
  if (!agent || agent.presenceGen !== gen) return false;
  return checkPresence(deps, agent);
}

/** Offline if the presence check is due and nothing live is left; used by the timer and the sweep. */
export async function checkPresence(deps: Deps, agent: Agent): Promise<boolean> {
  const now = deps.clock.now();
  if (!agent.presenceCheckAt || agent.status === 'offline') return false;
  if (Date.parse(agent.presenceCheckAt) > now.getTime()) return false;
  if (liveConnections(agent, now).length > 0) return false;
  await setAgentStatus(deps, agent.agentId, 'offline');
  await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId: agent.agentId },
        UpdateExpression: 'REMOVE presenceCheckAt',
        ConditionExpression: 'presenceGen = :gen',
        ExpressionAttributeValues: { ':gen': agent.presenceGen ?? 0 },
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
  return true;
}
