import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { agentTokenVerifier, tokenSettingsFromEnv } from '../shared/auth/agent-token.js';
import { bearerIdentity } from '../shared/auth/http-bearer.js';
import { errorResponse, json } from '../shared/contract/http-responses.js';
import { historyQuery, readHistory } from '../shared/conversation/history.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();
const verify = agentTokenVerifier(tokenSettingsFromEnv());

/**
 * `GET /v1/conversations/{conversationId}` (DESIGN §4b): a page of the conversation's history,
 * oldest first, for its agent or any supervisor or admin. The token is verified here, not by an
 * API Gateway authorizer, so the local stack and AWS run the same check.
 */
export const handler = observed(deps, async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const reader = await bearerIdentity(verify, event.headers);
    const conversationId = event.pathParameters?.conversationId ?? '';
    const page = await readHistory(deps, reader, conversationId, historyQuery(conversationId, event.queryStringParameters));
    return json(200, page);
  } catch (error) {
    return errorResponse(error);
  }
});
