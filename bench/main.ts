/**
 * `npm run bench`: measures Tide on the local stack and prints one table per section (figures are
 * printed, never asserted). See bench/README.md.
 *
 *   --seed N       workload seed (default 1): same seed, same messages, customers and pacing
 *   --quick        a short run (CI smoke): fewer agents, messages, rates; 10k queued at most
 *   --messages N   messages in the closed-loop latency run (default 300, quick 60)
 *   --only 1,3     run only these sections (5 = the busy hour)
 *   --rates 20,50  the busy hour's offered rates, msg/s (default 20,50,100; quick 20,50)
 *   --faults PLAN  the busy hour on a bad day: TIDE_FAULTS for its stacks ("busy", or "throttle=0.05,…")
 *   --out DIR      where latest.json and latest.txt go (default: <tmpdir>/tide-bench/<timestamp>/)
 *
 * Figures are printed, not asserted; the run fails (exit 1) when a section cannot run or when an
 * invariant the busy hour checks is broken.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultPlanFromEnv } from '../infra/local/fault-injection.js';

// The AWS SDK warns once per client that it will want Node 22 next year; that is known (README).
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  const text = `${String(warning)} ${rest.map((r) => (typeof r === 'object' ? JSON.stringify(r) : String(r))).join(' ')}`;
  if (text.includes('NodeVersionSupportWarning') || text.includes('require node >=22')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
// Where the user ran the command (npm runs scripts from the package root and says in INIT_CWD).
const invokedFrom = process.env.INIT_CWD ?? process.cwd();
process.chdir(projectRoot);

function parseArgs(argv: string[]) {
  const args = { seed: 1, quick: false, messages: undefined as number | undefined, only: [1, 2, 3, 4, 5], out: undefined as string | undefined, rates: undefined as number[] | undefined, faults: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--seed')) args.seed = Number(value());
    else if (a.startsWith('--messages')) args.messages = Number(value());
    else if (a.startsWith('--only')) args.only = value().split(',').map(Number);
    else if (a.startsWith('--rates')) args.rates = value().split(',').map(Number);
    else if (a.startsWith('--faults')) args.faults = value();
    else if (a.startsWith('--out')) args.out = resolve(invokedFrom, value());
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--seed N] [--messages N] [--only 1,2,3,4,5] [--rates 20,50,100] [--faults PLAN] [--out DIR]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.seed)) throw new Error('--seed must be an integer');
  if (args.only.some((n) => ![1, 2, 3, 4, 5].includes(n))) throw new Error('--only takes section numbers 1 to 5');
  if (args.rates?.some((r) => !(r > 0))) throw new Error('--rates takes positive msg/s, comma-separated');
  if (args.faults !== undefined) faultPlanFromEnv(args.faults); // refuses a plan it cannot read, before any stack starts
  if (args.messages !== undefined && !(Number.isInteger(args.messages) && args.messages > 0)) throw new Error('--messages must be a positive integer');
  return args;
}

const args = parseArgs(process.argv.slice(2));
/** The code measured: HEAD and whether the work tree differs from it (the figures move with the code). */
function revision(): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return {};
  }
}
const code = revision();
const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const results: Record<string, unknown> = {
  meta: {
    date: new Date().toISOString(),
    seed: args.seed,
    quick: args.quick,
    ...code,
    messages: args.messages,
    node: process.versions.node,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    note: 'local stack on one machine: DynamoDB Local is not DynamoDB; latencies are local',
  },
};
const failures: string[] = [];
const printed: string[] = [];
const print = (text: string) => {
  printed.push(text);
  console.log(text);
};
const timings: Record<string, { seconds: number; loadAverageBefore: number; loadAverageAfter: number }> = {};
(results.meta as Record<string, unknown>).sections = timings;
const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

async function section<T>(n: number, name: string, run: () => Promise<T>, render: (r: T) => string, failed?: (r: T) => boolean) {
  if (!args.only.includes(n)) return;
  log(`[${n}] ${name}… (load average ${load1()})`);
  const t = Date.now();
  const loadAverageBefore = load1();
  try {
    const result = await run();
    results[name] = result;
    print(`${render(result)}\n`);
    if (failed?.(result)) failures.push(name);
  } catch (error) {
    failures.push(name);
    results[name] = { error: (error as Error).stack ?? String(error) };
    print(`${n}. ${name}: FAILED: ${(error as Error).message}\n`);
  }
  timings[name] = { seconds: Math.round((Date.now() - t) / 1000), loadAverageBefore, loadAverageAfter: load1() };
  log(`[${n}] ${name} took ${timings[name]!.seconds} s`);
}

print(
  `Tide benchmark: seed ${args.seed}${args.quick ? ', quick' : ''}; ${cpus().length} cores, node ${process.versions.node}, ` +
    `load average ${load1()} at start; code ${code.commit ?? '?'}${code.dirty ? ' + uncommitted changes' : ''}; local stack (DynamoDB Local is not DynamoDB)`,
);
if (load1() > 1) print('note: the machine is already busy (load average above 1): timings will be slower and noisier');
print('');

const { runLatency, printLatency } = await import('./sections/latency.js');
await section(1, 'latency', () => runLatency({ seed: args.seed, quick: args.quick, messages: args.messages, projectRoot, log }), printLatency);
const { runCost, printCost } = await import('./sections/cost.js');
await section(2, 'cost', () => runCost({ seed: args.seed, quick: args.quick, log }), printCost);
const { runRouting, printRouting } = await import('./sections/routing.js');
await section(3, 'routing', () => runRouting({ seed: args.seed, quick: args.quick, log }), printRouting);
const { runBundles, printBundles } = await import('./sections/bundles.js');
await section(4, 'bundles', () => runBundles({ projectRoot, log }), printBundles);
const { runBusyHour, printBusyHour } = await import('./sections/busy-hour.js');
await section(5, 'busyHour', () => runBusyHour({ seed: args.seed, quick: args.quick, projectRoot, log, rates: args.rates, faults: args.faults }), printBusyHour, (r) => r.failed);

const seconds = Math.round((Date.now() - started) / 1000);
(results.meta as Record<string, unknown>).seconds = seconds;
// Outside the tracked tree by default, so that a run leaves `git status` clean.
const outDir = args.out ?? join(tmpdir(), 'tide-bench', new Date(started).toISOString().replace(/[:.]/g, '-'));
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'latest.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
const loads = Object.entries(timings).map(([name, t]) => `${name} ${t.loadAverageBefore}→${t.loadAverageAfter}`).join(', ');
print(`done in ${seconds} s (load average per section: ${loads})${failures.length ? `; FAILED: ${failures.join(', ')}` : ''}`);
writeFileSync(join(outDir, 'latest.txt'), `${printed.join('\n')}\n`);
console.log(`figures in ${out}, tables in ${join(outDir, 'latest.txt')}`);
// The in-process stack of section 2 leaves SDK sockets and timers behind; the run is over.
process.exit(failures.length ? 1 : 0);
