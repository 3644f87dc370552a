import { startDynamoDbLocal, type RunningDynamoDb } from '../infra/local/dynamodb.js';
import { processTreeCpuSeconds } from './cpu.js';
import { runPolicy } from './engine.js';
import type { PolicyResult } from './metrics.js';
import { selectPolicies } from './policies.js';
import { generateWorkload, type WorkloadOptions } from './workload.js';

/**
 * One run: a policy on one seed's day, with everything it needs to be run anywhere (this
 * process or a worker, sim/pool.ts). Plain data, so it crosses a process boundary as JSON.
 */
export interface SimJob {
  /** Its place in the run's list (results are reported in this order). */
  index: number;
  policyKey: string;
  /** The day (its seed included); the same options give the same day in any process. */
  workload: Partial<WorkloadOptions>;
  sweepSeconds: number;
  idlePollSeconds: number;
  sampleSeconds: number;
  routingSeed?: number;
  /** Unique to the job: table names on a shared DynamoDB Local. */
  tablePrefix: string;
}

/**
 * Runs one job against a DynamoDB Local of its own, started for it and stopped after: DynamoDB
 * Local slows down as earlier runs' tables and streams pile up (a policy run last took 5× as long
 * as on its own). With `DYNAMODB_ENDPOINT` the runs share that one and drop their tables instead.
 * `onStart` gets the DynamoDB Local started, so that a signal can stop it.
 */
export async function runJob(job: SimJob, progress: (line: string) => void, onStart: (db: RunningDynamoDb | undefined) => void = () => {}): Promise<PolicyResult> {
  const shared = process.env.DYNAMODB_ENDPOINT;
  const [policy] = selectPolicies(job.policyKey);
  if (!policy) throw new Error(`no policy ${job.policyKey}`);
  const workload = generateWorkload(job.workload);
  const dynamodb = shared ? undefined : await startDynamoDbLocal();
  onStart(dynamodb);
  const cpuBefore = process.cpuUsage();
  const dbCpuBefore = dynamodb ? processTreeCpuSeconds(dynamodb.pid) : undefined;
  try {
    const result = await runPolicy({
      endpoint: shared ?? dynamodb!.endpoint,
      dropTables: Boolean(shared),
      workload,
      policy,
      tablePrefix: job.tablePrefix,
      sweepSeconds: job.sweepSeconds,
      idlePollSeconds: job.idlePollSeconds,
      sampleSeconds: job.sampleSeconds,
      routingSeed: job.routingSeed,
      progress,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const dbCpu = dynamodb ? processTreeCpuSeconds(dynamodb.pid) : undefined;
    result.cpuSeconds = {
      simulator: (cpu.user + cpu.system) / 1e6,
      ...(dbCpu === undefined || dbCpuBefore === undefined ? {} : { dynamodb: dbCpu - dbCpuBefore }),
    };
    return result;
  } finally {
    onStart(undefined);
    await dynamodb?.stop();
  }
}
