/**
 * Local stand-in for an API Gateway HTTP API with Lambda proxy integrations (payload format 2.0).
 *
 * The point is that the deployed handlers run unchanged: they receive the same event shape and
 * their results are mapped to HTTP the way API Gateway maps them, including its quirks (cookies
 * lifted out of the headers, base64 for non-text bodies, plain results treated as JSON bodies).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

export type HttpInvoke = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

export interface HttpGatewayRoute {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  invoke: HttpInvoke;
}

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's own request payload limit; the handlers enforce their (smaller) limits themselves. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startHttpGateway(options: {
  host: string;
  port: number;
  routes: HttpGatewayRoute[];
}): Promise<RunningGateway> {
  const table = routeTable(options.routes);
  const server = createServer((req, res) => {
    handleRequest(req, res, table).catch((error: unknown) => {
      logError(`${req.method} ${req.url?.split('?')[0]}: gateway failure`, error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  return listen(server, options.host, options.port);
}

/**
 * Routes by path: exact paths, and API Gateway path templates (`/v1/agents/{agentId}`: a
 * `{name}` matches one non-empty segment and becomes `pathParameters.name`, URL-decoded).
 */
interface RouteTable {
  exact: Map<string, HttpGatewayRoute[]>;
  templates: Array<{ segments: string[]; routes: HttpGatewayRoute[] }>;
}

const parameterSegment = /^\{([A-Za-z0-9_]+)\}$/;

function routeTable(routes: readonly HttpGatewayRoute[]): RouteTable {
  const exact = new Map<string, HttpGatewayRoute[]>();
  const templated = new Map<string, HttpGatewayRoute[]>();
  for (const route of routes) {
    const into = route.path.split('/').some((segment) => parameterSegment.test(segment)) ? templated : exact;
    into.set(route.path, [...(into.get(route.path) ?? []), route]);
  }
  const templates = [...templated].map(([path, list]) => ({ segments: path.split('/'), routes: list }));
  return { exact, templates };
}

interface RouteMatch {
  route: HttpGatewayRoute;
  pathParameters?: Record<string, string>;
}

/**
 * API Gateway's choice: an exact path wins; among templates, the one with literal segments
 * where the others have parameters (compared left to right). Path matches without the method
 * are reported so the gateway can answer 405 with `Allow`.
 */
function matchRoute(table: RouteTable, method: string, rawPath: string): RouteMatch | { methods: string[] } | undefined {
  const exact = table.exact.get(rawPath);
  const methods = new Set<string>(exact?.map((r) => r.method) ?? []);
  const route = exact?.find((r) => r.method === method);
  if (route) return { route };
  const segments = rawPath.split('/');
  let best: { route: HttpGatewayRoute; parameters: Record<string, string>; literal: boolean[] } | undefined;
  for (const template of table.templates) {
    const parameters = bind(template.segments, segments);
    if (!parameters) continue;
    for (const r of template.routes) methods.add(r.method);
    const found = template.routes.find((r) => r.method === method);
    if (!found) continue;
    const literal = template.segments.map((s) => !parameterSegment.test(s));
    if (!best || moreSpecific(literal, best.literal)) best = { route: found, parameters, literal };
  }
  if (best) return { route: best.route, pathParameters: best.parameters };
  return methods.size > 0 ? { methods: [...methods] } : undefined;
}

/** The parameters a path gives a template's segments, or undefined when it does not match. */
function bind(template: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (template.length !== path.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, segment] of template.entries()) {
    const name = segment.match(parameterSegment)?.[1];
    if (!name) {
      if (segment !== path[i]) return undefined;
      continue;
    }
    if (!path[i]) return undefined;
    try {
      parameters[name] = decodeURIComponent(path[i]!);
    } catch {
      return undefined; // a malformed %-escape matches nothing
    }
  }
  return parameters;
}

const moreSpecific = (a: readonly boolean[], b: readonly boolean[]) => {
  const differs = a.findIndex((literal, i) => literal !== b[i]);
  return differs !== -1 && a[differs]!;
};

async function handleRequest(req: IncomingMessage, res: ServerResponse, table: RouteTable): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);

  const match = matchRoute(table, method, rawPath);
  if (!match) {
    await drain(req);
    return sendError(res, 404, 'not_found', `No route for ${rawPath}`);
  }
  if ('methods' in match) {
    await drain(req);
    res.setHeader('allow', match.methods.join(', '));
    return sendError(res, 405, 'method_not_allowed', `${method} is not allowed on ${rawPath}`);
  }
  const { route, pathParameters } = match;

  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'too_large') {
    return sendError(res, 413, 'payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  }

  const event = buildEvent(req, method, route.path, rawPath, rawQueryString, body, pathParameters);
  let result: APIGatewayProxyResultV2;
  try {
    result = await route.invoke(event);
  } catch (error) {
    logError(`${event.routeKey}: handler threw`, error);
    return sendJson(res, 500, { message: 'Internal Server Error' });
  }
  writeResult(res, result, event.routeKey);
}

function buildEvent(
  req: IncomingMessage,
  method: string,
  routePath: string,
  rawPath: string,
  rawQueryString: string,
  body: Buffer,
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    // Format 2.0 moves cookies into their own array and leaves them out of `headers`.
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }

  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[key] = key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
  }

  const host = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const now = new Date();
  const routeKey = `${method} ${routePath}`;
  const textual = isTextContent(headers['content-type']);

  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(pathParameters && Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: sourceIpOf(req),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomId(),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2, routeKey: string): void {
  // API Gateway only treats the result as a response description when it carries a statusCode;
  // anything else is the body of a 200 JSON response.
  if (!isStructured(result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const statusCode = result.statusCode;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    logError(`${routeKey}: handler returned an invalid statusCode`, statusCode);
    return sendJson(res, 500, { message: 'Internal Server Error' });
  }
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  res.setHeader('content-length', body.length);
  res.writeHead(statusCode);
  res.end(body);
}

function isStructured(result: APIGatewayProxyResultV2): result is APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  return typeof result === 'object' && result !== null && 'statusCode' in result && result.statusCode !== undefined;
}

/**
 * The content types API Gateway passes through as text rather than base64. Form posts are not
 * among them: an HTTP API hands Twilio's `application/x-www-form-urlencoded` webhooks to Lambda
 * base64-encoded, and so does this gateway, so the handlers' decoding is exercised locally.
 */
export function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.toLowerCase();
  if (/;\s*charset=/.test(type)) return true;
  const mime = type.split(';')[0]!.trim();
  return (
    mime.startsWith('text/') ||
    mime === 'application/json' ||
    mime.endsWith('+json') ||
    mime === 'application/xml' ||
    mime.endsWith('+xml')
  );
}

/** Reads the whole body, but stops buffering past `limit` so an oversized upload cannot exhaust memory. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // Keep consuming past the limit so the client finishes its upload and can read our answer.
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    req.on('end', resolve).on('error', () => resolve()).resume();
  });
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sourceIpOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** API Gateway ids are short base64 strings ending in `=`; 11 bytes give exactly that shape. */
export function randomId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The Common Log Format time API Gateway puts in `time`/`requestTime`, e.g. `19/Jan/2023:21:13:26 +0000`. */
export function clfTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Logs the failure without any request or response content, which may carry customer data. */
export function logError(context: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`[local-gateway] ${context}: ${detail}`);
}

/** How long close() lets the requests in hand finish before it drops their sockets. */
const DRAIN_MS = 2_000;

/**
 * Starts `server` and returns a handle whose close() lets the requests in hand finish (for up to
 * 2 s: a handler cut off mid-call would go on without its caller and fail later, against services
 * stopped meanwhile), then drops keep-alive and upgraded sockets, which server.close() alone would
 * wait on forever.
 */
export function listen(
  server: Server,
  host: string,
  port: number,
  beforeClose: () => Promise<void> = async () => {},
): Promise<RunningGateway> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const inHand = new Set<Promise<void>>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    const answered = new Promise<void>((done) => res.once('close', () => done()));
    inHand.add(answered);
    void answered.then(() => inHand.delete(answered));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${urlHost}:${actualPort}`,
        port: actualPort,
        close: () =>
          (closing ??= (async () => {
            await beforeClose();
            const closed = new Promise<void>((done) => server.close(() => done()));
            server.closeIdleConnections();
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([Promise.all([...inHand]), new Promise((done) => (timer = setTimeout(done, DRAIN_MS)))]);
            clearTimeout(timer);
            for (const socket of sockets) socket.destroy();
            await closed;
          })()),
      });
    });
  });
}
