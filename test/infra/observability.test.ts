import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Alarms } from '../../infra/constructs/alarms.js';
import { alarmThresholdsFromContext, AlarmThresholdsError, defaultAlarmThresholds, Observability } from '../../infra/constructs/observability.js';
import { TideFunction } from '../../infra/constructs/tide-function.js';
import { webSocketRoutes, type HandlerName } from '../../shared/contract/routes.js';
import { environment } from '../../shared/runtime/environment.js';
import { metricsNamespace, tideMetrics } from '../../shared/runtime/metrics.js';

/** The repository root, as infra/tide-stack.ts's `projectRoot` (not imported: it loads the whole stack). */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const topic = 'arn:aws:sns:eu-west-1:123456789012:tide-alarms';

// One synth for the file, of the constructs alone (the whole stack composes them the same way:
// test/infra/tide-stack.test.ts): three functions, two queues, a threshold overridden, a topic.
const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'tide:alarmThresholds': { queueWaitSeconds: 90 } } });
const stack = new Stack(app, 'Tide');
const handlers: HandlerName[] = [webSocketRoutes.authorizer, 'inbound-message', 'work-changes'];
const tideFunctions = handlers.map((handler) => new TideFunction(stack, handler, { handler, projectRoot, environment: {} }));
const alarmsConstruct = new Alarms(stack, 'Alarms', {
  deadLetterQueues: [{ name: 'DeliveriesDeadLetters', queue: new Queue(stack, 'Deliveries-dlq'), description: 'deliveries failed' }],
  topicArn: topic,
});
new Observability(stack, 'Observability', {
  service: stack.stackName,
  functions: tideFunctions,
  errorsAreAnswers: [tideFunctions[0]!],
  queues: ['default', 'vip'],
  alarms: alarmsConstruct,
  thresholds: alarmThresholdsFromContext(stack.node),
});
const template = Template.fromStack(stack);

type Resource = { Type: string; Properties: Record<string, any> };
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const functions = Object.entries(template.findResources('AWS::Lambda::Function')) as Array<[string, Resource]>;
const service = [{ Name: 'service', Value: 'Tide' }];
/** The metrics a metric-math alarm reads, by their id in its expression. */
const inputsOf = (alarm: Resource) =>
  Object.fromEntries(((alarm.Properties.Metrics ?? []) as Array<{ Id: string; MetricStat?: { Metric: Record<string, unknown>; Stat: string; Period: number } }>).filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!]));
const expressionOf = (alarm: Resource) => (alarm.Properties.Metrics as Array<{ Expression?: string }>).find((m) => m.Expression)?.Expression;
/** The alarms that read `name`, directly or in their metric math. */
const readingMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name || Object.values(inputsOf(a)).some((s) => s.Metric.MetricName === name));

describe('observability: alarms on Tide’s metrics, errors and throttles per function, the dashboard', () => {
  it('every function publishes under the stack’s name (the service dimension the alarms read)', () => {
    expect(functions).toHaveLength(handlers.length);
    for (const [, fn] of functions) {
      expect(fn.Properties.Environment.Variables[environment.metricsService], fn.Properties.Description).toBe('Tide');
    }
  });

  it('SLA breach rate: breaches per 100 inbound messages over 15 minutes, from the totals', () => {
    const [alarm, ...others] = readingMetric(tideMetrics.slaBreaches.name);
    expect(others).toEqual([]);
    const inputs = inputsOf(alarm!);
    expect(inputs.breaches).toEqual({ Metric: { Namespace: metricsNamespace, MetricName: 'SlaBreaches', Dimensions: service }, Stat: 'Sum', Period: 900 });
    expect(inputs.inbound).toEqual({ Metric: { Namespace: metricsNamespace, MetricName: 'InboundMessages', Dimensions: service }, Stat: 'Sum', Period: 900 });
    expect(expressionOf(alarm!)).toBe(`IF(FILL(breaches, 0) >= 3, 100 * FILL(breaches, 0) / MAX([FILL(inbound, 0), FILL(breaches, 0)]), 0)`);
    expect(alarm!.Properties).toMatchObject({ Threshold: defaultAlarmThresholds.slaBreachRatePercent, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('each configured queue: customers waiting past the threshold while agents have room, 3 minutes running', () => {
    const waiting = readingMetric(tideMetrics.agentsWithRoom.name);
    expect(waiting).toHaveLength(2);
    for (const queue of ['default', 'vip']) {
      const alarm = waiting.find((a) => (inputsOf(a).room!.Metric.Dimensions as Array<{ Value: string }>).some((d) => d.Value === queue))!;
      const dims = [{ Name: 'Queue', Value: queue }, ...service];
      expect(inputsOf(alarm).room).toEqual({ Metric: { Namespace: metricsNamespace, MetricName: 'AgentsWithRoom', Dimensions: dims }, Stat: 'Minimum', Period: 60 });
      expect(inputsOf(alarm).wait).toEqual({ Metric: { Namespace: metricsNamespace, MetricName: 'OldestWaitSeconds', Dimensions: dims }, Stat: 'Maximum', Period: 60 });
      // tide:alarmThresholds set 90 s.
      expect(expressionOf(alarm)).toBe('IF(FILL(room, 0) > 0 AND FILL(wait, 0) > 90, 1, 0)');
      expect(alarm.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    }
  });

  it('delivery failures: the failed outcomes of every channel and code (the rollup)', () => {
    const [alarm, ...others] = readingMetric(tideMetrics.deliveryOutcomes.name);
    expect(others).toEqual([]);
    expect(alarm!.Properties).toMatchObject({
      Namespace: metricsNamespace,
      MetricName: 'DeliveryOutcomes',
      Dimensions: [{ Name: 'Outcome', Value: 'failed' }, ...service],
      Statistic: 'Sum',
      Period: 900,
      Threshold: defaultAlarmThresholds.deliveryFailures,
    });
  });

  it('errors and throttles of every function; none on the authorizer’s errors (a refused token is one)', () => {
    const fnAlarms = (metric: string) => alarms.filter((a) => a.Properties.Namespace === 'AWS/Lambda' && a.Properties.MetricName === metric).map((a) => a.Properties.Dimensions[0].Value.Ref as string);
    const tide = functions.filter(([, f]) => String(f.Properties.Description).startsWith('Tide ')).map(([id]) => id);
    const authorizer = functions.find(([, f]) => f.Properties.Description === `Tide ${webSocketRoutes.authorizer}`)![0];
    expect(fnAlarms('Throttles').sort()).toEqual([...tide].sort());
    expect(fnAlarms('Errors').sort()).toEqual(tide.filter((id) => id !== authorizer).sort());
    const errors = alarms.find((a) => a.Properties.MetricName === 'Errors')!;
    expect(errors.Properties).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: defaultAlarmThresholds.functionErrors });
  });

  it('every alarm, the dead-letter queues’ included, tells the topic when it goes off and when it clears', () => {
    expect(alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(alarmsConstruct.alarms).toHaveLength(alarms.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
  });

  it('a dashboard named after the stack shows every Tide metric, the dead letters and the functions', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('Tide');
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const definition of Object.values(tideMetrics)) expect(body, definition.name).toContain(definition.name);
    expect(body).toContain(`SEARCH('{Tide,service,Channel} MetricName=\\\\\\"InboundMessages\\\\\\" service=\\\\\\"Tide\\\\\\"', 'Sum', 300)`);
    expect(body).toContain('{Tide,service,Channel,Outcome,Code}');
    for (const name of ['ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles', 'Duration', 'p99', 'p50', '\\"vip\\"']) expect(body, name).toContain(name);
    expect(body).toContain('"type\\":\\"alarm\\"');
  });
});

describe('tide:alarmThresholds', () => {
  const node = (value: unknown) => new App({ context: value === undefined ? {} : { 'tide:alarmThresholds': value } }).node;

  it('defaults, an object, or its JSON from the command line', () => {
    expect(alarmThresholdsFromContext(node(undefined))).toEqual(defaultAlarmThresholds);
    expect(alarmThresholdsFromContext(node({ functionErrors: 20 }))).toEqual({ ...defaultAlarmThresholds, functionErrors: 20 });
    expect(alarmThresholdsFromContext(node('{"deliveryFailures":1}')).deliveryFailures).toBe(1);
  });

  it('refuses unknown fields and values that cannot work, naming them', () => {
    expect(() => alarmThresholdsFromContext(node({ slaBreachRate: 5 }))).toThrow(AlarmThresholdsError);
    expect(() => alarmThresholdsFromContext(node({ slaBreachRatePercent: 0 }))).toThrow(/slaBreachRatePercent/);
    expect(() => alarmThresholdsFromContext(node('{nope'))).toThrow(/not valid JSON/);
  });
});
