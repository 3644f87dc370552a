import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunningDynamoDb } from '../infra/local/dynamodb.js';
import { runJob, type SimJob } from './jobs.js';
import type { PolicyResult } from './metrics.js';

/**
 * Runs the jobs (policies × seeds) on `workers` processes at once, each job on a worker that is
 * free, so both cores work: one run is a single-threaded Node process talking to a DynamoDB Local
 * that mostly waits for it. Every run is deterministic for its job, so the results do not depend
 * on how many workers ran them or in which order. One worker runs the jobs in this process.
 */

/** What a worker (sim/worker.ts) tells the pool. */
export type WorkerMessage =
  | { kind: 'progress'; index: number; line: string }
  | { kind: 'result'; index: number; result: PolicyResult }
  | { kind: 'failed'; index: number; message: string; stack?: string };

export class SimJobError extends Error {
  constructor(job: SimJob, cause: unknown) {
    super(`simulation of policy ${job.policyKey} on seed ${job.workload.seed} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SimJobError';
  }
}

export interface PoolEvents {
  progress(job: SimJob, line: string): void;
  done(job: SimJob, result: PolicyResult): void;
}

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function runJobs(jobs: readonly SimJob[], workers: number, events: PoolEvents): Promise<PolicyResult[]> {
  const results: PolicyResult[] = new Array(jobs.length);
  if (workers <= 1 || jobs.length <= 1) {
    let running: RunningDynamoDb | undefined;
    const stop = () => void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for (const job of jobs) {
        try {
          results[job.index] = await runJob(job, (line) => events.progress(job, line), (db) => (running = db));
        } catch (error) {
          throw new SimJobError(job, error);
        }
        events.done(job, results[job.index]!);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return results;
  }

  const queue = [...jobs];
  const children: ChildProcess[] = [];
  // A worker's DynamoDB Local ends with the worker (infra/local/dynamodb.ts's watchdog), so ending
  // the workers is all a signal needs.
  const stopAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  const onSignal = () => {
    stopAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(error);
      };
      const startWorker = () => {
        // Structured clone, not JSON: a KPI may be Infinity (never answered) or NaN (nothing to measure).
        const child = fork(workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
        children.push(child);
        let current: SimJob | undefined;
        const next = () => {
          current = queue.shift();
          if (current) child.send(current);
          else child.disconnect();
        };
        child.on('message', (message: WorkerMessage) => {
          const job = jobs[message.index]!;
          if (message.kind === 'progress') return events.progress(job, message.line);
          if (message.kind === 'failed') {
            const cause = Object.assign(new Error(message.message), { stack: message.stack });
            return fail(new SimJobError(job, cause));
          }
          results[message.index] = message.result;
          events.done(job, message.result);
          if (++finished === jobs.length) resolve();
          next();
        });
        child.on('exit', (code, signal) => {
          if (current && results[current.index] === undefined) fail(new SimJobError(current, new Error(`worker exited (${signal ?? `code ${code}`})`)));
        });
        child.on('error', (error) => fail(error));
        next();
      };
      for (let i = 0; i < Math.min(workers, jobs.length); i++) startWorker();
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const child of children) if (child.connected) child.disconnect();
  }
  return results;
}
