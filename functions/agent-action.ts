import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { Role } from '../shared/agent/connections.js';
import { performAgentAction } from '../shared/agent/perform-action.js';
import { connectionGone } from '../shared/agent/presence.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

type ActionEvent = APIGatewayProxyWebsocketEventV2 & { requestContext: { authorizer?: { agentId?: string; role?: Role } } };

/**
 * Every action route (`agentActionNames`: the agents' actions, `sync`, `ping`, and the
 * supervisors' `setAgentStatus` and `reassign`) and `$default`. The sender is who its token proved at `$connect`
 * (API Gateway passes the authorizer's context with every frame). The answer goes back through
 * the management API, like every other frame; work-list pushes follow from the change stream.
 */
export const handler = observed(deps, async (event: ActionEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId, authorizer } = event.requestContext;
  const answer = await performAgentAction(deps, { connectionId, agentId: authorizer?.agentId, role: authorizer?.role }, event.body);
  if ((await deps.pusher.post(connectionId, answer)) === 'gone') await connectionGone(deps, connectionId);
  return { statusCode: 200 };
});
