import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Concern } from './concern.js';
import type { TideFunction } from './tide-function.js';

export interface DeadLetterAlarm {
  /** Construct id of the alarm, e.g. `StreamFailures`. */
  name: string;
  queue: sqs.IQueue;
  /** What a message there means and what to do, for whoever is paged. */
  description: string;
}

export interface AlarmsProps {
  /** Queues where work ends that Tide gave up on: one message is already worth a look. */
  deadLetterQueues: readonly DeadLetterAlarm[];
  /**
   * Stream consumers: an alarm when one falls behind its stream for minutes (a batch failing
   * again and again), long before its records reach StreamFailures.
   */
  streamConsumers?: readonly TideFunction[];
  /**
   * @default 5 minutes
   */
  iteratorAgeThreshold?: Duration;
  /**
   * An SNS topic (context `tide:alarmTopicArn`, same region as the stack) told when an alarm
   * goes off and when it clears.
   * @default - the alarms only show in CloudWatch
   */
  topicArn?: string;
}

/**
 * Tide's CloudWatch alarms: every dead-letter queue, and stream consumers that fall behind; the
 * alarms on Tide's own metrics join them through `notify` (./observability.ts), so that every
 * alarm tells the one topic.
 */
export class Alarms extends Concern {
  readonly #alarms: cloudwatch.Alarm[] = [];
  readonly #action?: SnsAction;
  readonly deadLetterQueues: readonly DeadLetterAlarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.deadLetterQueues = props.deadLetterQueues;
    if (props.topicArn) this.#action = new SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', props.topicArn));
    const alarms: cloudwatch.Alarm[] = [];
    for (const { name, queue, description } of props.deadLetterQueues) {
      alarms.push(
        new cloudwatch.Alarm(this, `${name}Alarm`, {
          alarmDescription: description,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          // SQS publishes queue metrics every minute, so missing data is a metrics gap, not a message.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const threshold = props.iteratorAgeThreshold ?? Duration.minutes(5);
    for (const consumer of props.streamConsumers ?? []) {
      alarms.push(
        new cloudwatch.Alarm(this, `${consumer.node.id}IteratorAgeAlarm`, {
          alarmDescription:
            `${consumer.handler} is more than ${threshold.toHumanString()} behind its stream: a batch keeps failing ` +
            '(its follow-ups wait) and after the mapping\'s maximum record age it is given up on (StreamFailures). ' +
            'See the function\'s logs.',
          metric: consumer.fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: threshold.toMilliseconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Five minutes in a row: a single slow batch is not an incident.
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          // The metric exists only while the function is invoked; an idle stream is not behind.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const alarm of alarms) this.notify(alarm);
  }

  /** Every alarm of the stack, those `notify` added included. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return this.#alarms;
  }

  /** Makes `alarm` one of Tide's: it tells the topic, if any, when it goes off and when it clears. */
  notify(alarm: cloudwatch.Alarm): void {
    this.#alarms.push(alarm);
    if (this.#action) {
      alarm.addAlarmAction(this.#action);
      alarm.addOkAction(this.#action);
    }
  }
}
