import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { connectionGone } from '../shared/agent/presence.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * `$disconnect`: forgets the connection and, if it was the agent's last, starts the presence grace
 * timer. Best effort in API Gateway (it may never come): a push answered 410 does the same, and
 * the sweep catches agents left with no live connection.
 */
export const handler = observed(deps, async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
  await connectionGone(deps, event.requestContext.connectionId);
  return { statusCode: 200 };
});
