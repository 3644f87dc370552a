/**
 * Local stand-in for the API Gateway Management API (`@connections`), speaking the same REST-JSON
 * wire protocol as AWS so that the real `@aws-sdk/client-apigatewaymanagementapi` client, errors
 * included, is what the handlers exercise locally.
 */
import { createServer, type ServerResponse } from 'node:http';
import { listen, readBody, sendJson, type RunningGateway } from './http-gateway.js';
import type { RunningWebSocketGateway } from './websocket-gateway.js';

/** AWS's PostToConnection payload limit. */
const MAX_POST_BYTES = 128 * 1024;

export async function startManagementApi(options: {
  host: string;
  port: number;
  gateway: Pick<RunningWebSocketGateway, 'send' | 'disconnect' | 'info'>;
  stagePath?: string;
}): Promise<RunningGateway> {
  // The SDK appends `/@connections/...` to whatever path the endpoint has (e.g. `/live`).
  const prefix = `${(options.stagePath ?? '').replace(/\/+$/, '')}/@connections/`;
  const { gateway } = options;

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const encodedId = path.startsWith(prefix) ? path.slice(prefix.length) : '';
      let connectionId: string;
      try {
        connectionId = decodeURIComponent(encodedId);
      } catch {
        connectionId = '';
      }
      const body = await readBody(req, MAX_POST_BYTES);
      if (!connectionId || encodedId.includes('/')) {
        return sendJson(res, 404, { message: 'Not Found' }, { 'x-amzn-errortype': 'NotFoundException' });
      }

      switch (req.method) {
        case 'POST': {
          if (body === 'too_large') {
            return sendJson(res, 413, { message: `Message exceeds ${MAX_POST_BYTES} bytes` }, errorType('PayloadTooLargeException'));
          }
          if (gateway.send(connectionId, body) === 'gone') return gone(res);
          res.writeHead(200, { 'content-length': 0 });
          return res.end();
        }
        case 'DELETE': {
          if (gateway.disconnect(connectionId) === 'gone') return gone(res);
          res.writeHead(204);
          return res.end();
        }
        case 'GET': {
          const info = gateway.info(connectionId);
          if (!info) return gone(res);
          // Wire names are the lower-camel `jsonName`s of the service model; the SDK maps them
          // to ConnectedAt / LastActiveAt / Identity.{SourceIp,UserAgent}.
          return sendJson(res, 200, {
            connectedAt: info.connectedAt,
            identity: { sourceIp: info.sourceIp, ...(info.userAgent ? { userAgent: info.userAgent } : {}) },
            lastActiveAt: info.lastActiveAt,
          });
        }
        default:
          return sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'POST, GET, DELETE' });
      }
    })().catch((error: unknown) => {
      console.error(`[local-gateway] @connections: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' }, errorType('InternalServerErrorException'));
    });
  });

  return listen(server, options.host, options.port);
}

/** The SDK picks the exception class from this header, so it must name the modelled error. */
function errorType(name: string): Record<string, string> {
  return { 'x-amzn-errortype': name };
}

function gone(res: ServerResponse): void {
  sendJson(res, 410, { message: 'Gone' }, errorType('GoneException'));
}
