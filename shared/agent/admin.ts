import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { agentConfigSchema, agentIdSchema, queueSettings, type AgentConfig, type TideConfig } from '../config/schema.js';
import { commitChange, contextOf } from '../conversation/change.js';
import { getConversations } from '../conversation/conversation-store.js';
import { agentRemoved } from '../conversation/transitions.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { commit, withRetries } from '../storage/commit.js';
import { commitAgent, getAgent, upsertAgentProfile } from './agent-store.js';
import type { Agent } from './model.js';
import { holdingOf, setStatus } from './transitions.js';

/**
 * The administration API (DESIGN §4b): list, create or update, and remove agents, with no
 * deployment. A profile change is one versioned write of the agent (with its Availability rows):
 * the Agents stream sees capacity appear (a higher preferred concurrency, a new queue) and routes
 * queued work to the agent within a second, as for any other agent change.
 */

/** An agent as the admin API shows it: its profile and live load, under the config file's `id`. */
export type AgentView = { id: string } & Pick<Agent, 'name' | 'queues' | 'preferredConcurrency' | 'maxLoad' | 'status' | 'active'>;

export const agentView = (a: Agent): AgentView => ({
  id: a.agentId,
  name: a.name,
  queues: [...a.queues],
  preferredConcurrency: a.preferredConcurrency,
  maxLoad: a.maxLoad,
  status: a.status,
  active: a.active,
});

/** An admin's request body is small; anything bigger is not a profile. */
const maxBodyBytes = 16 * 1024;

/**
 * Every agent, by id. A consistent scan of the Agents table: its size is the number of agents
 * (an administrator's occasional read, not a routing path), and an agent created a moment ago
 * is listed, which the lagging `byStatus` index would not promise.
 */
export async function listAgents(deps: Pick<Deps, 'db' | 'tables'>): Promise<AgentView[]> {
  const agents: Agent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new ScanCommand({
        TableName: deps.tables.agents,
        ConsistentRead: true,
        ProjectionExpression: 'agentId, #name, queues, preferredConcurrency, maxLoad, #status, active',
        ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
        ExclusiveStartKey: start,
      }),
    );
    agents.push(...((page.Items ?? []) as Agent[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return agents.map(agentView).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * `PUT /v1/admin/agents/{agentId}`'s body as a profile, by the configuration file's rules
 * (shared/config/schema.ts): `{name?, queues?, preferredConcurrency?, maxLoad?}`, the same
 * defaults, configured queues only, each once. Anything else is `invalid_request`.
 */
export function profileFromRequest(config: Pick<TideConfig, 'queues'>, agentId: string, body: string | undefined, base64 = false): AgentConfig {
  const raw = Buffer.from(body ?? '', base64 ? 'base64' : 'utf8');
  if (raw.length > maxBodyBytes) throw new TideError('payload_too_large', `the body is over ${maxBodyBytes} bytes`);
  let input: unknown;
  try {
    input = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TideError('invalid_request', 'the body is not JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TideError('invalid_request', 'the body is a JSON object');
  const fields = input as Record<string, unknown>;
  if ('id' in fields && fields.id !== agentId) throw new TideError('invalid_request', 'id: the agent id is the one in the path');
  const parsed = agentConfigSchema.safeParse({ ...fields, id: agentId });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new TideError('invalid_request', problems.join('; '));
  }
  const profile = parsed.data;
  const unknown = profile.queues.filter((q) => !queueSettings(config, q));
  if (unknown.length) throw new TideError('invalid_request', `queues: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a configured queue' : 'are not configured queues'}`);
  // Each queue is one Availability row, written in the agent's transaction: a queue twice
  // would be two writes of one item, which DynamoDB refuses.
  if (new Set(profile.queues).size !== profile.queues.length) throw new TideError('invalid_request', 'queues: a queue is listed twice');
  return profile;
}

/** Creates or updates an agent; `created` when it did not exist. Live state (status, load) is kept. */
export async function saveAgentProfile(deps: Pick<Deps, 'db' | 'tables'>, profile: AgentConfig): Promise<{ agent: AgentView; created: boolean }> {
  const agent = await upsertAgentProfile(deps, profile);
  // A new agent is written at version 1 (shared/agent/transitions.ts `withProfile`); every
  // change after that raises it.
  return { agent: agentView(agent), created: agent.version === 1 };
}

/** Ends a WebSocket connection (the management API's DeleteConnection); gone ones are fine. */
export type CloseConnection = (connectionId: string) => Promise<void>;

/**
 * `DELETE /v1/admin/agents/{agentId}`: the agent goes offline, its work is handled as for
 * presence, adapted to an agent who will not come back (`agentRemoved`: what waits on it is
 * queued, with no preferred agent; what waits on the customer goes inactive, unassigned, and
 * the customer's next message queues it; a pending follow-up is queued when it comes due), and
 * the agent item is deleted, conditional on the version read after the last release.
 *
 * That condition is what makes a race with routing safe: an assignment, a transfer or a status
 * change that commits meanwhile changes the version, the delete is refused and the round starts
 * again; one that comes after the delete finds no agent to write (its own write is conditional
 * on the agent's version, which a missing item fails). The agent's open connections are then
 * closed (best effort): pushes to it stop at once anyway, as there is no agent to push for, and
 * its token can no longer open a connection (`$connect` wants an agent profile).
 * Returns the agent as it was last, offline and holding nothing.
 */
export async function removeAgent(deps: Deps, agentId: string, close?: CloseConnection): Promise<AgentView> {
  // An id no agent can have (DynamoDB refuses an empty key outright) does not exist either.
  if (!agentIdSchema.safeParse(agentId).success) throw new TideError('not_found', `agent ${agentId} does not exist`);
  const removed = await withRetries<Agent>(
    'remove agent',
    async () => {
      let agent = await getAgent(deps, agentId);
      if (!agent) throw new TideError('not_found', `agent ${agentId} does not exist`);
      if (agent.status !== 'offline') {
        // Offline first: no new work (its Availability rows go with this write).
        const offline = setStatus(agent, 'offline', contextOf(deps))!;
        if (!(await commitAgent(deps, agent, offline))) return { done: false };
        agent = offline;
      }
      const released = await releaseHeldWork(deps, agent);
      if (!released) return { done: false };
      const outcome = await commit(deps.db, [
        {
          name: `agent:${agentId}`,
          write: {
            Delete: {
              TableName: deps.tables.agents,
              Key: { agentId },
              // Offline at this version, so it has no Availability rows (they flip with it).
              ConditionExpression: '#version = :v AND #status = :offline',
              ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
              ExpressionAttributeValues: { ':v': released.version, ':offline': 'offline' },
            },
          },
        },
      ]);
      return outcome.committed ? { done: true, value: released } : { done: false };
    },
    12,
  );
  if (close) {
    const ids = Object.keys(removed.connections ?? {});
    const closed = await Promise.allSettled(ids.map((id) => close(id)));
    const failed = closed.filter((c) => c.status === 'rejected').length;
    if (failed) logger.warn('connections of a removed agent not closed; they receive nothing and expire', { agentId, failed });
  }
  return agentView(removed);
}

/**
 * Releases every conversation the agent holds, one transaction each with the agent. Returns the agent's image after the last, or undefined
 * when a release lost a race (the caller reads everything again).
 */
async function releaseHeldWork(deps: Deps, agent: Agent): Promise<Agent | undefined> {
  let current = agent;
  for (const before of await getConversations(deps, Object.keys(agent.holds ?? {}))) {
    if (!holdingOf(before, agent.agentId)) continue;
    const ctx = contextOf(deps);
    const after = agentRemoved(before, agent.agentId, ctx);
    if (!after) continue;
    const outcome = await commitChange(deps, ctx, { before, after, agents: [current] });
    if (!outcome.committed) return undefined;
    current = outcome.agents[0] ?? current;
  }
  return current;
}
