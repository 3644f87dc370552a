import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';
import { environment } from '../runtime/environment.js';

/** What a timer carries to the `timer-fired` handler. */
export type TimerPayload =
  | { kind: 'conversation'; conversationId: string; gen: number }
  | { kind: 'presence'; agentId: string; gen: number }
  | { kind: 'ramp'; agentId: string; onlineSince: string };

/** Schedule names: `[0-9a-zA-Z-_.]{1,64}`; the generation keeps each arming's name unique. */
export const conversationTimerName = (conversationId: string, gen: number) => `${conversationId}.${gen}`.slice(-64);

/** Creates one-time timers. Creating the same name twice is a no-op (a retried invocation). */
export interface TimerScheduler {
  schedule(name: string, at: Date, payload: TimerPayload): Promise<void>;
}

export interface SchedulerSettings {
  groupName: string;
  targetArn: string;
  roleArn: string;
  deadLetterArn?: string;
  endpoint?: string;
}

export function schedulerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SchedulerSettings | undefined {
  const groupName = env[environment.timerGroup];
  const targetArn = env[environment.timerTargetArn];
  const roleArn = env[environment.timerRoleArn];
  if (!groupName || !targetArn || !roleArn) return undefined;
  return { groupName, targetArn, roleArn, deadLetterArn: env[environment.timerDeadLetterArn] || undefined, endpoint: env[environment.schedulerEndpoint] || undefined };
}

/** `at()` takes whole seconds; rounding up means a timer never fires before its deadline. */
export const atExpression = (at: Date) => `at(${new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString().slice(0, 19)})`;

/**
 * EventBridge Scheduler one-time schedules that invoke the `timer-fired` function and delete
 * themselves after running. Scheduler retries delivery and sends what it cannot deliver to the DLQ.
 */
export function eventBridgeScheduler(settings: SchedulerSettings, env: NodeJS.ProcessEnv = process.env): TimerScheduler {
  const client = withoutSdkLogging(new SchedulerClient(clientConfig(settings.endpoint, env)));
  return {
    async schedule(name, at, payload) {
      // A deadline already passed (or about to) still gets a schedule a second ahead, rather than
      // an `at()` in the past, which Scheduler may refuse.
      const when = new Date(Math.max(at.getTime(), Date.now() + 1_000));
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: name,
            GroupName: settings.groupName,
            ScheduleExpression: atExpression(when),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Target: {
              Arn: settings.targetArn,
              RoleArn: settings.roleArn,
              Input: JSON.stringify(payload),
              RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3_600 },
              ...(settings.deadLetterArn ? { DeadLetterConfig: { Arn: settings.deadLetterArn } } : {}),
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
    },
  };
}
