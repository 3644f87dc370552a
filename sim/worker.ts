import './quiet.js';
import { runJob, type SimJob } from './jobs.js';
import type { WorkerMessage } from './pool.js';

/**
 * A worker process of `npm run simulate` (sim/pool.ts forks it): runs the jobs it is sent, one at
 * a time, and sends back each result. It ends when the pool disconnects; its DynamoDB Local ends
 * with it.
 */

const tell = (message: WorkerMessage) => process.send!(message);

process.on('message', (job: SimJob) => {
  runJob(job, (line) => tell({ kind: 'progress', index: job.index, line })).then(
    (result) => tell({ kind: 'result', index: job.index, result }),
    (error: unknown) => tell({ kind: 'failed', index: job.index, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined }),
  );
});
process.on('disconnect', () => process.exit(0));
