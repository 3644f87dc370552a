import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { agentTokenVerifier, tokenSettingsFromEnv } from '../shared/auth/agent-token.js';
import { webSocketRoutes } from '../shared/contract/routes.js';
import { logger } from '../shared/runtime/logger.js';
import { observed } from '../shared/runtime/observed.js';

// Only the algorithms TOKEN_ALGORITHMS lists (tide:auth.algorithms; RS256 and ES256 by default).
const verify = agentTokenVerifier(tokenSettingsFromEnv());

/**
 * `$connect` authorizer: the agent's JWT arrives in the query string (browsers cannot set
 * headers on a WebSocket). Throwing `Unauthorized` makes API Gateway answer 401 at the handshake.
 */
// No metrics of its own: `observed` adds the Lambda context to its log lines.
export const handler = observed({}, async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = event.queryStringParameters?.[webSocketRoutes.tokenQueryParameter];
  if (!token) throw new Error('Unauthorized');
  try {
    const identity = await verify(token);
    return {
      principalId: identity.agentId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: { agentId: identity.agentId, role: identity.role },
    };
  } catch (error) {
    logger.info('token refused', { reason: (error as Error).name });
    throw new Error('Unauthorized');
  }
});
