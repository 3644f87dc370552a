import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { performAgentAction } from '../shared/agent/perform-action.js';
import { connectionGone } from '../shared/agent/presence.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';

const deps = depsFromEnv();

/**
 * Every agent action route (`setStatus`, `send`, `close`, `followUp`, `transfer`,
 * `setPriority`, `sync`) and `$default`. The answer goes back through the management API, like
 * every other frame; work-list pushes follow from the change stream.
 */
export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
  const { connectionId } = event.requestContext;
  const answer = await performAgentAction(deps, connectionId, event.body);
  if ((await deps.pusher.post(connectionId, answer)) === 'gone') await connectionGone(deps, connectionId);
  return { statusCode: 200 };
};
