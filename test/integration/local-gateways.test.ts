/**
 * The local edge emulators driven by real clients: fetch for the HTTP API, a `ws` WebSocket for
 * the WebSocket API, and the real AWS SDK client for the @connections management API.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { startHttpGateway, type RunningGateway } from '../../infra/local/http-gateway.js';
import {
  startWebSocketGateway,
  type RunningWebSocketGateway,
  type WebSocketEvent,
  type WebSocketGatewayOptions,
} from '../../infra/local/websocket-gateway.js';
import { startManagementApi } from '../../infra/local/management-api.js';

const HOST = '127.0.0.1';

interface ErrorBody {
  error: { code: string; message: string };
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HTTP API gateway (payload format 2.0)', () => {
  let gateway: RunningGateway;
  const events: APIGatewayProxyEventV2[] = [];

  beforeAll(async () => {
    gateway = await startHttpGateway({
      host: HOST,
      port: 0,
      routes: [
        {
          method: 'POST',
          path: '/v1/messages',
          invoke: async (event) => {
            events.push(event);
            return {
              statusCode: 202,
              headers: { 'content-type': 'application/json', 'x-handled-by': 'messages', 'x-count': 3 },
              cookies: ['a=1; Path=/', 'b=2'],
              body: JSON.stringify({ received: true }),
            };
          },
        },
        {
          method: 'GET',
          path: '/v1/plain',
          invoke: async (event) => {
            events.push(event);
            return { status: 'ok' } as never;
          },
        },
        { method: 'GET', path: '/v1/text', invoke: async () => 'hello' },
        {
          method: 'GET',
          path: '/v1/binary',
          invoke: async () => ({ statusCode: 200, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true }),
        },
        {
          method: 'POST',
          path: '/v1/boom',
          invoke: async () => {
            throw new Error('handler exploded (expected by the test)');
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('hands the handler a v2 event with the raw JSON body as text', async () => {
    const raw = '{ "externalId": "m-1",\n  "text": "Olá" }';
    const res = await fetch(`${gateway.url}/v1/messages?b=x&a=1&a=2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tide-Signature': 'sha256=abc', Cookie: 'session=s1; theme=dark' },
      body: raw,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ received: true });
    expect(res.headers.get('x-handled-by')).toBe('messages');
    expect(res.headers.get('x-count')).toBe('3');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);

    const event = events.at(-1)!;
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /v1/messages');
    expect(event.rawPath).toBe('/v1/messages');
    expect(event.rawQueryString).toBe('b=x&a=1&a=2');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x' });
    expect(event.headers['x-tide-signature']).toBe('sha256=abc');
    expect(event.headers['content-type']).toBe('application/json');
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['session=s1', 'theme=dark']);
    expect(event.body).toBe(raw);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toMatchObject({
      accountId: 'local',
      apiId: 'local',
      routeKey: 'POST /v1/messages',
      stage: '$default',
      http: { method: 'POST', path: '/v1/messages', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
    });
    expect(event.requestContext.requestId).toMatch(/^[\w-]+=$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
  });

  it('base64-encodes binary bodies', async () => {
    const bytes = Buffer.from([0, 159, 146, 150, 255]);
    const res = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(res.status).toBe(202);
    const event = events.at(-1)!;
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(bytes.toString('base64'));
  });

  it('omits body and query parameters when there are none', async () => {
    const res = await fetch(`${gateway.url}/v1/plain`);
    const event = events.at(-1)!;
    expect(event.routeKey).toBe('GET /v1/plain');
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.rawQueryString).toBe('');
    // A result without statusCode is the JSON body of a 200.
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('joins duplicate headers with commas', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'X-Dup': ['one', 'two'], 'content-type': 'text/plain' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('plain text');
    });
    expect(status).toBe(202);
    const event = events.at(-1)!;
    expect(event.headers['x-dup']).toBe('one,two');
    expect(event.body).toBe('plain text');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes a plain string result through and decodes base64 results', async () => {
    const text = await fetch(`${gateway.url}/v1/text`);
    expect(text.status).toBe(200);
    expect(await text.text()).toBe('hello');

    const binary = await fetch(`${gateway.url}/v1/binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers 404 for an unknown path and 405 for a wrong method, without invoking anything', async () => {
    const before = events.length;
    const missing = await fetch(`${gateway.url}/v1/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe('not_found');

    const wrongMethod = await fetch(`${gateway.url}/v1/messages`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    const payload = (await wrongMethod.json()) as ErrorBody;
    expect(payload.error.code).toBe('method_not_allowed');
    expect(typeof payload.error.message).toBe('string');
    expect(events.length).toBe(before);
  });

  it('refuses bodies over 10 MiB with 413 without invoking the handler', async () => {
    const before = events.length;
    const res = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
    expect(events.length).toBe(before);
  });

  it('turns a handler exception into API Gateway’s 500', async () => {
    const res = await fetch(`${gateway.url}/v1/boom`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });
});

describe('HTTP API gateway: path templates', () => {
  let gateway: RunningGateway;
  const seen: Array<{ handler: string; event: APIGatewayProxyEventV2 }> = [];
  const route = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', path: string, handler: string) => ({
    method,
    path,
    invoke: async (event: APIGatewayProxyEventV2) => {
      seen.push({ handler, event });
      return { statusCode: 200, body: handler };
    },
  });

  beforeAll(async () => {
    gateway = await startHttpGateway({
      host: HOST,
      port: 0,
      routes: [
        route('GET', '/v1/agents/{agentId}', 'one-agent'),
        route('PUT', '/v1/agents/{agentId}', 'put-agent'),
        route('GET', '/v1/agents/me', 'me'),
        route('GET', '/v1/agents/{agentId}/items/{itemId}', 'item'),
        route('GET', '/v1/agents/{agentId}/items/latest', 'latest-item'),
        route('GET', '/v1/agents', 'all-agents'),
      ],
    });
  });
  afterAll(() => gateway.close());

  const get = async (path: string, method = 'GET') => {
    const before = seen.length;
    const res = await fetch(`${gateway.url}${path}`, { method });
    const body = await res.text();
    return { status: res.status, body, event: seen.length > before ? seen[seen.length - 1]!.event : undefined, allow: res.headers.get('allow') };
  };

  it('fills pathParameters, URL-decoded, and names the template in routeKey', async () => {
    const res = await get('/v1/agents/ana%40example.com?x=1');
    expect(res.body).toBe('one-agent');
    expect(res.event!.routeKey).toBe('GET /v1/agents/{agentId}');
    expect(res.event!.requestContext.routeKey).toBe('GET /v1/agents/{agentId}');
    expect(res.event!.rawPath).toBe('/v1/agents/ana%40example.com');
    expect(res.event!.pathParameters).toEqual({ agentId: 'ana@example.com' });
    expect(res.event!.queryStringParameters).toEqual({ x: '1' });

    const item = await get('/v1/agents/bo%20b/items/i-7');
    expect(item.body).toBe('item');
    expect(item.event!.pathParameters).toEqual({ agentId: 'bo b', itemId: 'i-7' });
  });

  it('an exact path wins over a template, and a literal segment over a parameter', async () => {
    expect((await get('/v1/agents/me')).body).toBe('me');
    const me = seen[seen.length - 1]!.event;
    expect(me.routeKey).toBe('GET /v1/agents/me');
    expect(me.pathParameters).toBeUndefined();
    expect((await get('/v1/agents/x/items/latest')).body).toBe('latest-item');
    expect((await get('/v1/agents')).body).toBe('all-agents');
  });

  it('picks the method’s template; a path that matches only with other methods is 405 with Allow', async () => {
    expect((await get('/v1/agents/ana', 'PUT')).body).toBe('put-agent');
    const refused = await get('/v1/agents/ana', 'DELETE');
    expect(refused.status).toBe(405);
    expect(refused.allow?.split(', ').sort()).toEqual(['GET', 'PUT']);
    expect(refused.event).toBeUndefined();
  });

  it('a parameter matches one non-empty segment; malformed escapes match nothing', async () => {
    for (const path of ['/v1/agents/', '/v1/agents/a/b', '/v1/agents/%E0%A4%A', '/v1/agents//items/x']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.event, path).toBeUndefined();
    }
  });
});

/** A fake backend recording every event the WebSocket gateway sends it. */
function fakeBackend() {
  const authorizerEvents: APIGatewayRequestAuthorizerEvent[] = [];
  const events: WebSocketEvent[] = [];
  const record = (event: WebSocketEvent) => {
    events.push(event);
    return Promise.resolve();
  };
  const policy = (effect: 'Allow' | 'Deny', principalId: string, context?: Record<string, string>): APIGatewayAuthorizerResult => ({
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: '*' }] },
    ...(context ? { context } : {}),
  });
  const options: Omit<WebSocketGatewayOptions, 'host' | 'port'> = {
    authorize: async (event) => {
      authorizerEvents.push(event);
      const token = event.queryStringParameters?.token;
      if (token === 'deny') return policy('Deny', 'mallory');
      if (token?.startsWith('agent-')) return policy('Allow', token.slice(6), { agentId: token.slice(6), role: 'agent' });
      throw new Error('Unauthorized');
    },
    routes: {
      $connect: async (event) => {
        events.push(event);
        if (event.requestContext.authorizer?.principalId === 'broken') throw new Error('$connect failed (expected by the test)');
        if (event.requestContext.authorizer?.principalId === 'busy') return { statusCode: 429 };
        return { statusCode: 200 };
      },
      $disconnect: record,
      $default: record,
      echo: record,
      $custom: record,
    },
  };
  const of = (connectionId: string, routeKey?: string) =>
    events.filter((e) => e.requestContext.connectionId === connectionId && (!routeKey || e.requestContext.routeKey === routeKey));
  return { authorizerEvents, events, options, of };
}

/** Opens a socket; resolves once open, with the connection id the gateway gave it. */
async function connect(gateway: RunningWebSocketGateway, backend: ReturnType<typeof fakeBackend>, token: string) {
  const tag = Math.random().toString(36).slice(2);
  const ws = new WebSocket(`${gateway.url}/?token=${encodeURIComponent(token)}&tag=${tag}`, {
    headers: { 'User-Agent': 'tide-test/1.0', 'X-Test-Tag': tag },
  });
  const received: string[] = [];
  ws.on('message', (data, isBinary) => received.push(isBinary ? `<binary>` : data.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const connectEvent = backend.events.find((e) => e.requestContext.eventType === 'CONNECT' && e.headers?.['X-Test-Tag'] === tag);
  if (!connectEvent) throw new Error('$connect was not invoked');
  return { ws, connectionId: connectEvent.requestContext.connectionId, connectEvent, received, closed };
}

/** The HTTP status a refused handshake answers with, as the ws client sees it. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('handshake unexpectedly accepted'));
    });
    ws.on('error', () => {});
  });
}

describe('WebSocket gateway and @connections management API', () => {
  const backend = fakeBackend();
  let gateway: RunningWebSocketGateway;
  let management: RunningGateway;
  let client: ApiGatewayManagementApiClient;

  beforeAll(async () => {
    gateway = await startWebSocketGateway({ host: HOST, port: 0, ...backend.options });
    management = await startManagementApi({ host: HOST, port: 0, gateway });
    client = new ApiGatewayManagementApiClient({
      endpoint: management.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client?.destroy();
    await management?.close();
    await gateway?.close();
  });

  it('refuses the handshake with 401 when the authorizer throws', async () => {
    const before = backend.authorizerEvents.length;
    expect(await refusedStatus(`${gateway.url}/?token=garbage`)).toBe(401);
    expect(backend.authorizerEvents.length).toBe(before + 1);
  });

  it('refuses with 401 without calling the authorizer when the token is missing or empty', async () => {
    const before = backend.authorizerEvents.length;
    expect(await refusedStatus(`${gateway.url}/`)).toBe(401);
    expect(await refusedStatus(`${gateway.url}/?token=`)).toBe(401);
    expect(backend.authorizerEvents.length).toBe(before);
  });

  it('refuses with 403 on a Deny policy, and with $connect’s failure status', async () => {
    expect(await refusedStatus(`${gateway.url}/?token=deny`)).toBe(403);
    expect(await refusedStatus(`${gateway.url}/?token=agent-broken`)).toBe(500);
    expect(await refusedStatus(`${gateway.url}/?token=agent-busy`)).toBe(429);
  });

  it('gives $connect the authorizer’s context and the handshake details', async () => {
    const { ws, connectionId, connectEvent } = await connect(gateway, backend, 'agent-alice');
    try {
      expect(connectionId).toMatch(/^[\w-]{15}=$/);
      expect(connectEvent.requestContext).toMatchObject({
        routeKey: '$connect',
        eventType: 'CONNECT',
        messageDirection: 'IN',
        stage: 'live',
        apiId: 'local',
        identity: { sourceIp: '127.0.0.1', userAgent: 'tide-test/1.0' },
        authorizer: { principalId: 'alice', integrationLatency: 0, agentId: 'alice', role: 'agent' },
      });
      expect(connectEvent.queryStringParameters?.token).toBe('agent-alice');
      expect(connectEvent.isBase64Encoded).toBe(false);

      const authorizerEvent = backend.authorizerEvents.find((e) => e.requestContext.connectionId === connectionId)!;
      expect(authorizerEvent.type).toBe('REQUEST');
      expect(authorizerEvent.methodArn).toBe('arn:aws:execute-api:local:000000000000:local/live/$connect');
      expect(authorizerEvent.multiValueQueryStringParameters?.token).toEqual(['agent-alice']);
      expect(authorizerEvent.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT' });
    } finally {
      ws.close();
    }
  });

  it('routes frames by `action`, falling back to $default for anything else', async () => {
    const { ws, connectionId } = await connect(gateway, backend, 'agent-bob');
    try {
      const frames = [
        JSON.stringify({ action: 'echo', requestId: 'r1' }),
        JSON.stringify({ action: 'nope', requestId: 'r2' }),
        JSON.stringify({ action: 7 }),
        JSON.stringify({ action: '$connect' }),
        JSON.stringify(['echo']),
        'not json at all',
      ];
      for (const frame of frames) ws.send(frame);
      const messages = await waitFor(() => {
        const seen = backend.of(connectionId).filter((e) => e.requestContext.eventType === 'MESSAGE');
        return seen.length === frames.length ? seen : undefined;
      }, 'all frames to be routed');

      const routeOf = (frame: string) => messages.find((e) => e.body === frame)?.requestContext.routeKey;
      expect(frames.map(routeOf)).toEqual(['echo', '$default', '$default', '$default', '$default', '$default']);
      for (const event of messages) {
        expect(event.isBase64Encoded).toBe(false);
        expect(event.requestContext).toMatchObject({
          connectionId,
          eventType: 'MESSAGE',
          stage: 'live',
          authorizer: { principalId: 'bob', integrationLatency: 0, agentId: 'bob', role: 'agent' },
        });
        expect(event.requestContext.messageId).toMatch(/=$/);
      }
    } finally {
      ws.close();
    }
  });

  it('delivers PostToConnection to the client and reports it through GetConnection', async () => {
    const { ws, connectionId, received } = await connect(gateway, backend, 'agent-carol');
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'ack', requestId: 'r1' }) }));
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('second') }));
      await waitFor(() => (received.length === 2 ? true : undefined), 'two pushes');
      expect(received).toEqual(['{"type":"ack","requestId":"r1"}', 'second']);

      const info = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(info.ConnectedAt).toBeInstanceOf(Date);
      expect(info.LastActiveAt).toBeInstanceOf(Date);
      expect(Math.abs(info.ConnectedAt!.getTime() - Date.now())).toBeLessThan(10_000);
      expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'tide-test/1.0' });
    } finally {
      ws.close();
    }
  });

  it('rejects a PostToConnection over 128 KB with PayloadTooLargeException', async () => {
    const { ws, connectionId, received } = await connect(gateway, backend, 'agent-dave');
    try {
      const error = await client
        .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 0x61) }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeException);
      expect(received).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('DeleteConnection closes the socket and fires $disconnect once; the connection is then Gone', async () => {
    const { connectionId, closed } = await connect(gateway, backend, 'agent-erin');
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await closed;
    const disconnect = await waitFor(() => backend.of(connectionId, '$disconnect')[0], '$disconnect');
    expect(disconnect.requestContext).toMatchObject({
      eventType: 'DISCONNECT',
      connectionId,
      authorizer: { principalId: 'erin' },
    });
    expect(typeof disconnect.requestContext.disconnectStatusCode).toBe('number');
    expect(typeof disconnect.requestContext.disconnectReason).toBe('string');

    for (const command of [
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }),
      new GetConnectionCommand({ ConnectionId: connectionId }),
      new DeleteConnectionCommand({ ConnectionId: connectionId }),
    ]) {
      const error = await client.send(command as PostToConnectionCommand).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(backend.of(connectionId, '$disconnect')).toHaveLength(1);
  });

  it('fires $disconnect when the client closes, after which posting raises GoneException', async () => {
    const { ws, connectionId, closed } = await connect(gateway, backend, 'agent-frank');
    ws.close(1000, 'bye');
    await closed;
    const disconnect = await waitFor(() => backend.of(connectionId, '$disconnect')[0], '$disconnect');
    expect(disconnect.requestContext).toMatchObject({ disconnectStatusCode: 1000, disconnectReason: 'bye' });
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });

  it('closes with 1009 on a frame over 128 KB and with 1003 on a binary frame', async () => {
    const big = await connect(gateway, backend, 'agent-gina');
    big.ws.send('x'.repeat(128 * 1024 + 1));
    expect((await big.closed).code).toBe(1009);
    await waitFor(() => backend.of(big.connectionId, '$disconnect')[0], '$disconnect after 1009');
    expect(backend.of(big.connectionId, '$default')).toHaveLength(0);

    const binary = await connect(gateway, backend, 'agent-hank');
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary.closed).code).toBe(1003);
    expect(backend.of(binary.connectionId, '$default')).toHaveLength(0);
  });

  it('answers unknown connection ids with GoneException', async () => {
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: 'x' }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });
});

describe('WebSocket gateway lifetime', () => {
  it('closes idle connections with 1001 and fires $disconnect for sockets open at shutdown', async () => {
    const backend = fakeBackend();
    const gateway = await startWebSocketGateway({ host: HOST, port: 0, ...backend.options, limits: { idleTimeoutMs: 300 } });
    try {
      const idle = await connect(gateway, backend, 'agent-ivy');
      const active = await connect(gateway, backend, 'agent-jay');
      // Frames reset the idle timer, so only the silent connection times out.
      const keepAlive = setInterval(() => active.ws.send('{"action":"echo"}'), 100);
      expect((await idle.closed).code).toBe(1001);
      clearInterval(keepAlive);
      expect(active.ws.readyState).toBe(WebSocket.OPEN);

      await gateway.close();
      expect(backend.of(active.connectionId, '$disconnect')).toHaveLength(1);
      expect((await active.closed).code).toBe(1006);
      expect(backend.of(idle.connectionId, '$disconnect')[0]?.requestContext.disconnectStatusCode).toBe(1001);
    } finally {
      await gateway.close();
    }
  });

  it('serves the management API under a stage path', async () => {
    const backend = fakeBackend();
    const gateway = await startWebSocketGateway({ host: HOST, port: 0, ...backend.options });
    const management = await startManagementApi({ host: HOST, port: 0, gateway, stagePath: '/live' });
    const client = new ApiGatewayManagementApiClient({
      endpoint: `${management.url}/live`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const { ws, connectionId, received } = await connect(gateway, backend, 'agent-kim');
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'staged' }));
      await waitFor(() => (received.length > 0 ? true : undefined), 'staged push');
      expect(received).toEqual(['staged']);
      ws.close();
    } finally {
      client.destroy();
      await management.close();
      await gateway.close();
    }
  });
});
