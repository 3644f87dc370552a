import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TideStack, tideSettingsFromContext } from './tide-stack.js';

/**
 * The Tide CDK app. Context (cdk.json or `-c`), see `tideSettingsFromContext`:
 * - `tide:config` / `tide:configFile`: the Tide configuration (an invalid one fails synth);
 * - `tide:auth`: how agent JWTs are verified;
 * - `tide:webSocketAccessLogs`: `true` in accounts that have API Gateway's CloudWatch Logs role;
 * - `tide:alarmTopicArn`: an SNS topic (in the stack's region) that every alarm notifies when it
 *   goes off and when it clears; without it the alarms only show in CloudWatch.
 * cdk-nag's AWS Solutions checks run on every synth; a finding fails it unless acknowledged with
 * a reason (`Validations.of(construct).acknowledge`) next to the construct it is about.
 */
const app = new App();
new TideStack(app, 'Tide', {
  description: 'Tide: routes asynchronous customer messaging to human agents',
  settings: tideSettingsFromContext(app),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
