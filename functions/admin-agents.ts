import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { listAgents, profileFromRequest, removeAgent, saveAgentProfile } from '../shared/agent/admin.js';
import { managementApiCloser } from '../shared/agent/connection-closer.js';
import { agentTokenVerifier, tokenSettingsFromEnv } from '../shared/auth/agent-token.js';
import { bearerIdentity, requireRole } from '../shared/auth/http-bearer.js';
import { errorResponse, json } from '../shared/contract/http-responses.js';
import { environment } from '../shared/runtime/environment.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();
const verify = agentTokenVerifier(tokenSettingsFromEnv());
const managementEndpoint = process.env[environment.managementEndpoint];
const closeConnection = managementEndpoint ? managementApiCloser(managementEndpoint) : undefined;

/**
 * The administration API (DESIGN §4b), admins only: `GET /v1/admin/agents`, and `PUT` (create
 * or update, 201 or 200) and `DELETE` of `/v1/admin/agents/{agentId}`. Changes take effect at
 * once: routing follows the Agents table's stream.
 */
export const handler = observed(deps, async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    requireRole(await bearerIdentity(verify, event.headers), ['admin']);
    const agentId = event.pathParameters?.agentId ?? '';
    switch (event.requestContext.http.method) {
      case 'GET':
        return json(200, { agents: await listAgents(deps) });
      case 'PUT': {
        const { agent, created } = await saveAgentProfile(deps, profileFromRequest(deps.config, agentId, event.body, event.isBase64Encoded));
        return json(created ? 201 : 200, { agent });
      }
      case 'DELETE':
        return json(200, { agent: await removeAgent(deps, agentId, closeConnection) });
      default:
        throw new Error(`no ${event.routeKey} in the admin API`);
    }
  } catch (error) {
    return errorResponse(error);
  }
});
