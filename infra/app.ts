import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TideStack, tideSettingsFromContext } from './tide-stack.js';

/**
 * The Tide CDK app. Context (cdk.json or `-c`): `tide:config` / `tide:configFile`, `tide:auth`,
 * `tide:webSocketAccessLogs`; see `tideSettingsFromContext`. An invalid config fails synth.
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
