import { createHash } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addSeconds } from '../clock.js';
import type { Deps } from '../runtime/deps.js';
import { getAgent } from './agent-store.js';
import { listAgentConnections, removeConnection } from './connections.js';
import type { Agent } from './model.js';
import { setAgentStatus } from './set-status.js';

/** Agent ids may hold characters schedule names may not (`@`); a digest keeps names valid. */
export const presenceTimerName = (agentId: string, gen: number) =>
  `presence-${createHash('sha256').update(agentId).digest('hex').slice(0, 32)}-${gen}`;

/**
 * A connection closed. When it was the agent's last, a timer checks again after
 * `presenceGraceSeconds`: a dropped network or a page reload must not cost an agent their
 * customers, but an agent who really left must not keep customers waiting.
 */
export async function disconnectAgent(deps: Deps, connectionId: string): Promise<void> {
  const gone = await removeConnection(deps, connectionId);
  if (!gone) return;
  const remaining = (await listAgentConnections(deps, gone.agentId)).filter((id) => id !== connectionId);
  if (remaining.length > 0) return;
  let agent: Agent;
  try {
    const out = await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId: gone.agentId },
        UpdateExpression: 'ADD presenceGen :one',
        ConditionExpression: 'attribute_exists(agentId)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    agent = out.Attributes as Agent;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return; // a supervisor without a profile
    throw error;
  }
  if (agent.status === 'offline') return;
  const at = addSeconds(deps.clock.now(), deps.config.routing.presenceGraceSeconds);
  await deps.timers.schedule(presenceTimerName(agent.agentId, agent.presenceGen!), at, {
    kind: 'presence',
    agentId: agent.agentId,
    gen: agent.presenceGen!,
  });
}

/** The grace period ended: offline, unless the agent reconnected or disconnected again since. */
export async function onPresenceTimer(deps: Deps, agentId: string, gen: number): Promise<boolean> {
  const agent = await getAgent(deps, agentId);
  if (!agent || agent.presenceGen !== gen || agent.status === 'offline') return false;
  if ((await listAgentConnections(deps, agentId)).length > 0) return false;
  await setAgentStatus(deps, agentId, 'offline');
  return true;
}
