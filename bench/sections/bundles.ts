/**
 * Section 4: each Lambda handler bundled as the CDK stack bundles it (infra/constructs/
 * tide-function.ts: esbuild, ESM, node22, minified, AWS SDK included), its size, and how long a
 * fresh Node process takes to import it (the module-load part of a cold start).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, stop as stopEsbuild } from 'esbuild';
import { jobQueues } from '../../shared/contract/routes.js';
import { environment } from '../../shared/runtime/environment.js';
import { tables } from '../../shared/storage/tables.js';
import { median, num, round, table } from '../lib/util.js';

export interface BundleOptions {
  projectRoot: string;
  log: (line: string) => void;
}

export interface BundleRow {
  handler: string;
  bytes: number;
  gzipBytes: number;
  importMs?: number;
  importMsSourceMaps?: number;
  importError?: string;
}

const runs = 3;

/**
 * What the handlers read from the environment when their module loads; all local, nothing reaches
 * AWS. Table and queue variables come from their declarations, so that a new table or queue does
 * not make every import fail here.
 */
function loadEnvironment(): NodeJS.ProcessEnv {
  const local = 'http://127.0.0.1:9';
  const queueUrl = (id: string) => `${local}/000000000000/${id}`;
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...Object.fromEntries(tables.map((t) => [t.envVar, `tide-${t.id}`])),
    ...Object.fromEntries(jobQueues.map((q) => [q.envVar, queueUrl(q.id)])),
    [environment.config]: JSON.stringify({
      agents: [{ id: 'alice', queues: ['default'] }],
      channels: { generic: { secretId: 'tide/channels/generic', outboundUrl: `${local}/out` } },
    }),
    [environment.managementEndpoint]: local,
    [environment.jwksUrl]: `${local}/.well-known/jwks.json`,
    [environment.tokenIssuer]: 'https://idp.example.invalid/',
    [environment.tokenAudience]: 'tide',
    [environment.timerGroup]: 'tide-timers',
    [environment.timerTargetArn]: 'arn:aws:lambda:us-east-1:000000000000:function:tide-timer-fired',
    [environment.timerRoleArn]: 'arn:aws:iam::000000000000:role/tide-scheduler',
    [environment.timerDeadLetterArn]: 'arn:aws:sqs:us-east-1:000000000000:TimerFailures',
    [environment.timerDeadLetterUrl]: queueUrl('TimerFailures'),
    [environment.sqsEndpoint]: local,
    [environment.secretsEndpoint]: local,
    [environment.schedulerEndpoint]: local,
    [environment.dynamodbEndpoint]: local,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    NODE_NO_WARNINGS: '1',
  };
}

/** Milliseconds a fresh `node` spends in `await import(file)`. */
function timeImport(file: string, nodeArgs: string[]): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { env: loadEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms) && out !== '') resolve(ms);
      // The first line that names an error (`Error: …`, `TypeError: …`), not a line of minified code.
      else reject(new Error(err.split('\n').find((l) => /^\s*(\w+)?Error(\s\[\w+\])?: /.test(l))?.trim() ?? `exit ${code}`));
    });
  });
}

export async function runBundles(options: BundleOptions): Promise<BundleRow[]> {
  const functionsDir = join(options.projectRoot, 'functions');
  const handlers = readdirSync(functionsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  const out = mkdtempSync(join(tmpdir(), 'tide-bundles-'));
  const rows: BundleRow[] = [];
  try {
    for (const handler of handlers) {
      const outfile = join(out, handler, 'index.mjs');
      await build({
        entryPoints: [join(functionsDir, `${handler}.ts`)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minify: true,
        sourcemap: true,
        mainFields: ['module', 'main'],
        banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
        external: [],
        tsconfig: join(options.projectRoot, 'tsconfig.json'),
        logLevel: 'silent',
      });
      const row: BundleRow = { handler, bytes: statSync(outfile).size, gzipBytes: gzipSync(readFileSync(outfile)).length };
      try {
        const plain: number[] = [];
        const maps: number[] = [];
        for (let i = 0; i < runs; i++) {
          plain.push(await timeImport(outfile, []));
          // Deployed functions run with NODE_OPTIONS=--enable-source-maps.
          maps.push(await timeImport(outfile, ['--enable-source-maps']));
        }
        row.importMs = round(median(plain), 1);
        row.importMsSourceMaps = round(median(maps), 1);
      } catch (error) {
        row.importError = (error as Error).message.slice(0, 120);
      }
      rows.push(row);
      options.log(`  ${handler}: ${num(row.bytes / 1024, 0)} KB, import ${num(row.importMs)} ms${row.importError ? ` (${row.importError})` : ''}`);
    }
  } finally {
    await stopEsbuild(); // its service process, which would otherwise outlive the run
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

export function printBundles(rows: BundleRow[]): string {
  return table(
    `4. Lambda bundles (esbuild as in infra/constructs/tide-function.ts: ESM, node22, minified, AWS SDK bundled); cold import = median of ${runs} fresh node ${process.versions.node} processes`,
    ['handler', 'bundle KB', 'gzip KB', 'import ms', 'import ms (--enable-source-maps)'],
    rows.map((r) => [
      r.handler,
      num(r.bytes / 1024, 0),
      num(r.gzipBytes / 1024, 0),
      r.importError ? `failed: ${r.importError}` : num(r.importMs),
      num(r.importMsSourceMaps),
    ]),
  );
}
