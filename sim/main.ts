import './quiet.js';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureReport, violations } from './invariants.js';
import type { SimJob } from './jobs.js';
import type { PolicyResult } from './metrics.js';
import { dayLoad, modelWith, type DayKind, type ModelOverrides } from './model.js';
import { planJobs, type RunSettings } from './plan.js';
import { selectPolicies } from './policies.js';
import { runJobs } from './pool.js';
import { figuresCommand, publish, type PublishedFile, type Section } from './publish.js';
import { formatTable, resultsSvg } from './report.js';
import { formatSensitivityMarkdown, planSensitivity, sensitivityDays, sensitivityPolicies, sensitivitySlowdowns, summariseCells } from './sensitivity.js';
import { summarySvg } from './summary-chart.js';
import { baselineKey, describeSeeds, formatSummaryMarkdown, formatSummaryTable, summarise, type SummaryContext } from './summary.js';
import { dayOptions, defaultWorkloadOptions, generateWorkload, workloadMix, type WorkloadOptions } from './workload.js';

/**
 * `npm run simulate [-- options]`: contact-center days (one per seed), each run through every
 * policy against the real Tide domain code and DynamoDB Local, in parallel worker processes.
 * Prints each run's KPIs and their means over seeds with paired 95% intervals against B, and
 * writes summary.json, summary.md and summary.svg. `--sensitivity` runs that over a grid of day
 * kinds × slowdowns instead; `--publish` puts the figures into the README. See sim/README.md.
 */

const usage = `usage: npm run simulate -- [--quick] [--day light|default|overloaded] [--seed N] [--seeds N]
                          [--policies A,A2,B,C] [--out DIR] [--workers N]
                          [--conversations N] [--agents N] [--hours H]
                          [--slowdown A] [--switch-seconds S] [--silent-share F] [--later-patience-factor F]
                          [--coproduction-factor F] [--coproduction-late-seconds S] [--scheduler-late-seconds S]
                          [--break-every-minutes M] [--break-minutes M] [--priority-share F] [--model JSON]
                          [--sweep-seconds S] [--poll-seconds S] [--sample-seconds S] [--routing-seed N]
                          [--sensitivity] [--publish]`;

interface Args {
  quick: boolean;
  day: DayKind;
  /** Whether `--day` was given (the sensitivity grid sets the day itself). */
  daySet: boolean;
  /** The first seed; `seeds` days are run, seeds first, first + 1, … */
  seed: number;
  seeds: number;
  size: Partial<WorkloadOptions>;
  model: ModelOverrides;
  policies?: string;
  out: string;
  workers: number;
  sweepSeconds: number;
  /** 0: the mode's default (120 s, --quick 300 s). */
  pollSeconds: number;
  /** 0: the mode's default (60 s, --quick 120 s). */
  sampleSeconds: number;
  /** Seeds Tide's random routing tie-breaks; each day's own seed when absent. */
  routingSeed?: number;
  /** Run the grid of days × slowdowns (sim/sensitivity.ts) instead of one day. */
  sensitivity: boolean;
  /** Put the figures into the README between its markers (sim/publish.ts). */
  publish: boolean;
}

class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${usage}`);
    this.name = 'UsageError';
  }
}

/** Where results go unless `--out` says otherwise: outside the repository, so a run leaves `git status` clean. */
const defaultOut = join(tmpdir(), 'tide-sim');

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    day: 'default',
    daySet: false,
    seed: defaultWorkloadOptions.seed,
    seeds: 1,
    size: {},
    model: {},
    out: defaultOut,
    workers: availableParallelism(),
    sweepSeconds: 60,
    pollSeconds: 0,
    sampleSeconds: 0,
    sensitivity: false,
    publish: false,
  };
  const m = args.model;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    /** The flag's value as a number within [min, max] (`positive`: above min). */
    const number = (min = 0, max = Infinity, positive = false) => {
      const x = Number(value);
      if (value === undefined || value === '' || !Number.isFinite(x) || x < min || x > max || (positive && x <= min)) {
        throw new UsageError(`${flag} needs a number ${positive ? 'above' : 'from'} ${min}${max < Infinity ? ` to ${max}` : ''}`);
      }
      i++;
      return x;
    };
    const whole = (min = 1) => Math.floor(number(min));
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--day':
        if (!value || !(value in dayLoad)) throw new UsageError(`--day is one of ${Object.keys(dayLoad).join(', ')}`);
        args.day = value as DayKind;
        args.daySet = true;
        i++;
        break;
      case '--seed':
        args.seed = whole(0);
        break;
      case '--seeds':
        args.seeds = whole(1);
        break;
      case '--conversations':
        args.size.conversations = whole(1);
        break;
      case '--agents':
        args.size.agents = whole(1);
        break;
      case '--hours':
        args.size.dayHours = number(0, 24, true);
        break;
      case '--policies':
        args.policies = value;
        i++;
        break;
      case '--out':
        if (!value) throw new UsageError('--out needs a directory');
        args.out = value;
        i++;
        break;
      case '--workers':
        args.workers = whole(1);
        break;
      case '--slowdown':
        m.slowdown = number(0, 5);
        break;
      case '--switch-seconds':
        m.switchSeconds = number(0, 600);
        break;
      case '--silent-share':
        m.patience = { ...m.patience, silentShare: number(0, 1) };
        break;
      case '--later-patience-factor':
        m.patience = { ...m.patience, laterFactor: number(0, 100, true) };
        break;
      case '--coproduction-factor':
        m.coProduction = { ...m.coProduction, factor: number(0, 100, true) };
        break;
      case '--coproduction-late-seconds':
        m.coProduction = { ...m.coProduction, lateAfterSeconds: number(0) };
        break;
      case '--scheduler-late-seconds':
        m.schedulerLateSeconds = number(0, 900);
        break;
      case '--break-every-minutes':
        m.breaks = { ...m.breaks, everyMinutes: number(0, 1440, true) };
        break;
      case '--break-minutes':
        m.breaks = { ...m.breaks, minutes: number(0, 240) };
        break;
      case '--priority-share':
        m.priority = { ...m.priority, share: number(0, 1) };
        break;
      case '--model': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value ?? '');
        } catch (error) {
          throw new UsageError(`--model needs a JSON object of model fields (sim/model.ts): ${(error as Error).message}`);
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--model needs a JSON object');
        args.model = mergeOverrides(m, parsed as ModelOverrides);
        i++;
        break;
      }
      case '--sweep-seconds':
        args.sweepSeconds = number(0, 3600, true);
        break;
      case '--poll-seconds':
        args.pollSeconds = number(0, 3600, true);
        break;
      case '--sample-seconds':
        args.sampleSeconds = number(0, 3600, true);
        break;
      case '--routing-seed':
        args.routingSeed = whole(0);
        break;
      case '--sensitivity':
        args.sensitivity = true;
        break;
      case '--publish':
        args.publish = true;
        break;
      case '--help':
      case '-h':
        console.log(usage);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (args.sensitivity && (args.daySet || args.model.slowdown !== undefined)) {
    throw new UsageError('--sensitivity runs every day and slowdown itself: leave out --day and --slowdown');
  }
  args.pollSeconds ||= args.quick ? 300 : 120;
  args.sampleSeconds ||= args.quick ? 120 : 60;
  return args;
}

/** `--model` JSON over the flags given before it (and the flags after it over both). */
function mergeOverrides(a: ModelOverrides, b: ModelOverrides): ModelOverrides {
  const out: ModelOverrides = { ...a, ...b };
  for (const k of ['patience', 'coProduction', 'responseTimes', 'breaks', 'priority'] as const) {
    if (a[k] || b[k]) (out as Record<string, unknown>)[k] = { ...a[k], ...b[k] };
  }
  return out;
}

/** The commit the domain code comes from (`+` when shared/ has uncommitted changes), for the results' provenance. */
function domainCommit(): string | undefined {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const git = (...a: string[]) => execFileSync('git', a, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'shared') ? '+' : ''}`;
  } catch {
    return undefined;
  }
}

const cpuOf = (r: PolicyResult) => {
  const c = r.cpuSeconds;
  if (!c) return '';
  return ` (CPU ${c.simulator.toFixed(0)} s${c.dynamodb === undefined ? '' : ` + DynamoDB Local ${c.dynamodb.toFixed(0)} s`})`;
};

function describeRun(r: PolicyResult, where = ''): string[] {
  const d = r.diagnostics;
  const fu = d.followUps;
  const f = d.floor;
  const mt = d.model;
  const share = (x: number) => `${((100 * x) / Math.max(1, f.onShift)).toFixed(0)}%`;
  return [
    `${where}${r.label}, seed ${r.seed}: ${(r.wallMs / 1000).toFixed(1)} s wall${cpuOf(r)}, ${r.dbCalls} DynamoDB calls, ${fu.streamCalls} stream calls, ` +
      `${d.timersCreated} timers, ${d.pushes} pushes; missed pushes ${d.missedPushes}, sweep assignments ${d.sweepAssigned}, ` +
      `domain errors ${d.domainErrors}, stale agent actions ${d.staleActions}`,
    `  on-shift agent time: composing ${share(f.composing)}, idle with slots full while work queued ${share(f.idleSlotsFull)}, ` +
      `idle with free capacity while work queued ${share(f.idleWithCapacity)}, idle with empty queue ${share(f.idleQueueEmpty)}, on a break ${share(f.away)}`,
    `  model: gave up silently ${mt.leftSilently}, saying so ${mt.saidLeaving} (before the first reply ${mt.gaveUpBeforeFirstReply}, later ${mt.gaveUpLater}); slowdown +${(mt.slowdownMs / 60_000).toFixed(0)} min, ` +
      `${mt.switches} switches +${(mt.switchMs / 60_000).toFixed(0)} min; ${mt.slowedAnswers} answers slowed by a late reply; ${mt.breaks} breaks; ` +
      `timers ${(mt.timerLateMsMean / 1000).toFixed(0)} s late on average`,
  ];
}

const settingsOf = (args: Args): RunSettings => ({
  sweepSeconds: args.sweepSeconds,
  idlePollSeconds: args.pollSeconds,
  sampleSeconds: args.sampleSeconds,
  routingSeed: args.routingSeed,
});

/** The repository's root: where `--publish` finds README.md and writes sim/results/. */
const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
/** What `--publish` writes besides the README, from the repository's root: the chart the README links to, and the grid's table. */
const publishedChart = 'sim/results/summary.svg';
const publishedSensitivity = 'sim/results/sensitivity.md';

/** A directory as the run prints it: from here when it is inside, absolute otherwise. */
function shown(dir: string): string {
  const near = relative(process.cwd(), dir);
  return !near ? '.' : near.startsWith('..') || isAbsolute(near) ? dir : near;
}

/**
 * Runs the jobs on the pool, printing each run's diagnostics as it finishes and every invariant it
 * broke. `cellOf` names a job's cell of the sensitivity grid, which its lines and broken rules
 * then start with.
 */
async function runAll(jobs: readonly SimJob[], workers: number, cellOf: (job: SimJob) => string | undefined = () => undefined) {
  const broken: string[] = [];
  const results = await runJobs(jobs, workers, {
    progress: (job, line) => console.log(`  [${[cellOf(job), `seed ${job.workload.seed}`].filter(Boolean).join(', ')}]${line}`),
    done: (job, result) => {
      const cell = cellOf(job);
      for (const line of describeRun(result, cell ? `[${cell}] ` : '')) console.log(line);
      for (const v of violations(result)) {
        broken.push(`${cell ? `${cell}: ` : ''}${result.label}, seed ${result.seed}: ${v}`);
        console.log(`  INVARIANT BROKEN: ${v}`);
      }
    },
  });
  return { results, broken };
}

/** Publishes unless a run broke an invariant: figures from a broken run are not the README's. */
async function publishIf(args: Args, broken: readonly string[], section: Section, content: string, files: PublishedFile[]) {
  if (!args.publish) return;
  if (broken.length > 0) {
    console.error(`not published: ${broken.length} invariant${broken.length === 1 ? '' : 's'} broken`);
    return;
  }
  const written = await publish(repositoryRoot, section, content, files);
  console.log(`published: ${written.join(', ')}`);
}

/** Exits 1 (after everything is written) when any run broke an invariant. */
function failOn(broken: readonly string[], evidence: string) {
  const failure = failureReport(broken, evidence);
  if (failure) {
    console.error(`\n${failure}`);
    process.exitCode = 1;
  }
}

/** One day kind (`--day`), over the seeds, every policy: the summary, its table and chart, and the runs. */
async function simulateDays(args: Args, commit: string | undefined) {
  const wallStart = Date.now();
  const policies = selectPolicies(args.policies);
  const model = modelWith(args.model);
  const seeds = Array.from({ length: args.seeds }, (_, i) => args.seed + i);
  // The workload's own, fixed date: the simulator's tables have TTL off (sim/engine.ts), so a
  // virtual day in the past is safe, and a seed's results do not depend on the day they are run.
  const days = seeds.map((seed) => ({ ...dayOptions(args.day, args.quick, args.size), seed, model }));
  const first = generateWorkload(days[0]);
  const o = first.options;
  const describe =
    `${args.day} day: ${o.conversations} customers over ${o.dayHours} h, ${o.agents} agents on ${(o.dayHours * o.shiftFraction).toFixed(1)} h staggered shifts, ` +
    `slowdown ${model.slowdown}; seed${seeds.length > 1 ? `s ${seeds[0]}–${seeds.at(-1)}` : ` ${seeds[0]}`}`;
  const jobs = planJobs(days, policies.map((p) => p.key), settingsOf(args), `sim${Date.now().toString(36)}`);
  const workers = Math.min(args.workers, jobs.length);
  console.log(`Tide simulation: ${describe}${args.quick ? ' (--quick)' : ''}${commit ? `, domain ${commit}` : ''}; ${jobs.length} runs on ${workers} worker${workers === 1 ? '' : 's'}`);

  const { results, broken } = await runAll(jobs, workers);

  const summary = summarise(results);
  const labels = Object.fromEntries(policies.map((p) => [p.key, p.label]));
  const wallMs = Date.now() - wallStart;
  console.log('');
  console.log(formatTable(results));
  console.log('');
  console.log(formatSummaryTable(summary, labels, seeds.length));
  console.log('');
  console.log('Every KPI is over every arrival: customers who gave up count as not answered (first-reply percentiles: never = +inf).');

  await mkdir(args.out, { recursive: true });
  const mode = [args.quick ? 'quick' : '', args.day !== 'default' || !args.quick ? args.day : ''].filter(Boolean).join('-');
  const argv = process.argv.slice(2);
  const full = {
    generatedAt: new Date().toISOString(),
    command: `npm run simulate -- ${argv.join(' ')}`.trim(),
    domainCommit: commit,
    day: args.day,
    seeds,
    workload: { ...o, seed: undefined, dayStart: first.dayStart, defaults: defaultWorkloadOptions },
    mixBySeed: Object.fromEntries(days.map((d) => [d.seed, workloadMix(generateWorkload(d))])),
    routingSeed: args.routingSeed ?? 'each day its own seed',
    workers,
    invariantsBroken: broken,
    wallSeconds: wallMs / 1000,
    summary,
    results,
  };
  const context: SummaryContext = { seeds, day: args.day, slowdown: model.slowdown, customers: o.conversations, agents: o.agents, hours: o.dayHours, commit, command: figuresCommand(argv) };
  const table = formatSummaryMarkdown(summary, labels, context);
  const chart = summarySvg(summary, labels, context);
  await writeFile(join(args.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFile(join(args.out, 'summary.md'), table);
  await writeFile(join(args.out, 'summary.svg'), chart);
  const svg = resultsSvg(results.filter((r) => r.seed === seeds[0]), `${describe} (first seed)`);
  for (const name of ['latest', mode]) {
    await writeFile(join(args.out, `${name}.json`), JSON.stringify(full, null, 2) + '\n');
    await writeFile(join(args.out, `${name}.svg`), svg);
  }
  const dir = shown(args.out);
  console.log(`\nwrote ${dir}/summary.json, summary.md, summary.svg, latest.json and latest.svg (also ${mode}.json/.svg)`);
  await publishIf(args, broken, 'summary', `${table}\n![KPIs by policy](${publishedChart})`, [{ path: publishedChart, content: chart }]);
  console.log(`wall time: ${(wallMs / 1000).toFixed(1)} s`);
  failOn(broken, join(args.out, 'latest.json'));
}

/** The grid of day kinds × slowdowns (sim/sensitivity.ts), every cell on the same seeds, all runs on the pool at once. */
async function simulateSensitivity(args: Args, commit: string | undefined) {
  const wallStart = Date.now();
  const policies = selectPolicies(args.policies ?? sensitivityPolicies);
  if (!policies.some((p) => p.key === baselineKey) || policies.length < 2) {
    throw new UsageError(`--sensitivity compares policies with ${baselineKey}: --policies needs ${baselineKey} and at least one other`);
  }
  const seeds = Array.from({ length: args.seeds }, (_, i) => args.seed + i);
  const plan = planSensitivity(seeds, policies.map((p) => p.key), settingsOf(args), `sim${Date.now().toString(36)}`, {
    quick: args.quick,
    size: args.size,
    model: args.model,
  });
  const cellOf = new Map(plan.cells.flatMap((c) => c.jobs.map((j) => [j, c] as const)));
  const workers = Math.min(args.workers, plan.jobs.length);
  console.log(
    `Tide sensitivity: ${plan.cells.length} cells (day ${sensitivityDays.join('/')} × slowdown ${sensitivitySlowdowns.join('/')}), ` +
      `${describeSeeds(seeds)}, policies ${policies.map((p) => p.key).join(',')}${args.quick ? ' (--quick)' : ''}${commit ? `, domain ${commit}` : ''}; ` +
      `${plan.jobs.length} runs on ${workers} worker${workers === 1 ? '' : 's'}`,
  );

  const { results, broken } = await runAll(plan.jobs, workers, (job) => {
    const c = cellOf.get(job.index);
    return c && `${c.day} day, α ${c.slowdown}`;
  });
  const cells = summariseCells(plan, results);
  const argv = process.argv.slice(2);
  const table = formatSensitivityMarkdown(cells, { seeds, commit, command: figuresCommand(argv) });
  const wallMs = Date.now() - wallStart;
  console.log(`\n${table.trimEnd()}`);

  await mkdir(args.out, { recursive: true });
  const provenance = {
    generatedAt: new Date().toISOString(),
    command: `npm run simulate -- ${argv.join(' ')}`.trim(),
    domainCommit: commit,
    seeds,
    policies: policies.map((p) => p.key),
    routingSeed: args.routingSeed ?? 'each day its own seed',
    workers,
    invariantsBroken: broken,
    wallSeconds: wallMs / 1000,
  };
  await writeFile(join(args.out, 'sensitivity.json'), JSON.stringify({ ...provenance, cells }, null, 2) + '\n');
  await writeFile(join(args.out, 'sensitivity.md'), table);
  // Every run, for the evidence of a broken invariant (as latest.json is for one day).
  const runs = plan.cells.map((c) => ({ day: c.day, slowdown: c.slowdown, workload: c.workload, results: c.jobs.map((i) => results[i]) }));
  await writeFile(join(args.out, 'sensitivity-runs.json'), JSON.stringify({ ...provenance, cells: runs }, null, 2) + '\n');
  const dir = shown(args.out);
  console.log(`\nwrote ${dir}/sensitivity.json, sensitivity.md and sensitivity-runs.json`);
  await publishIf(args, broken, 'sensitivity', table, [{ path: publishedSensitivity, content: table }]);
  console.log(`wall time: ${(wallMs / 1000).toFixed(1)} s`);
  failOn(broken, join(args.out, 'sensitivity-runs.json'));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const commit = domainCommit();
  if (args.sensitivity) await simulateSensitivity(args, commit);
  else await simulateDays(args, commit);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
