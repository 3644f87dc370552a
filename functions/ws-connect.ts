import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { connectAgent } from '../shared/agent/connect.js';
import type { Role } from '../shared/agent/connections.js';
import { errorResponse } from '../shared/contract/http-responses.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { agentId?: string; role?: Role } };
};

/** `$connect`: runs after the authorizer accepted the token; registers the connection. */
export const handler = observed(deps, async (event: ConnectEvent): Promise<APIGatewayProxyResultV2> => {
  const { agentId, role } = event.requestContext.authorizer ?? {};
  if (!agentId || !role) return { statusCode: 401 };
  try {
    await connectAgent(deps, event.requestContext.connectionId, { agentId, role });
    return { statusCode: 200 };
  } catch (error) {
    return errorResponse(error);
  }
});
