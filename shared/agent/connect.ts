import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { announceWatcher } from '../supervision/overview-requests.js';
import { watchesOverview } from '../supervision/registry.js';
import { getAgent } from './agent-store.js';
import { registerConnection, type Role } from './connections.js';

/**
 * Accepts a verified token's connection. An `agent` must exist in Tide; supervisors and admins
 * may connect without an agent profile (they receive no work, but overviews). The client asks for
 * its work list or overview with `setStatus` or `sync`: API Gateway cannot push on a connection
 * before `$connect` returns.
 */
export async function connectAgent(deps: Deps, connectionId: string, identity: { agentId: string; role: Role }) {
  if (identity.role === 'agent' && !(await getAgent(deps, identity.agentId))) {
    throw new TideError('forbidden', `agent ${identity.agentId} does not exist`);
  }
  await registerConnection(deps, { connectionId, agentId: identity.agentId, role: identity.role });
  // Best effort: without it, the first overview after a change in the next second may come only
  // with the change after it; `sync` shows the overview at once anyway.
  if (watchesOverview(identity.role)) await announceWatcher(deps).catch((error: Error) => logger.warn('new watcher not announced', { error: error.name }));
}
