import { Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { accessLogFormat } from './access-logs.js';
import { Concern } from './concern.js';
import type { TideFunction } from './tide-function.js';

export interface ChannelRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The function behind the route (one integration per function, however many routes). */
  handler: TideFunction;
}

export interface ChannelApiProps {
  /** The webhook routes (`httpRoutes` in shared/contract/routes.ts). */
  routes: readonly ChannelRoute[];
  /** @default - `<stack name>-channels` */
  apiName?: string;
}

/**
 * The channels' HTTP API (payload format 2.0, the `$default` stage with JSON access logs). Its
 * routes have no authorizer: providers sign the body, which only the function sees.
 */
export class ChannelApi extends Concern {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: ChannelApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'ChannelsApi', {
      apiName: props.apiName ?? `${Stack.of(this).stackName}-channels`,
      description: 'Tide channel webhooks',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ChannelsApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stage = new apigw.HttpStage(this, 'ChannelsApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: accessLogFormat({
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
    const integrations = new Map<TideFunction, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        integration = new HttpLambdaIntegration(route.handler.node.id, route.handler.fn);
        integrations.set(route.handler, integration);
      }
      const [created] = this.api.addRoutes({ path: route.path, methods: [apigw.HttpMethod[route.method]], integration });
      Validations.of(created!).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Channel webhook: the caller is a messaging provider that authenticates by signing the body ' +
          '(HMAC), and an HTTP API authorizer never sees the body, so the integration function verifies ' +
          'the signature before acting.',
      });
    }
  }

  /** The stage's base URL. */
  get url(): string {
    return this.stage.url;
  }
}
