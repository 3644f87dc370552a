import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { environment } from '../../shared/runtime/environment.js';
import { Concern, logicalIdOf, resourceNameIgnoringConcerns } from './concern.js';
import { deadLetterQueue } from './queues.js';
import type { TideFunction } from './tide-function.js';

export interface TimersProps {
  /**
   * The function every schedule invokes (`timer-fired`). It must have a fixed name: schedules
   * carry its ARN, so it is known before the function exists and stays valid if it is replaced.
   */
  target: TideFunction;
  /**
   * Functions that create schedules: they get the timer settings (group, target, role and
   * dead-letter ARNs), scheduler:CreateSchedule in Tide's group and iam:PassRole on the role.
   */
  arming: readonly TideFunction[];
  /** Functions that run failed fires again: they get the queue's URL, ReceiveMessage and DeleteMessage. */
  redrivers: readonly TideFunction[];
}

/**
 * Tide's timers: one-time EventBridge Scheduler schedules in Tide's own schedule group, invoking
 * the target with the role Scheduler assumes. A fire that never ran ends in one queue,
 * TimerFailures (alarmed on, redriven by the sweep), from either side: Scheduler could not invoke
 * (the schedule's DeadLetterConfig, set at runtime from TIMER_DLQ_ARN), or the function failed
 * its asynchronous attempts (its on-failure destination).
 *
 * Pending schedules name the group, the role and the queue: their ids are the ones they had
 * before this construct existed (it is a `Concern`), so a deployment never replaces them.
 */
export class Timers extends Concern {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  /** TimerFailures (shared/contract/routes.ts `timerFailuresQueue`). */
  readonly failures: sqs.Queue;
  readonly targetArn: string;

  constructor(scope: Construct, id: string, props: TimersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { target } = props;
    if (!target.functionName) throw new Error(`the timer target ${target.handler} needs a fixed function name`);
    this.targetArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: target.functionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.group = new scheduler.ScheduleGroup(this, 'Timers', {
      scheduleGroupName: resourceNameIgnoringConcerns(this, 'Timers', { maxLength: 64, separator: '-' }),
    });
    // The id predates the name TimerFailures; a new id would be a new queue.
    this.failures = deadLetterQueue(
      this,
      'TimerDeadLetters',
      'the timer schedules (Target.DeadLetterConfig, set at runtime) and of the timer function (on-failure destination); ' +
        'the sweep redrives it',
    );
    this.role = new iam.Role(this, 'TimerSchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to deliver Tide timers',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.failures.grantSendMessages(this.role);

    target.fn.grantInvoke(this.role);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(target.fn)}.Arn>:*]`,
      reason: 'Added by grantInvoke: versions and aliases of the one timer-fired function (the target of every timer).',
    });
    // Scheduler invokes asynchronously: Lambda retries twice, then keeps the event in TimerFailures.
    target.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failures),
    });

    const settings = {
      [environment.timerGroup]: this.group.scheduleGroupName,
      [environment.timerTargetArn]: this.targetArn,
      [environment.timerRoleArn]: this.role.roleArn,
      [environment.timerDeadLetterArn]: this.failures.queueArn,
    };
    const groupName = this.group.scheduleGroupName;
    for (const fn of props.arming) {
      fn.addEnvironment(settings);
      fn.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['scheduler:CreateSchedule'],
          resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${groupName}/*` })],
        }),
      );
      fn.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      Validations.of(fn).acknowledge({
        id:
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/' +
          `${Token.isUnresolved(groupName) ? `<${logicalIdOf(this.group)}>` : groupName}/*]`,
        reason:
          'Creates one-time timer schedules whose names are made at runtime (conversation or agent id plus a ' +
          "generation); only in Tide's own schedule group, and only CreateSchedule.",
      });
    }

    for (const fn of props.redrivers) {
      this.failures.grant(fn.fn, 'sqs:ReceiveMessage', 'sqs:DeleteMessage');
      fn.addEnvironment({ [environment.timerDeadLetterUrl]: this.failures.queueUrl });
    }
  }
}
