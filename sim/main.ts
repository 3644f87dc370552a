import './quiet.js';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal, type RunningDynamoDb } from '../infra/local/dynamodb.js';
import { runPolicy } from './engine.js';
import { failureReport, violations } from './invariants.js';
import type { PolicyResult } from './metrics.js';
import { selectPolicies } from './policies.js';
import { formatTable, resultsSvg } from './report.js';
import { defaultWorkloadOptions, generateWorkload, quickWorkloadOptions, workloadMix, type WorkloadOptions } from './workload.js';

/**
 * `npm run simulate [-- options]`: a contact-center day, the same seeded workload run through
 * each routing policy against the real Tide domain code and DynamoDB Local. See sim/README.md.
 */

const usage = `usage: npm run simulate -- [--seed N] [--conversations N] [--agents N] [--hours H] [--quick]
                          [--policies A,A2,B,C] [--out DIR] [--sweep-seconds S] [--poll-seconds S]
                          [--sample-seconds S] [--routing-seed N]`;

interface Args {
  workload: Partial<WorkloadOptions>;
  quick: boolean;
  policies?: string;
  out: string;
  sweepSeconds: number;
  /** 0: the mode's default (120 s, --quick 300 s). */
  pollSeconds: number;
  /** 0: the mode's default (60 s, --quick 120 s). */
  sampleSeconds: number;
  /** Seeds Tide's random routing tie-breaks; the workload's seed when absent. */
  routingSeed?: number;
}

/** Where results go unless `--out` says otherwise: outside the repository, so a run leaves `git status` clean. */
const defaultOut = join(tmpdir(), 'tide-sim');

function parseArgs(argv: string[]): Args {
  const args: Args = { workload: {}, quick: false, out: defaultOut, sweepSeconds: 60, pollSeconds: 0, sampleSeconds: 0 };
  const overrides: Partial<WorkloadOptions> = {};
  const number = (flag: string, value: string | undefined) => {
    const x = Number(value);
    if (value === undefined || !Number.isFinite(x) || x <= 0) throw new Error(`${flag} needs a positive number\n${usage}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--seed':
        overrides.seed = Math.floor(number(flag, value));
        i++;
        break;
      case '--conversations':
        overrides.conversations = Math.floor(number(flag, value));
        i++;
        break;
      case '--agents':
        overrides.agents = Math.floor(number(flag, value));
        i++;
        break;
      case '--hours':
        overrides.dayHours = number(flag, value);
        i++;
        break;
      case '--quick':
        args.quick = true;
        break;
      case '--policies':
        args.policies = value;
        i++;
        break;
      case '--out':
        if (!value) throw new Error(`--out needs a directory\n${usage}`);
        args.out = value;
        i++;
        break;
      case '--sweep-seconds':
        args.sweepSeconds = number(flag, value);
        i++;
        break;
      case '--poll-seconds':
        args.pollSeconds = number(flag, value);
        i++;
        break;
      case '--sample-seconds':
        args.sampleSeconds = number(flag, value);
        i++;
        break;
      case '--routing-seed':
        args.routingSeed = Math.floor(number(flag, value));
        i++;
        break;
      case '--help':
      case '-h':
        console.log(usage);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${usage}`);
    }
  }
  args.workload = { ...(args.quick ? quickWorkloadOptions : {}), ...overrides };
  args.pollSeconds ||= args.quick ? 300 : 120;
  args.sampleSeconds ||= args.quick ? 120 : 60;
  return args;
}

/** The commit the domain code comes from (`+` when shared/ has uncommitted changes), for the results' provenance. */
function domainCommit(): string | undefined {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'shared') ? '+' : ''}`;
  } catch {
    return undefined;
  }
}

async function main() {
  const wallStart = Date.now();
  const args = parseArgs(process.argv.slice(2));
  const commit = domainCommit();
  const policies = selectPolicies(args.policies);
  // The workload's own, fixed date: the simulator's tables have TTL off (sim/engine.ts), so a
  // virtual day in the past is safe, and a seed's results do not depend on the day they are run.
  const workload = generateWorkload(args.workload);
  const o = workload.options;
  const mix = workloadMix(workload);
  const describe =
    `seed ${o.seed}, ${o.conversations} customers (${mix.engaged} engaged, ${mix.slow} slow, ${mix.gone} gone) over ${o.dayHours} h, ` +
    `${o.agents} agents on ${(o.dayHours * o.shiftFraction).toFixed(1)} h staggered shifts`;
  console.log(`Tide simulation: ${describe}${args.quick ? ' (--quick)' : ''}${commit ? `, domain ${commit}` : ''}`);

  // DynamoDB Local slows down as earlier policies' tables and streams pile up (a policy run last
  // took 5x as long as on its own), so each policy gets a DynamoDB Local of its own. A reused
  // endpoint (DYNAMODB_ENDPOINT) is shared: each policy drops its tables when done instead.
  const shared = process.env.DYNAMODB_ENDPOINT;
  let dynamodb: RunningDynamoDb | undefined;
  const stop = async () => {
    const running = dynamodb;
    dynamodb = undefined;
    await running?.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

  const results: PolicyResult[] = [];
  const broken: string[] = [];
  const run = `sim${Date.now().toString(36)}`;
  try {
    for (const policy of policies) {
      let endpoint = shared;
      if (!endpoint) {
        dynamodb = await startDynamoDbLocal();
        endpoint = dynamodb.endpoint;
      }
      const result = await runPolicy({
        endpoint,
        dropTables: Boolean(shared),
        workload,
        policy,
        tablePrefix: `${run}-${policy.key}-`,
        sweepSeconds: args.sweepSeconds,
        idlePollSeconds: args.pollSeconds,
        sampleSeconds: args.sampleSeconds,
        routingSeed: args.routingSeed,
        progress: (line) => console.log(line),
      });
      await stop();
      results.push(result);
      const d = result.diagnostics;
      console.log(
        `${policy.label}: ${(result.wallMs / 1000).toFixed(1)} s wall, ${result.dbCalls} DynamoDB calls, ` +
          `${d.timersCreated} timers, ${d.pushes} pushes; missed pushes ${d.missedPushes}, sweep assignments ${d.sweepAssigned}, ` +
          `domain errors ${d.domainErrors}, stale agent actions ${d.staleActions}`,
      );
      const fu = d.followUps;
      console.log(
        `  follow-ups: ${fu.records} stream records, ${fu.followUps} follow-ups in ${fu.rounds} rounds, ${fu.streamCalls} stream calls, ` +
          `${fu.rechecks} rechecks (assigned ${fu.recheckAssigned}), ${d.deliveriesQueued} replies queued for delivery`,
      );
      const f = d.floor;
      const share = (x: number) => `${((100 * x) / Math.max(1, f.onShift)).toFixed(0)}%`;
      console.log(
        `  on-shift agent time: composing ${share(f.composing)}, idle with slots full while work queued ${share(f.idleSlotsFull)}, ` +
          `idle with free capacity while work queued ${share(f.idleWithCapacity)}, idle with empty queue ${share(f.idleQueueEmpty)}`,
      );
      for (const v of violations(result)) {
        broken.push(`${policy.label}: ${v}`);
        console.log(`  INVARIANT BROKEN: ${v}`);
      }
    }
  } finally {
    await stop();
  }

  const wallMs = Date.now() - wallStart;
  console.log('');
  console.log(formatTable(results));
  console.log('');
  console.log('FRT = first response time (first agent message − first customer message; customers who gave up excluded).');
  console.log('unans. = neither answered nor given up when the last shift ended. overruns: observations with active > maxLoad /');
  console.log('active > preferred not explained by reactivations (peak = highest active count seen).');

  await mkdir(args.out, { recursive: true });
  const summary = {
    generatedAt: new Date().toISOString(),
    command: `npm run simulate -- ${process.argv.slice(2).join(' ')}`.trim(),
    domainCommit: commit,
    workload: { ...o, mix, dayStart: workload.dayStart, defaults: defaultWorkloadOptions },
    routingSeed: args.routingSeed ?? o.seed,
    invariantsBroken: broken,
    wallSeconds: wallMs / 1000,
    results,
  };
  const mode = args.quick ? 'quick' : 'default';
  const svg = resultsSvg(results, describe);
  for (const name of ['latest', mode]) {
    await writeFile(join(args.out, `${name}.json`), JSON.stringify(summary, null, 2) + '\n');
    await writeFile(join(args.out, `${name}.svg`), svg);
  }
  const near = relative(process.cwd(), args.out);
  const shown = !near ? '.' : near.startsWith('..') || isAbsolute(near) ? args.out : near;
  console.log(`\nwrote ${shown}/latest.json and ${shown}/latest.svg (also ${mode}.json/.svg)`);
  console.log(`wall time: ${(wallMs / 1000).toFixed(1)} s`);
  const failure = failureReport(broken, join(args.out, 'latest.json'));
  if (failure) {
    console.error(`\n${failure}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
