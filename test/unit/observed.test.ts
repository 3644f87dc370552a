import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../shared/runtime/logger.js';
import { MemoryMetrics, tideMetrics, type MetricsRecorder } from '../../shared/runtime/metrics.js';
import { observed } from '../../shared/runtime/observed.js';

const context = {
  functionName: 'Tide-InboundMessage-abc',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:Tide-InboundMessage-abc',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
} as Context;

/** Counts flushes; the totals themselves are MemoryMetrics'. */
class FlushCounting extends MemoryMetrics implements MetricsRecorder {
  flushes = 0;
  override flush() {
    this.flushes++;
  }
}

let lines: Array<Record<string, unknown>>;
beforeEach(() => {
  lines = [];
  // Powertools' logger writes warnings and errors to stderr, the rest to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
  }
  logger.setLogLevel('INFO');
});
afterEach(() => {
  logger.setLogLevel('SILENT');
  vi.restoreAllMocks();
});

describe('observed (every handler but the authorizer)', () => {
  it('log lines carry the Lambda context; metrics are flushed once the handler returns', async () => {
    const metrics = new FlushCounting();
    const handler = observed({ metrics }, async (event: { n: number }) => {
      metrics.count(tideMetrics.inboundMessages, { Channel: 'generic' }, event.n);
      logger.info('handled');
      expect(metrics.flushes).toBe(0);
      return 'done';
    });
    await expect(handler({ n: 2 }, context)).resolves.toBe('done');
    expect(metrics.flushes).toBe(1);
    expect(metrics.total(tideMetrics.inboundMessages)).toBe(2);
    expect(lines.find((l) => l.message === 'handled')).toMatchObject({
      function_name: context.functionName,
      function_request_id: 'req-1',
      function_arn: context.invokedFunctionArn,
      cold_start: expect.any(Boolean),
    });
  });

  it('a handler that throws still flushes, and its error is the caller’s', async () => {
    const metrics = new FlushCounting();
    const handler = observed({ metrics }, async () => {
      throw new Error('boom');
    });
    await expect(handler(undefined, context)).rejects.toThrow('boom');
    expect(metrics.flushes).toBe(1);
  });

  it('a flush that fails is logged and does not fail the invocation; a call without a context (the local stack) works', async () => {
    const failing: MetricsRecorder = { count: () => {}, measure: () => {}, flush: () => { throw new RangeError('bad metric'); } };
    await expect(observed({ metrics: failing }, async () => 'ok')(undefined)).resolves.toBe('ok');
    expect(lines.find((l) => l.message === 'metrics not published')).toMatchObject({ error: 'RangeError' });
  });
});
