import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmfMetrics } from '../../shared/runtime/emf-metrics.js';
import { MemoryMetrics, metricsNamespace, tideMetrics } from '../../shared/runtime/metrics.js';

interface EmfRecord {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

/** What the recorder prints to stdout (where Lambda hands it to CloudWatch Logs), one record a line. */
let printed: string[];
beforeEach(() => {
  printed = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** Every line printed is a record: Powertools had nothing to warn about. */
const records = () =>
  printed.map((line) => {
    const record = JSON.parse(line) as EmfRecord;
    expect(record._aws, line).toBeDefined();
    return record;
  });
const definition = (r: EmfRecord) => r._aws.CloudWatchMetrics[0]!;

describe('EmfMetrics (Powertools, embedded metric format)', () => {
  it('prints nothing when nothing was recorded', () => {
    new EmfMetrics({ service: 'Tide-prod' }).flush();
    expect(printed).toEqual([]);
  });

  it('adds up counts of one series within an invocation: one record in namespace Tide, with the service and its rollup', () => {
    const metrics = new EmfMetrics({ service: 'Tide-prod' });
    metrics.count(tideMetrics.inboundMessages, { Channel: 'sms' });
    metrics.count(tideMetrics.inboundMessages, { Channel: 'sms' }, 2);
    metrics.flush();
    // The series, and its rollup (the total over channels), each a record of its own.
    expect(records()).toHaveLength(2);
    const [record, total] = records() as [EmfRecord, EmfRecord];
    expect(definition(record)).toEqual({
      Namespace: metricsNamespace,
      Dimensions: [['service', 'Channel']],
      Metrics: [{ Name: 'InboundMessages', Unit: 'Count' }],
    });
    expect(record).toMatchObject({ service: 'Tide-prod', Channel: 'sms', InboundMessages: 3 });
    expect(definition(total).Dimensions).toEqual([['service']]);
    expect(total).toMatchObject({ InboundMessages: 3 });
    expect(total).not.toHaveProperty('Channel');
    // Published once: the next invocation starts empty.
    metrics.flush();
    expect(printed).toHaveLength(2);
  });

  it('one record per dimension set; metrics that share their dimension values share a record', () => {
    const metrics = new EmfMetrics({ service: 'Tide' });
    metrics.count(tideMetrics.inboundMessages, { Channel: 'sms' });
    metrics.count(tideMetrics.inboundMessages, { Channel: 'whatsapp' });
    for (const queue of ['default', 'vip']) {
      metrics.measure(tideMetrics.queueDepth, { Queue: queue }, 4);
      metrics.measure(tideMetrics.oldestWait, { Queue: queue }, 90);
      metrics.measure(tideMetrics.agentsWithRoom, { Queue: queue }, 0);
    }
    metrics.measure(tideMetrics.routingLatency, { Queue: 'vip' }, 120);
    metrics.measure(tideMetrics.routingLatency, { Queue: 'vip' }, 80);
    metrics.flush();
    const byDimensions = new Map(records().map((r) => [`${r.Channel ?? ''}|${r.Queue ?? ''}`, r]));
    expect(printed).toHaveLength(5);
    expect([...byDimensions.keys()].sort()).toEqual(['sms|', 'whatsapp|', '|', '|default', '|vip'].sort());
    // Both channels' messages in the one total.
    expect(byDimensions.get('|')).toMatchObject({ InboundMessages: 2 });
    const vip = byDimensions.get('|vip')!;
    expect(definition(vip).Dimensions).toEqual([['service', 'Queue']]);
    expect(definition(vip).Metrics.map((m) => m.Name).sort()).toEqual(['AgentsWithRoom', 'OldestWaitSeconds', 'QueueDepth', 'RoutingLatency']);
    expect(vip).toMatchObject({ Queue: 'vip', QueueDepth: 4, OldestWaitSeconds: 90, AgentsWithRoom: 0, RoutingLatency: [120, 80] });
    expect(definition(vip).Metrics.find((m) => m.Name === 'RoutingLatency')!.Unit).toBe('Milliseconds');
    expect(byDimensions.get('|default')).not.toHaveProperty('RoutingLatency');
  });

  it('a metric without dimensions carries the service only; a rollup keeps only its dimensions', () => {
    const metrics = new EmfMetrics({ service: 'Tide' });
    metrics.count(tideMetrics.pushFailures, {});
    metrics.count(tideMetrics.deliveryOutcomes, { Channel: 'sms', Outcome: 'failed', Code: '21211' });
    metrics.count(tideMetrics.deliveryOutcomes, { Channel: 'whatsapp', Outcome: 'failed', Code: '131047' });
    metrics.flush();
    const dimensionsOf = (r: EmfRecord) => definition(r).Dimensions;
    const push = records().find((r) => r.PushFailures !== undefined)!;
    expect(dimensionsOf(push)).toEqual([['service']]);
    expect(push.PushFailures).toBe(1);
    const deliveries = records().filter((r) => r.DeliveryOutcomes !== undefined);
    expect(deliveries.map(dimensionsOf)).toEqual([[['service', 'Channel', 'Outcome', 'Code']], [['service', 'Outcome']], [['service', 'Channel', 'Outcome', 'Code']]]);
    expect(deliveries[0]).toMatchObject({ Channel: 'sms', Outcome: 'failed', Code: '21211', DeliveryOutcomes: 1 });
    // The rollup: every failure, whatever the channel and code (what the alarm watches).
    expect(deliveries[1]).toMatchObject({ Outcome: 'failed', DeliveryOutcomes: 2 });
    expect(deliveries[1]).not.toHaveProperty('Code');
  });

  it('more values than a record holds: further records, each with its dimensions', () => {
    const metrics = new EmfMetrics({ service: 'Tide' });
    for (let i = 0; i < 150; i++) metrics.measure(tideMetrics.routingLatency, { Queue: 'default' }, i);
    metrics.flush();
    const all = records();
    expect(all.length).toBe(2);
    for (const r of all) expect(r).toMatchObject({ Queue: 'default', service: 'Tide' });
    expect(all.flatMap((r) => r.RoutingLatency as number[])).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });
});

describe('MemoryMetrics', () => {
  it('keeps totals per series, summed over the series a filter matches', () => {
    const metrics = new MemoryMetrics();
    metrics.count(tideMetrics.deliveryOutcomes, { Channel: 'sms', Outcome: 'failed', Code: '21211' });
    metrics.count(tideMetrics.deliveryOutcomes, { Channel: 'sms', Outcome: 'sent', Code: 'ok' }, 3);
    metrics.measure(tideMetrics.timerLateness, {}, 250);
    metrics.flush();
    expect(metrics.total(tideMetrics.deliveryOutcomes)).toBe(4);
    expect(metrics.total(tideMetrics.deliveryOutcomes, { Outcome: 'failed' })).toBe(1);
    expect(metrics.samples(tideMetrics.timerLateness)).toBe(1);
    expect(metrics.snapshot().find((s) => s.name === 'TimerLatenessMs')).toMatchObject({ sum: 250, max: 250, samples: 1 });
    expect(printed).toEqual([]);
  });
});
