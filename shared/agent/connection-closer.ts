import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';
import type { CloseConnection } from './admin.js';

/**
 * Ends WebSocket connections through the management API (`DELETE /@connections/{id}`; locally
 * its emulation). API Gateway then sends `$disconnect`, which forgets the connection's row.
 */
export function managementApiCloser(endpoint: string, env: NodeJS.ProcessEnv = process.env): CloseConnection {
  const client = withoutSdkLogging(new ApiGatewayManagementApiClient(clientConfig(endpoint, env)));
  return async (connectionId) => {
    try {
      await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!(error instanceof GoneException)) throw error;
    }
  };
}
