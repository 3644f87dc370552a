import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ChangeStreams } from '../../infra/constructs/change-streams.js';
import { JobQueues } from '../../infra/constructs/job-queues.js';
import { TideFunction } from '../../infra/constructs/tide-function.js';
import { TideTables } from '../../infra/constructs/tide-tables.js';
import { Timers } from '../../infra/constructs/timers.js';
import { projectRoot } from '../../infra/tide-stack.js';
import { deliveryQueue } from '../../shared/contract/routes.js';
import { conversationsTable, customersTable } from '../../shared/storage/tables.js';

/** A bare stack (no bundling) with the two tables and functions for the handlers asked for. */
function fixture() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'T');
  const tables = new TideTables(stack, 'Tables', { definitions: [conversationsTable, customersTable] });
  const fn = (handler: 'work-changes' | 'arm-timers' | 'deliver-message' | 'timer-fired', props: { timeout?: Duration; functionName?: string } = {}) =>
    new TideFunction(stack, `${handler}-${stack.node.children.length}`, { handler, projectRoot, environment: {}, ...props });
  return { stack, tables, fn };
}

describe('construct guards (a wrong wiring fails synth, not the deployment)', () => {
  it('ChangeStreams: a table without a stream cannot be read', () => {
    const { stack, tables, fn } = fixture();
    expect(() => new ChangeStreams(stack, 'Streams', { consumers: [{ consumer: fn('work-changes'), tables: [tables.table(customersTable)], batchSize: 10 }] })).toThrow(
      /has no stream/,
    );
  });

  it('ChangeStreams: at most two consumers per stream (DynamoDB Streams serves two readers per shard)', () => {
    const { stack, tables, fn } = fixture();
    const conversations = tables.table(conversationsTable);
    const consumers = [fn('work-changes'), fn('arm-timers'), fn('work-changes')].map((consumer) => ({ consumer, tables: [conversations], batchSize: 10 }));
    expect(() => new ChangeStreams(stack, 'Streams', { consumers })).toThrow(/more than two consumers/);
  });

  it('JobQueues: the consumer must be the definition’s, and finish within the visibility timeout', () => {
    const { stack, fn } = fixture();
    expect(() => new JobQueues(stack, 'A', { queues: [{ definition: deliveryQueue, consumer: fn('work-changes'), senders: [] }] })).toThrow(/consumed by deliver-message/);
    const slow = fn('deliver-message', { timeout: Duration.seconds(deliveryQueue.visibilityTimeoutSeconds + 1) });
    expect(() => new JobQueues(stack, 'B', { queues: [{ definition: deliveryQueue, consumer: slow, senders: [] }] })).toThrow(/visibility timeout/);
  });

  it('Timers: the target needs a fixed name (schedules carry its ARN)', () => {
    const { stack, fn } = fixture();
    expect(() => new Timers(stack, 'Timers', { target: fn('timer-fired'), arming: [], redrivers: [] })).toThrow(/fixed function name/);
  });
});
