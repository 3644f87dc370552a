import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { agentTokenVerifier, tokenSettingsFromEnv } from '../shared/auth/agent-token.js';
import { bearerIdentity, requireRole } from '../shared/auth/http-bearer.js';
import { errorResponse, json } from '../shared/contract/http-responses.js';
import { eraseCustomer } from '../shared/customer/erasure.js';
import { exportCustomer } from '../shared/customer/export.js';
import { customerRefOf } from '../shared/customer/records.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';

const deps = depsFromEnv();
const verify = agentTokenVerifier(tokenSettingsFromEnv());

/**
 * A customer's data (docs/data.md), admins only: `GET
 * /v1/admin/customers/{channel}/{customerId}/export` answers everything stored about them as
 * JSON; `DELETE /v1/admin/customers/{channel}/{customerId}` erases it (an open conversation is
 * closed first, its agent released) and answers what was deleted. Both `404` when nothing is stored.
 */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const admin = await bearerIdentity(verify, event.headers);
    requireRole(admin, ['admin']);
    const customer = customerRefOf(event.pathParameters);
    if (event.requestContext.http.method === 'DELETE') return json(200, { erased: await eraseCustomer(deps, customer, admin.agentId) });
    return json(200, await exportCustomer(deps, customer, admin.agentId));
  } catch (error) {
    return errorResponse(error);
  }
};
