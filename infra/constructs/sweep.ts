import type { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { Concern } from './concern.js';
import type { TideFunction } from './tide-function.js';

export interface SweepProps {
  /** The sweep handler. */
  handler: TideFunction;
  /** Whole minutes (an EventBridge rate). */
  every: Duration;
}

/**
 * Runs the routing safety net on a fixed rate. No retries: the next run comes within the
 * interval and does the same work.
 */
export class Sweep extends Concern {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SweepProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'SweepSchedule', {
      description: 'Tide routing safety net: lost wake-ups, drifted agent loads, failed timer fires',
      schedule: events.Schedule.rate(props.every),
      targets: [new targets.LambdaFunction(props.handler.fn, { retryAttempts: 0 })],
    });
  }
}
