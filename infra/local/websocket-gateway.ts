/**
 * Local stand-in for an API Gateway WebSocket API with a Lambda REQUEST authorizer on $connect
 * and Lambda proxy integrations on every route.
 *
 * It reproduces what the handlers can observe in AWS: the authorizer and route event shapes, the
 * connect handshake being held open until the authorizer and $connect have answered, route
 * selection on `$request.body.action`, $disconnect on either side closing, the frame and
 * connection-lifetime limits, and the connection registry behind the @connections API.
 */
import { createServer, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayAuthorizerResultContext,
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { clfTime, listen, logError, randomId, sourceIpOf } from './http-gateway.js';

/** What AWS adds to `requestContext.authorizer` on every event of an authorized connection. */
export type WebSocketAuthorizerContext = APIGatewayAuthorizerResultContext & {
  principalId: string;
  integrationLatency: number;
};

/**
 * The WebSocket request context as AWS sends it. The @types shape lacks `identity`, `authorizer`
 * and the disconnect fields, and claims a `messageId` that AWS only sends on MESSAGE events.
 */
export interface WebSocketRequestContext extends Omit<APIGatewayEventWebsocketRequestContextV2, 'messageId'> {
  messageId?: string;
  identity: { sourceIp: string; userAgent?: string };
  authorizer?: WebSocketAuthorizerContext;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

/** A route event; $connect additionally carries the handshake's headers (original case, as AWS). */
export interface WebSocketEvent extends APIGatewayProxyWebsocketEventV2WithRequestContext<WebSocketRequestContext> {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
}

/**
 * The authorizer input AWS sends for a WebSocket $connect. It is narrower than the REST-shaped
 * `APIGatewayRequestAuthorizerEvent` (no resource, path, httpMethod or pathParameters, a smaller
 * requestContext); the emulator sends exactly this, so authorizers must not rely on the rest.
 */
export interface WebSocketAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  stageVariables: Record<string, string>;
  requestContext: Omit<WebSocketRequestContext, 'authorizer' | 'disconnectStatusCode' | 'disconnectReason'>;
}

export interface WebSocketGatewayOptions {
  host: string;
  port: number;
  /** Lambda REQUEST authorizer for $connect. Throwing (e.g. new Error('Unauthorized')) → handshake refused with HTTP 401; a Deny policy → 403. */
  authorize: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  /** Route key → handler. Must include '$connect', '$disconnect', '$default'; others are action route keys selected by `$request.body.action`. */
  routes: Record<string, (event: WebSocketEvent) => Promise<unknown>>;
  /** AWS's fixed limits (10 min idle, 2 h lifetime); overridable so tests need not wait for them. */
  limits?: { idleTimeoutMs?: number; maxDurationMs?: number };
}

export interface RunningWebSocketGateway {
  url: string;
  port: number;
  send(connectionId: string, data: string | Buffer): 'sent' | 'gone';
  disconnect(connectionId: string): 'closed' | 'gone';
  info(connectionId: string): { connectedAt: string; lastActiveAt: string; sourceIp: string; userAgent?: string } | undefined;
  close(): Promise<void>;
}

const STAGE = 'live';
const API_ID = 'local';
/** AWS's WebSocket message payload limit. */
const MAX_MESSAGE_BYTES = 128 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_DURATION_MS = 2 * 60 * 60 * 1000;
/** How long close() waits for $disconnect handlers before giving up on them. */
const DISCONNECT_WAIT_MS = 2_000;
const RESERVED_ROUTES = new Set(['$connect', '$disconnect']);

/** What outlives the $connect invocation, whether or not the upgrade then completes. */
interface ConnectionState {
  id: string;
  connectedAt: number;
  lastActiveAt: number;
  identity: { sourceIp: string; userAgent?: string };
  domainName: string;
  authorizer: WebSocketAuthorizerContext;
  lifetimeTimer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
  disconnected?: Promise<void>;
}

interface Connection extends ConnectionState {
  socket: WebSocket;
}

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<RunningWebSocketGateway> {
  for (const required of ['$connect', '$disconnect', '$default']) {
    if (typeof options.routes[required] !== 'function') throw new Error(`WebSocket gateway needs a ${required} route`);
  }
  const idleTimeoutMs = options.limits?.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const maxDurationMs = options.limits?.maxDurationMs ?? MAX_DURATION_MS;

  const connections = new Map<string, Connection>();
  const pendingDisconnects = new Set<Promise<void>>();
  // ws enforces the payload limit itself and closes with 1009, as AWS does.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = createServer((_req, res) => {
    // Plain HTTP requests against a WebSocket API are refused by AWS the same way.
    res.writeHead(426, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ message: 'Upgrade Required' }));
  });

  let shuttingDown = false;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that vanishes mid-handshake must not crash the process.
    socket.on('error', () => {});
    if (shuttingDown) return refuse(socket, 503);
    handshake(req, socket, head).catch((error: unknown) => {
      logError('$connect: gateway failure', error);
      refuse(socket, 500);
    });
  });

  async function handshake(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The deployed API declares `route.request.querystring.token` as the identity source, so AWS
    // answers 401 on its own, without invoking the authorizer, when the token is absent.
    if (!url.searchParams.get('token')) return refuse(socket, 401);

    const { headers, multiValueHeaders } = handshakeHeaders(req.rawHeaders);
    const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryParameters(url.searchParams);
    const connectionId = randomId();
    const connectedAt = Date.now();
    const identity = { sourceIp: sourceIpOf(req), ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}) };
    const domainName = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const requestId = randomId();
    const baseContext = {
      routeKey: '$connect',
      eventType: 'CONNECT' as const,
      extendedRequestId: requestId,
      requestTime: clfTime(new Date(connectedAt)),
      messageDirection: 'IN' as const,
      stage: STAGE,
      connectedAt,
      requestTimeEpoch: connectedAt,
      identity,
      requestId,
      domainName,
      connectionId,
      apiId: API_ID,
    };

    const authorizerEvent: WebSocketAuthorizerEvent = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:local:000000000000:${API_ID}/${STAGE}/$connect`,
      headers,
      multiValueHeaders,
      queryStringParameters,
      multiValueQueryStringParameters,
      stageVariables: {},
      requestContext: baseContext,
    };
    let policy: APIGatewayAuthorizerResult;
    try {
      // The @types event is REST-shaped; see WebSocketAuthorizerEvent for what AWS really sends.
      policy = await options.authorize(authorizerEvent as unknown as APIGatewayRequestAuthorizerEvent);
    } catch {
      return refuse(socket, 401);
    }
    if (!allows(policy)) return refuse(socket, 403);

    const authorizer: WebSocketAuthorizerContext = { ...policy.context, principalId: policy.principalId, integrationLatency: 0 };
    const connectEvent: WebSocketEvent = {
      headers,
      multiValueHeaders,
      ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters, multiValueQueryStringParameters } : {}),
      requestContext: { ...baseContext, authorizer },
      isBase64Encoded: false,
    };
    let status = 200;
    try {
      const result = await options.routes.$connect!(connectEvent);
      status = statusOf(result) ?? 200;
    } catch (error) {
      logError('$connect: handler threw', error);
      status = 500;
    }
    if (status < 200 || status > 299) return refuse(socket, status);

    const state: ConnectionState = { id: connectionId, connectedAt, lastActiveAt: connectedAt, identity, domainName, authorizer };
    if (shuttingDown || !socketUsable(socket)) {
      // $connect already ran and may have recorded the connection; let $disconnect undo that.
      if (socketUsable(socket)) refuse(socket, 503);
      else socket.destroy();
      trackDisconnect(fireDisconnect(state, 1006, 'Connection closed during the handshake'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { ...state, socket: ws };
      connections.set(connectionId, connection);
      ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
      ws.on('close', (code, reason) => onClose(connection, code, reason.toString('utf8')));
      ws.on('error', () => {});
      connection.lifetimeTimer = setTimeout(() => goAway(connection), maxDurationMs).unref();
      armIdleTimer(connection);
    });
  }

  /** What AWS does at the idle timeout and the maximum connection duration. */
  function goAway(connection: Connection): void {
    connection.socket.close(1001, 'Going away');
  }

  function armIdleTimer(connection: Connection): void {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => goAway(connection), idleTimeoutMs).unref();
  }

  function onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      // AWS rejects binary frames outright.
      connection.socket.close(1003, 'Binary frames are not supported');
      return;
    }
    connection.lastActiveAt = Date.now();
    armIdleTimer(connection);

    const body = rawToBuffer(data).toString('utf8');
    const routeKey = selectRoute(body, options.routes);
    const now = Date.now();
    const requestId = randomId();
    const event: WebSocketEvent = {
      requestContext: {
        routeKey,
        messageId: randomId(),
        eventType: 'MESSAGE',
        extendedRequestId: requestId,
        requestTime: clfTime(new Date(now)),
        messageDirection: 'IN',
        stage: STAGE,
        connectedAt: connection.connectedAt,
        requestTimeEpoch: now,
        identity: connection.identity,
        requestId,
        domainName: connection.domainName,
        connectionId: connection.id,
        apiId: API_ID,
        authorizer: connection.authorizer,
      },
      body,
      isBase64Encoded: false,
    };
    // Not awaited: AWS invokes the integration per frame, so frames of one connection run concurrently.
    options.routes[routeKey]!(event).catch((error: unknown) => logError(`${routeKey}: handler threw`, error));
  }

  function onClose(connection: Connection, code: number, reason: string): void {
    connections.delete(connection.id);
    trackDisconnect(fireDisconnect(connection, code, reason));
  }

  function fireDisconnect(connection: ConnectionState, code: number, reason: string): Promise<void> {
    // Both shutdown and the socket's close event lead here; AWS fires $disconnect once.
    connection.disconnected ??= (async () => {
      clearTimeout(connection.lifetimeTimer);
      clearTimeout(connection.idleTimer);
      const now = Date.now();
      const requestId = randomId();
      const event: WebSocketEvent = {
        requestContext: {
          routeKey: '$disconnect',
          disconnectStatusCode: code,
          eventType: 'DISCONNECT',
          extendedRequestId: requestId,
          requestTime: clfTime(new Date(now)),
          messageDirection: 'IN',
          disconnectReason: reason,
          stage: STAGE,
          connectedAt: connection.connectedAt,
          requestTimeEpoch: now,
          identity: connection.identity,
          requestId,
          domainName: connection.domainName,
          connectionId: connection.id,
          apiId: API_ID,
          authorizer: connection.authorizer,
        },
        isBase64Encoded: false,
      };
      try {
        await options.routes.$disconnect!(event);
      } catch (error) {
        logError('$disconnect: handler threw', error);
      }
    })();
    return connection.disconnected;
  }

  function trackDisconnect(pending: Promise<void>): void {
    pendingDisconnects.add(pending);
    void pending.finally(() => pendingDisconnects.delete(pending));
  }

  async function shutdown(): Promise<void> {
    shuttingDown = true;
    for (const connection of connections.values()) {
      connections.delete(connection.id);
      // terminate() skips the closing handshake; $disconnect is fired here rather than waiting for 'close'.
      trackDisconnect(fireDisconnect(connection, 1001, 'Going away'));
      connection.socket.terminate();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...pendingDisconnects]),
      new Promise((resolve) => (timer = setTimeout(resolve, DISCONNECT_WAIT_MS).unref())),
    ]);
    clearTimeout(timer);
    wss.close();
  }

  const running = await listen(server, options.host, options.port, shutdown);
  const openConnection = (connectionId: string) => {
    const connection = connections.get(connectionId);
    return connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined;
  };

  return {
    url: running.url.replace(/^http/, 'ws'),
    port: running.port,
    close: running.close,
    send(connectionId, data) {
      const connection = openConnection(connectionId);
      if (!connection) return 'gone';
      // AWS delivers @connections posts as text frames whatever the bytes are.
      connection.socket.send(data, { binary: false });
      return 'sent';
    },
    disconnect(connectionId) {
      const connection = openConnection(connectionId);
      if (!connection) return 'gone';
      // Gone for the management API at once, even before the client acknowledges the close.
      connections.delete(connectionId);
      connection.socket.close(1000);
      return 'closed';
    },
    info(connectionId) {
      const connection = openConnection(connectionId);
      if (!connection) return undefined;
      return {
        connectedAt: new Date(connection.connectedAt).toISOString(),
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        sourceIp: connection.identity.sourceIp,
        ...(connection.identity.userAgent ? { userAgent: connection.identity.userAgent } : {}),
      };
    },
  };
}

/** `$request.body.action` route selection; anything that does not name a custom route goes to $default. */
function selectRoute(body: string, routes: Record<string, unknown>): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return '$default';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '$default';
  const action = (parsed as { action?: unknown }).action;
  if (typeof action === 'string' && !RESERVED_ROUTES.has(action) && Object.hasOwn(routes, action)) return action;
  return '$default';
}

function allows(policy: APIGatewayAuthorizerResult): boolean {
  const statements = policy?.policyDocument?.Statement ?? [];
  const effects = statements.map((s) => String(s.Effect).toLowerCase());
  // An explicit Deny wins over any Allow, as in IAM evaluation.
  return effects.includes('allow') && !effects.includes('deny');
}

function statusOf(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) return undefined;
  const status = Number((result as { statusCode: unknown }).statusCode);
  return Number.isInteger(status) ? status : 500;
}

function refuse(socket: Duplex, status: number): void {
  if (!socketUsable(socket)) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ message: STATUS_CODES[status] ?? 'Error' });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function socketUsable(socket: Duplex): boolean {
  return !socket.destroyed && socket.writable && socket.readable;
}

/** AWS keeps the client's header-name case in WebSocket events (unlike HTTP APIs). */
function handshakeHeaders(rawHeaders: string[]) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryParameters(params: URLSearchParams) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of params) {
    // Like REST APIs, the single-value map keeps the last occurrence.
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return { single, multi };
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
