import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';

/** Sends one frame to one WebSocket connection. `gone` means the connection no longer exists. */
export interface Pusher {
  post(connectionId: string, frame: object): Promise<'sent' | 'gone'>;
}

/** The API Gateway management API (`POST /@connections/{id}`); locally, its emulation. */
export function managementApiPusher(endpoint: string, env: NodeJS.ProcessEnv = process.env): Pusher {
  const client = withoutSdkLogging(new ApiGatewayManagementApiClient(clientConfig(endpoint, env)));
  return {
    async post(connectionId, frame) {
      try {
        await client.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }),
        );
        return 'sent';
      } catch (error) {
        if (error instanceof GoneException) return 'gone';
        throw error;
      }
    },
  };
}
