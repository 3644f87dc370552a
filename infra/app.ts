import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { applyEnvironmentFile, DeploySettingsError, TideStack, tideSettingsFromContext, UnworkableDeploymentError } from './tide-stack.js';
import { ThrottlingSettingsError } from './constructs/throttling.js';

/**
 * The Tide CDK app. Context (cdk.json, `-c`, or the stage's file `environments/<stage>.json`), see
 * `tideSettingsFromContext` and docs/deploy.md:
 * - `tide:stage`: the environment (`dev` unless said; every other stage is production) and
 *   `tide:stackName` (`Tide`, or `Tide-<stage>`);
 * - `tide:config` / `tide:configFile`: the Tide configuration (an invalid one fails synth);
 * - `tide:auth`: how agent JWTs are verified (required outside stage dev);
 * - `tide:webSocketAccessLogs`: `true` in accounts that have API Gateway's CloudWatch Logs role;
 * - `tide:alarmTopicArn`: an SNS topic (in the stack's region) that every alarm notifies when it
 *   goes off and when it clears; without it the alarms only show in CloudWatch;
 * - `tide:httpThrottle`, `tide:webSocketThrottle`, `tide:consoleWebAclArn`,
 *   `tide:secretRotationGraceHours`, `tide:console`, `tide:corsOrigins`.
 * A configuration that cannot work (no channel; no agent and no way to add one; production
 * without tide:auth) fails synth with what to change, and only that is printed.
 * cdk-nag's AWS Solutions checks run on every synth; a finding fails it unless acknowledged with
 * a reason (`Validations.of(construct).acknowledge`) next to the construct it is about.
 */
const app = new App();
try {
  applyEnvironmentFile(app);
  const settings = tideSettingsFromContext(app);
  new TideStack(app, settings.stackName, {
    description: `Tide (${settings.stage}): routes asynchronous customer messaging to human agents`,
    settings,
  });
} catch (error) {
  // The settings' own messages say what to fix; a stack trace would only bury them.
  if (![UnworkableDeploymentError, DeploySettingsError, ThrottlingSettingsError].some((kind) => error instanceof kind)) throw error;
  console.error(`\n${(error as Error).message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
