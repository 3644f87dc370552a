import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { performAgentAction } from '../shared/agent/perform-action.js';
import { removeConnection } from '../shared/agent/connections.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';

const deps = depsFromEnv();

/**
 * Every agent action route (`setStatus`, `send`, `close`, `followUp`, `transfer`, `sync`) and
 * `$default`. The reply goes back through the management API, like every other frame.
 */
export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
  const { connectionId } = event.requestContext;
  const result = await performAgentAction(deps, connectionId, event.body);
  if ((await deps.pusher.post(connectionId, result.reply)) === 'gone') await removeConnection(deps, connectionId);
  await result.afterReply?.();
  return { statusCode: 200 };
};
