import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct, Node } from 'constructs';
import { z } from 'zod';
import { environment } from '../../shared/runtime/environment.js';
import { tideMetrics } from '../../shared/runtime/metrics.js';
import type { Alarms } from './alarms.js';
import { Concern } from './concern.js';
import { TideDashboard } from './dashboard.js';
import { TideMetrics } from './tide-metrics.js';
import type { TideFunction } from './tide-function.js';

const alarmThresholdsSchema = z.strictObject({
  /** SLA breaches per 100 customer messages over 15 minutes. */
  slaBreachRatePercent: z.number().positive().max(100).default(10),
  /** …and at least this many breaches in those 15 minutes (a quiet hour's one breach is not an incident). */
  slaBreachesAtLeast: z.number().int().min(1).default(3),
  /** Errors of one function in 5 minutes. */
  functionErrors: z.number().int().min(1).default(5),
  /** Throttled invocations of one function in 5 minutes. */
  functionThrottles: z.number().int().min(1).default(1),
  /** A queue's oldest customer has waited longer than this while agents had room, 3 minutes in a row. */
  queueWaitSeconds: z.number().int().min(1).default(60),
  /** Replies refused for good (any channel, any code) in 15 minutes. */
  deliveryFailures: z.number().int().min(1).default(5),
});

/** When the alarms on Tide's metrics go off; context `tide:alarmThresholds` overrides any of them. */
export type AlarmThresholds = z.output<typeof alarmThresholdsSchema>;
export const defaultAlarmThresholds: AlarmThresholds = alarmThresholdsSchema.parse({});

/** Context `tide:alarmThresholds` that cannot be used; the message says which field and why. */
export class AlarmThresholdsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlarmThresholdsError';
  }
}

/** Reads context `tide:alarmThresholds` (an object, or its JSON from `cdk -c`) over `defaultAlarmThresholds`. */
export function alarmThresholdsFromContext(node: Node): AlarmThresholds {
  let value: unknown = node.tryGetContext('tide:alarmThresholds');
  if (value === undefined) return defaultAlarmThresholds;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new AlarmThresholdsError('context tide:alarmThresholds is not valid JSON', { cause: error });
    }
  }
  const parsed = alarmThresholdsSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AlarmThresholdsError(`invalid context tide:alarmThresholds (fields: ${Object.keys(defaultAlarmThresholds).join(', ')}):\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

export interface ObservabilityProps {
  /** The `service` dimension of Tide's metrics: the stack's name. */
  service: string;
  /** Every function: each publishes under `service` and gets error and throttle alarms. */
  functions: readonly TideFunction[];
  /**
   * Functions whose errors are answers, not faults (the `$connect` authorizer throws
   * `Unauthorized` for every refused token): throttle alarms only.
   */
  errorsAreAnswers?: readonly TideFunction[];
  /** The configured queues: an alarm each, for customers waiting while agents have room. */
  queues: readonly string[];
  /** Where the alarms go (their topic) and the dead-letter queues the dashboard shows. */
  alarms: Alarms;
  /** @default defaultAlarmThresholds */
  thresholds?: AlarmThresholds;
}

/**
 * What operators watch: the alarms on Tide's own metrics (SLA breach rate, customers waiting
 * while agents have room, delivery failures), errors and throttles of every function, and the
 * dashboard. The dead-letter alarms are `Alarms`'; every alarm tells its topic.
 */
export class Observability extends Concern {
  readonly dashboard: TideDashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? defaultAlarmThresholds;
    const metrics = new TideMetrics(props.service);
    for (const fn of props.functions) fn.addEnvironment({ [environment.metricsService]: props.service });
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => props.alarms.notify(new cloudwatch.Alarm(this, alarmId, alarmProps));
    const quarter = Duration.minutes(15);

    alarm('SlaBreachRateAlarm', {
      alarmDescription:
        `At least ${thresholds.slaBreachRatePercent} SLA breaches per 100 customer messages in 15 minutes (and ${thresholds.slaBreachesAtLeast} or ` +
        'more): customers wait past their queue\'s SLA. See the dashboard\'s queue depth, oldest wait and agents online; add agents or raise slaSeconds.',
      metric: new cloudwatch.MathExpression({
        expression: `IF(FILL(breaches, 0) >= ${thresholds.slaBreachesAtLeast}, 100 * FILL(breaches, 0) / MAX([FILL(inbound, 0), FILL(breaches, 0)]), 0)`,
        usingMetrics: {
          breaches: metrics.metric(tideMetrics.slaBreaches, {}, { statistic: cloudwatch.Stats.SUM, period: quarter }),
          inbound: metrics.metric(tideMetrics.inboundMessages, {}, { statistic: cloudwatch.Stats.SUM, period: quarter }),
        },
        period: quarter,
        label: 'SLA breaches per 100 inbound messages',
      }),
      threshold: thresholds.slaBreachRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const queue of props.queues) {
      const minute = Duration.minutes(1);
      alarm(`Queue${queue}WaitingWithRoomAlarm`, {
        alarmDescription:
          `Queue ${queue}: a customer has waited more than ${thresholds.queueWaitSeconds} s while agents had room, 3 minutes running. ` +
          'Routing is not placing work it could: see the work-changes and sweep functions\' errors and logs.',
        metric: new cloudwatch.MathExpression({
          expression: `IF(FILL(room, 0) > 0 AND FILL(wait, 0) > ${thresholds.queueWaitSeconds}, 1, 0)`,
          usingMetrics: {
            room: metrics.metric(tideMetrics.agentsWithRoom, { Queue: queue }, { statistic: cloudwatch.Stats.MINIMUM, period: minute }),
            wait: metrics.metric(tideMetrics.oldestWait, { Queue: queue }, { statistic: cloudwatch.Stats.MAXIMUM, period: minute }),
          },
          period: minute,
          label: `${queue}: waiting with agents free`,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    alarm('DeliveryFailuresAlarm', {
      alarmDescription:
        `${thresholds.deliveryFailures} or more replies were refused for good in 15 minutes (any channel). The dashboard's delivery ` +
        'outcomes name the channel and the provider\'s code; the agents saw each one as failed.',
      metric: metrics.metric(tideMetrics.deliveryOutcomes, { Outcome: 'failed' }, { statistic: cloudwatch.Stats.SUM, period: quarter }),
      threshold: thresholds.deliveryFailures,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const quiet = new Set(props.errorsAreAnswers ?? []);
    const five = Duration.minutes(5);
    for (const fn of props.functions) {
      if (!quiet.has(fn)) {
        alarm(`${fn.node.id}ErrorsAlarm`, {
          alarmDescription: `${fn.handler} failed ${thresholds.functionErrors} or more times in 5 minutes (errors and timeouts). See its logs.`,
          metric: fn.fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: five }),
          threshold: thresholds.functionErrors,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
      alarm(`${fn.node.id}ThrottlesAlarm`, {
        alarmDescription:
          `${fn.handler} was throttled ${thresholds.functionThrottles} or more times in 5 minutes: the account's Lambda concurrency is ` +
          'exhausted (raise the quota, or find what else uses it).',
        metric: fn.fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: five }),
        threshold: thresholds.functionThrottles,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.dashboard = new TideDashboard(this, 'Dashboard', {
      metrics,
      queues: props.queues,
      functions: props.functions,
      deadLetterQueues: props.alarms.deadLetterQueues,
      alarms: props.alarms.alarms,
    });
  }
}
