/**
 * Builds the console into a static site: one esbuild call (ESM, minified, source maps, content
 * hashes in the file names) and an HTML page per entry. `npm start` serves the result from memory
 * (infra/local/console-routes.ts); the CDK stack writes it to a directory at synth time and
 * uploads it to S3 (hence the synchronous variant).
 *
 *   index.html              the agent console (and the sign-in screen)
 *   supervisor/index.html   the supervisor view
 *   customer/index.html     the local customer page, when console/src/customer/main.tsx exists
 *   assets/*                hashed JS, CSS and source maps, cacheable forever
 *
 * The pages load `/config.json` at start (where the APIs are and how to sign in), so one build
 * serves every environment.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

export type ConsolePage = 'agent' | 'supervisor' | 'customer';

export interface ConsoleFile {
  /** Path inside the site, with forward slashes: `index.html`, `assets/agent-3F2A….js`. */
  path: string;
  contents: Uint8Array;
  contentType: string;
}

export interface ConsoleBuild {
  outDir: string;
  files: ConsoleFile[];
  /** The HTML file of each page built (customer only when its entry exists). */
  pages: Partial<Record<ConsolePage, string>>;
  /** What a browser downloads for the agent console's first screen (HTML, JS, CSS), raw and gzipped. */
  firstScreenBytes: { raw: number; gzip: number };
}

export interface ConsoleBuildOptions {
  outDir: string;
  /** Default true. */
  minify?: boolean;
}

const consoleDir = dirname(fileURLToPath(import.meta.url));

const pages: Record<ConsolePage, { entry: string; html: string; title: string }> = {
  agent: { entry: 'src/agent/main.tsx', html: 'index.html', title: 'Tide · Agent console' },
  supervisor: { entry: 'src/supervisor/main.tsx', html: 'supervisor/index.html', title: 'Tide · Supervisor' },
  customer: { entry: 'src/customer/main.tsx', html: 'customer/index.html', title: 'Tide · Chat with us' },
};

/** The served paths of each page, as the local stack and CloudFront map them. */
export const pagePaths: Record<ConsolePage, string> = { agent: '/', supervisor: '/supervisor', customer: '/customer' };

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};
export const contentTypeOf = (path: string) => contentTypes[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';

function esbuildOptions(options: ConsoleBuildOptions) {
  const built = (Object.keys(pages) as ConsolePage[]).filter((page) => existsSync(join(consoleDir, pages[page].entry)));
  return {
    built,
    options: {
      absWorkingDir: consoleDir,
      entryPoints: built.map((page) => ({ in: join(consoleDir, pages[page].entry), out: page })),
      outdir: join(options.outDir, 'assets'),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      assetNames: '[name]-[hash]',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      tsconfig: join(consoleDir, 'tsconfig.json'),
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'none',
      metafile: true,
      write: false,
      logLevel: 'silent',
    } satisfies esbuild.BuildOptions,
  };
}

/** Builds the site in memory. */
export async function bundleConsole(options: ConsoleBuildOptions): Promise<ConsoleBuild> {
  const { built, options: esbuildOpts } = esbuildOptions(options);
  return siteFrom(options.outDir, built, await esbuild.build(esbuildOpts));
}

export function bundleConsoleSync(options: ConsoleBuildOptions): ConsoleBuild {
  const { built, options: esbuildOpts } = esbuildOptions(options);
  return siteFrom(options.outDir, built, esbuild.buildSync(esbuildOpts));
}

/** Builds the site into `outDir`. */
export async function buildConsole(options: ConsoleBuildOptions): Promise<ConsoleBuild> {
  const site = await bundleConsole(options);
  for (const file of site.files) {
    const target = join(options.outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.contents);
  }
  return site;
}

/** The same, synchronously: the CDK app builds the site while it synthesises. */
export function buildConsoleSync(options: ConsoleBuildOptions): ConsoleBuild {
  const site = bundleConsoleSync(options);
  for (const file of site.files) {
    const target = join(options.outDir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
  return site;
}

function siteFrom(outDir: string, built: ConsolePage[], result: esbuild.BuildResult<{ metafile: true; write: false }>): ConsoleBuild {
  const sitePath = (absolute: string) => relative(outDir, absolute).split(sep).join('/');
  const files: ConsoleFile[] = result.outputFiles.map((f) => ({ path: sitePath(f.path), contents: f.contents, contentType: contentTypeOf(f.path) }));
  const icon = iconFile();
  files.push(icon);

  const site: ConsoleBuild = { outDir, files, pages: {}, firstScreenBytes: { raw: 0, gzip: 0 } };
  for (const page of built) {
    const [outputPath, output] = Object.entries(result.metafile.outputs).find(
      ([, o]) => o.entryPoint !== undefined && join(consoleDir, o.entryPoint) === join(consoleDir, pages[page].entry),
    ) ?? [];
    if (!outputPath || !output) throw new Error(`the console build has no output for ${pages[page].entry}`);
    const url = (metafilePath: string) => `/${sitePath(join(consoleDir, metafilePath))}`;
    // Static imports are needed before the page can start: fetch them in parallel with the entry.
    const preloads = output.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => url(i.path));
    const html = pageHtml({
      title: pages[page].title,
      script: url(outputPath),
      css: output.cssBundle ? url(output.cssBundle) : undefined,
      preloads,
      icon: `/${icon.path}`,
    });
    const contents = new TextEncoder().encode(html);
    files.push({ path: pages[page].html, contents, contentType: contentTypeOf(pages[page].html) });
    site.pages[page] = pages[page].html;
    if (page === 'agent') {
      const firstScreen = [contents, ...[url(outputPath), ...(output.cssBundle ? [url(output.cssBundle)] : []), ...preloads].map(
        (u) => files.find((f) => `/${f.path}` === u)!.contents,
      )];
      site.firstScreenBytes = {
        raw: firstScreen.reduce((n, c) => n + c.byteLength, 0),
        gzip: firstScreen.reduce((n, c) => n + gzipSize(c), 0),
      };
    }
  }
  return site;
}

function pageHtml(page: { title: string; script: string; css?: string; preloads: string[]; icon: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${page.title}</title>`,
    `<link rel="icon" href="${page.icon}" type="image/svg+xml">`,
    ...(page.css ? [`<link rel="stylesheet" href="${page.css}">`] : []),
    ...page.preloads.map((p) => `<link rel="modulepreload" href="${p}">`),
    `<script type="module" src="${page.script}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"><p class="boot">Loading…</p></div>',
    '<noscript><p class="boot">Tide needs JavaScript.</p></noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A wave, the brand mark; hashed like the rest so it can be cached forever. */
function iconFile(): ConsoleFile {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f5fbf"/>' +
    '<path d="M5 19c3.5 0 3.5-4 7-4s3.5 4 7 4 3.5-4 7-4" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>';
  const contents = new TextEncoder().encode(svg);
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 8).toUpperCase();
  return { path: `assets/tide-${hash}.svg`, contents, contentType: contentTypeOf('.svg') };
}

const gzipSize = (contents: Uint8Array) => gzipSync(contents).byteLength;
