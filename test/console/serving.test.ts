import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildConsole, buildConsoleSync } from '../../console/build.js';
import { consoleRoutes } from '../../infra/local/console-routes.js';
import { createTables } from '../../infra/local/dynamodb.js';
import type { HttpGatewayRoute } from '../../infra/local/http-gateway.js';
import { upsertAgentProfile } from '../../shared/agent/agent-store.js';
import { parseConfig } from '../../shared/config/schema.js';
import { environment } from '../../shared/runtime/environment.js';
import { createDocumentClient } from '../../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';

const wsUrl = 'ws://127.0.0.1:3901';
let routes: HttpGatewayRoute[];
let db: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  const endpoint = inject('dynamodbEndpoint');
  const env = { ...(await createTables(endpoint, `cs${randomBytes(4).toString('hex')}-`)), [environment.dynamodbEndpoint]: endpoint, AWS_REGION: 'us-east-1' };
  db = createDocumentClient(env);
  const tables = tableNamesFromEnv(env);
  const config = parseConfig({
    queues: { default: {}, billing: {} },
    agents: [
      { id: 'zed', name: 'Zoë Zed', queues: ['default'] },
      { id: 'al', name: 'Alice', queues: ['default', 'billing'] },
    ],
  });
  for (const agent of config.agents) await upsertAgentProfile({ db, tables }, agent);
  routes = await consoleRoutes({ wsUrl, deps: { db, tables }, queues: Object.keys(config.queues) });
});
afterAll(() => db?.destroy());

async function get(path: string): Promise<APIGatewayProxyStructuredResultV2 & { text: string; headers: Record<string, string> }> {
  const route = routes.find((r) => r.method === 'GET' && r.path === path);
  if (!route) throw new Error(`no route for GET ${path}`);
  const result = (await route.invoke({ rawPath: path } as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
  const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString('utf8') : (result.body ?? '');
  return { ...result, text, headers: result.headers as Record<string, string> };
}

describe('the console as npm start serves it', () => {
  it('serves the agent console and the supervisor view, loading only hashed assets it also serves', async () => {
    for (const path of ['/', '/supervisor']) {
      const page = await get(path);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      const referenced = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(referenced.length).toBeGreaterThanOrEqual(3);
      for (const url of referenced) {
        expect(url).toMatch(/^\/assets\/[a-z]+-[A-Z0-9]{8}\.(js|css|svg)$/);
        const asset = await get(url);
        expect(asset.statusCode).toBe(200);
        expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      }
      // No inline script or style: the CSP forbids them, and the pages need none.
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page.text).not.toMatch(/<style|style="/);
    }
  });

  it('sends a CSP that allows only the site itself and the agent socket, with the other security headers', async () => {
    for (const path of ['/', '/supervisor', '/config.json', '/dev/sign-in']) {
      const { headers } = await get(path);
      const csp = headers['content-security-policy']!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain(`connect-src 'self' ${wsUrl}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['x-frame-options']).toBe('DENY');
    }
  });

  it('tells the pages where the socket is and that sign-in is local', async () => {
    const config = await get('/config.json');
    expect(config.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(config.text)).toEqual({ httpUrl: '', wsUrl, auth: { mode: 'local' }, queues: ['default', 'billing'] });
  });

  it('lists the agents of the Agents table for the sign-in screen, by name', async () => {
    const signIn = await get('/dev/sign-in');
    expect(JSON.parse(signIn.text)).toEqual({ agents: [{ id: 'al', name: 'Alice' }, { id: 'zed', name: 'Zoë Zed' }] });
  });

  it('keeps the first screen small', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tide-console-'));
    const site = await buildConsole({ outDir: dir });
    // Preact, signals, the client and the console: about 32 KB gzipped at the time of writing.
    expect(site.firstScreenBytes.gzip).toBeLessThan(60_000);
  });
});

describe('the console build', () => {
  it('writes the same site synchronously (the CDK app builds it at synth time) as asynchronously', async () => {
    const asyncDir = mkdtempSync(join(tmpdir(), 'tide-console-'));
    const syncDir = mkdtempSync(join(tmpdir(), 'tide-console-'));
    const built = await buildConsole({ outDir: asyncDir });
    const builtSync = buildConsoleSync({ outDir: syncDir });
    expect(builtSync.pages).toEqual(built.pages);
    expect(built.pages).toMatchObject({ agent: 'index.html', supervisor: 'supervisor/index.html' });
    const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name).slice(dir.length + 1)).sort();
    expect(files(syncDir)).toEqual(files(asyncDir));
    expect(files(asyncDir)).toEqual(built.files.map((f) => f.path).sort());
    for (const path of files(asyncDir)) expect(readFileSync(join(syncDir, path))).toEqual(readFileSync(join(asyncDir, path)));
    // Every script has its source map next to it.
    for (const js of built.files.filter((f) => f.path.endsWith('.js'))) expect(files(asyncDir)).toContain(`${js.path}.map`);
  });
});
