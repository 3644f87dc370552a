import { resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bundleConsole, pagePaths, type ConsoleFile, type ConsolePage } from '../../console/build.js';
import { json } from '../../shared/contract/http-responses.js';
import type { Deps } from '../../shared/runtime/deps.js';
import type { HttpGatewayRoute } from './http-gateway.js';

/**
 * The console as `npm start` serves it (DESIGN §4b): built in memory when the stack starts (a
 * fraction of a second), every page and asset an exact route, plus the two things a deployed
 * site gets elsewhere: `/config.json` (the deployed one is written by the CDK stack) and
 * `GET /dev/sign-in`, the agents the local sign-in screen offers (local only, like /dev/token).
 */
export async function consoleRoutes(options: {
  wsUrl: string;
  deps: Pick<Deps, 'db' | 'tables'>;
  /** Configured queues, offered as transfer targets. */
  queues?: string[];
}): Promise<HttpGatewayRoute[]> {
  const site = await bundleConsole({ outDir: resolve('.tide-console'), minify: true });
  const headers = securityHeaders(options.wsUrl);
  const byPath = new Map(site.files.map((f) => [f.path, f]));
  const serve = (file: ConsoleFile, cache: string) => async (): Promise<APIGatewayProxyStructuredResultV2> => ({
    statusCode: 200,
    headers: { ...headers, 'content-type': file.contentType, 'cache-control': cache },
    body: Buffer.from(file.contents).toString('base64'),
    isBase64Encoded: true,
  });

  const routes: HttpGatewayRoute[] = [];
  for (const [page, html] of Object.entries(site.pages) as Array<[ConsolePage, string]>) {
    const file = byPath.get(html)!;
    // Pages change with every build: always revalidated. Their assets carry a content hash.
    const paths = page === 'agent' ? ['/'] : [pagePaths[page], `${pagePaths[page]}/`];
    for (const path of paths) routes.push({ method: 'GET', path, invoke: serve(file, 'no-cache') });
  }
  for (const file of site.files) {
    if (file.path.startsWith('assets/')) routes.push({ method: 'GET', path: `/${file.path}`, invoke: serve(file, 'public, max-age=31536000, immutable') });
  }
  const config = { httpUrl: '', wsUrl: options.wsUrl, auth: { mode: 'local' }, queues: options.queues ?? [] };
  routes.push({ method: 'GET', path: '/config.json', invoke: async () => withHeaders(json(200, config), { ...headers, 'cache-control': 'no-store' }) });
  routes.push({ method: 'GET', path: '/dev/sign-in', invoke: async () => withHeaders(json(200, { agents: await signInAgents(options.deps) }), { ...headers, 'cache-control': 'no-store' }) });
  return routes;
}

/** Every agent in the Agents table, by name (the local stack holds a handful; a scan is fine here). */
async function signInAgents(deps: Pick<Deps, 'db' | 'tables'>): Promise<Array<{ id: string; name: string }>> {
  const agents: Array<{ id: string; name: string }> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new ScanCommand({
        TableName: deps.tables.agents,
        ProjectionExpression: '#id, #name',
        ExpressionAttributeNames: { '#id': 'agentId', '#name': 'name' },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) agents.push({ id: String(item.agentId), name: typeof item.name === 'string' && item.name ? item.name : String(item.agentId) });
    start = page.LastEvaluatedKey;
  } while (start);
  return agents.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * Only the console's own files run, and it talks only to its own origin and the agent socket:
 * no inline script or style, no framing, no referrer.
 */
export function securityHeaders(wsUrl: string): Record<string, string> {
  const socket = new URL(wsUrl).origin.replace(/^http/, 'ws');
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self' ${socket}`,
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}

const withHeaders = (result: APIGatewayProxyStructuredResultV2, headers: Record<string, string>): APIGatewayProxyStructuredResultV2 => ({
  ...result,
  headers: { ...result.headers, ...headers },
});
