import { upsertAgentProfile } from '../shared/agent/agent-store.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
}

/**
 * Deploy-time custom resource: creates or updates the agents listed in the configuration, the
 * same way the local stack seeds them. Live state (status, load) is kept; agents removed from the
 * configuration are left in place (they may still own conversations). Delete does nothing.
 */
export const handler = observed(deps, async (event: CustomResourceEvent) => {
  if (event.RequestType !== 'Delete') {
    for (const agent of deps.config.agents) await upsertAgentProfile(deps, agent);
  }
  return { PhysicalResourceId: event.PhysicalResourceId ?? 'tide-agents', Data: { seeded: deps.config.agents.length } };
});
