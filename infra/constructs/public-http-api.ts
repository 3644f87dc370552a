import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { HttpRoute } from '../../shared/contract/routes.js';
import { accessLogFormat } from './access-logs.js';
import { Concern } from './concern.js';
import { applyRouteThrottling, defaultHttpThrottling, httpRouteKey, type StageThrottling } from './throttling.js';
import type { TideFunction } from './tide-function.js';

export interface PublicHttpRoute extends Omit<HttpRoute, 'handler'> {
  /** The function behind the route (one integration per function, however many routes). */
  handler: TideFunction;
}

export interface PublicHttpApiProps {
  /** The routes (`httpRoutes` in shared/contract/routes.ts): channel webhooks and the console's APIs. */
  routes: readonly PublicHttpRoute[];
  /**
   * Origins (`https://console.example.com`) whose pages may call the bearer-token APIs from a
   * browser: API Gateway answers their CORS preflight. None: no CORS (same-origin callers only).
   */
  corsOrigins?: readonly string[];
  /**
   * Requests a second (and at once) for the stage and for routes that differ, keyed by route key
   * (`POST /v1/messages`). @default - `defaultHttpThrottling(routes)`
   */
  throttling?: StageThrottling;
  /** @default - `<stack name>-channels` */
  apiName?: string;
}

/** Why a route has no API Gateway authorizer: each is checked in its function, for a reason. */
const unauthorizedReason: Record<HttpRoute['auth'], string> = {
  signature:
    'Channel webhook: the caller is a messaging provider that authenticates by signing the body ' +
    '(HMAC), and an HTTP API authorizer never sees the body, so the integration function verifies ' +
    'the signature before acting.',
  bearer:
    'Console API: the function verifies the Authorization bearer JWT (issuer JWKS, audience, expiry, ' +
    'role claim) with the same code as the WebSocket authorizer, and authorises by role and ownership; ' +
    'doing it in the function keeps the local stack and AWS on one code path.',
};

/**
 * Tide's public HTTP API (payload format 2.0, the `$default` stage with JSON access logs and
 * throttling, per route where a route differs): the channels' webhooks and the console's history
 * and administration APIs. AWS WAF cannot be attached to an HTTP API (docs/decisions.md, "Deploy
 * hardening"). No route has an API
 * Gateway authorizer (see `unauthorizedReason`). Construct ids keep their `Channels…` names: the
 * API and its stage are known to CloudFormation by them, and a new id would mean a new URL.
 */
export class PublicHttpApi extends Concern {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: PublicHttpApiProps) {
    super(scope, id);
    const origins = props.corsOrigins ?? [];
    this.api = new apigw.HttpApi(this, 'ChannelsApi', {
      apiName: props.apiName ?? `${Stack.of(this).stackName}-channels`,
      description: 'Tide channel webhooks and console APIs',
      createDefaultStage: false,
      // API Gateway answers the preflight and adds the CORS headers to every answer.
      corsPreflight: origins.length
        ? {
            allowOrigins: [...origins],
            allowHeaders: ['Authorization', 'Content-Type'],
            allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.PUT, apigw.CorsHttpMethod.DELETE],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    const accessLogs = new logs.LogGroup(this, 'ChannelsApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const throttling = props.throttling ?? defaultHttpThrottling(props.routes);
    this.stage = new apigw.HttpStage(this, 'ChannelsApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: throttling.stage,
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
    const byKey = new Map<string, apigw.HttpRoute>();
    for (const route of props.routes) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        integration = new HttpLambdaIntegration(route.handler.node.id, route.handler.fn);
        integrations.set(route.handler, integration);
      }
      const [created] = this.api.addRoutes({ path: route.path, methods: [apigw.HttpMethod[route.method]], integration });
      Validations.of(created!).acknowledge({ id: 'AwsSolutions-APIG4', reason: unauthorizedReason[route.auth] });
      byKey.set(httpRouteKey(route), created!);
    }
    applyRouteThrottling(this.stage, throttling, byKey);
  }

  /** The stage's base URL. */
  get url(): string {
    return this.stage.url;
  }
}
