import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { tideMetrics } from '../../shared/runtime/metrics.js';
import type { DeadLetterAlarm } from './alarms.js';
import type { TideFunction } from './tide-function.js';
import type { TideMetrics } from './tide-metrics.js';

export interface TideDashboardProps {
  metrics: TideMetrics;
  queues: readonly string[];
  functions: readonly TideFunction[];
  deadLetterQueues: readonly DeadLetterAlarm[];
  alarms: readonly cloudwatch.IAlarm[];
}

/** An alarm status widget shows at most this many alarms. */
const alarmsPerWidget = 100;

/**
 * The stack's CloudWatch dashboard (named after the stack), top to bottom: the alarms; what comes
 * in and what is late (inbound by channel, SLA breaches, delivery outcomes); the queues (routing
 * latency, depth, oldest wait, agents); pushes and timers; dead letters and the functions.
 */
export class TideDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TideDashboardProps) {
    super(scope, id);
    const { metrics, queues } = props;
    const five = Duration.minutes(5);
    const minute = Duration.minutes(1);
    const perQueue = (definition: Parameters<TideMetrics['metric']>[0], statistic: string, period: Duration, suffix = '') =>
      queues.map((Queue) => metrics.metric(definition, { Queue }, { statistic, period, label: `${Queue}${suffix}` }));
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });
    const everyFunction = (title: string, of: (fn: TideFunction) => cloudwatch.IMetric) =>
      graph(title, props.functions.map(of), { legendPosition: cloudwatch.LegendPosition.RIGHT });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', { dashboardName: metrics.service, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms].slice(0, alarmsPerWidget),
        width: 24,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    this.dashboard.addWidgets(
      graph('Inbound messages by channel', [metrics.search(tideMetrics.inboundMessages, { statistic: 'Sum', period: five })]),
      graph('SLA breaches', perQueue(tideMetrics.slaBreaches, 'Sum', five)),
      graph('Delivery outcomes (channel, outcome, code)', [metrics.search(tideMetrics.deliveryOutcomes, { statistic: 'Sum', period: five })]),
    );
    this.dashboard.addWidgets(
      graph('Routing latency p50 / p99 (ms)', [...perQueue(tideMetrics.routingLatency, 'p50', five, ' p50'), ...perQueue(tideMetrics.routingLatency, 'p99', five, ' p99')]),
      graph('Queue depth', perQueue(tideMetrics.queueDepth, 'Maximum', minute)),
      graph('Oldest wait (s); agents online and with room', perQueue(tideMetrics.oldestWait, 'Maximum', minute), {
        right: [...perQueue(tideMetrics.onlineAgents, 'Maximum', minute, ' online'), ...perQueue(tideMetrics.agentsWithRoom, 'Maximum', minute, ' with room')],
      }),
    );
    this.dashboard.addWidgets(
      graph('Push failures', [metrics.metric(tideMetrics.pushFailures, {}, { statistic: 'Sum', period: five })]),
      graph('Timer fires by kind', [metrics.search(tideMetrics.timerFires, { statistic: 'Sum', period: five })]),
      graph(
        'Timer lateness (ms)',
        ['p50', 'p99', 'Maximum'].map((statistic) => metrics.metric(tideMetrics.timerLateness, {}, { statistic, period: five, label: statistic })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queues (messages visible)',
        props.deadLetterQueues.map(({ name, queue }) => queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: minute, label: name })),
      ),
      everyFunction('Function errors', (fn) => fn.fn.metricErrors({ statistic: 'Sum', period: five, label: fn.handler })),
      everyFunction('Function throttles', (fn) => fn.fn.metricThrottles({ statistic: 'Sum', period: five, label: fn.handler })),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function duration p99 (ms)',
        left: props.functions.map((fn) => fn.fn.metricDuration({ statistic: 'p99', period: five, label: fn.handler })),
        width: 24,
        height: 6,
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      }),
    );
  }
}
