import { Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { environment } from '../../shared/runtime/environment.js';
import { accessLogFormat } from './access-logs.js';
import { Concern, logicalIdOf } from './concern.js';
import { applyRouteThrottling, defaultWebSocketThrottling, type StageThrottling } from './throttling.js';
import type { TideFunction } from './tide-function.js';

export interface AgentSocketApiProps {
  /** Checks the agent's JWT at `$connect`. */
  authorizer: TideFunction;
  /** Query-string parameter that carries the JWT (browsers cannot set headers on a WebSocket). */
  tokenQueryParameter: string;
  connect: TideFunction;
  disconnect: TideFunction;
  /** Every action route and `$default`. */
  actions: TideFunction;
  /** Route keys of the actions (selected on `$request.body.action`), including `$default`. */
  actionRouteKeys: readonly string[];
  /**
   * Functions that post to agent connections: they get the management endpoint
   * (WS_MANAGEMENT_ENDPOINT) and execute-api:ManageConnections on this stage's connections.
   */
  pushers: readonly TideFunction[];
  /**
   * Access logs on the stage. They need the account-wide API Gateway CloudWatch Logs role, which
   * this stack must not own (context `tide:webSocketAccessLogs`).
   */
  accessLogs: boolean;
  /**
   * Messages (and connections) a second for the stage, and for route keys that differ
   * (`$connect`, `send`, …). @default - `defaultWebSocketThrottling()`
   */
  throttling?: StageThrottling;
  /** @default - `<stack name>-agents` */
  apiName?: string;
}

/**
 * The agents' WebSocket API (stage `live`, throttled, per route where a route differs): a Lambda
 * authorizer on `$connect`, `$connect`, `$disconnect` and the action routes, and push access for
 * the functions that post frames.
 */
export class AgentSocketApi extends Concern {
  readonly api: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;

  constructor(scope: Construct, id: string, props: AgentSocketApiProps) {
    super(scope, id);
    this.api = new apigw.WebSocketApi(this, 'AgentsApi', {
      apiName: props.apiName ?? `${Stack.of(this).stackName}-agents`,
      description: 'Tide agent connections',
      routeSelectionExpression: '$request.body.action',
    });
    const accessLogs = props.accessLogs
      ? new logs.LogGroup(this, 'AgentsApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH })
      : undefined;
    const throttling = props.throttling ?? defaultWebSocketThrottling();
    this.stage = new apigw.WebSocketStage(this, 'AgentsApiStage', {
      webSocketApi: this.api,
      stageName: 'live',
      autoDeploy: true,
      throttle: throttling.stage,
      accessLogSettings: accessLogs && {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: accessLogFormat({
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          eventType: '$context.eventType',
          status: '$context.status',
          connectionId: '$context.connectionId',
          agentId: '$context.authorizer.agentId',
          authorizerError: '$context.authorizer.error',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
    if (!accessLogs) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason:
          'WebSocket access logging needs the account-wide API Gateway CloudWatch Logs role ' +
          '(AWS::ApiGateway::Account), a per-account singleton this stack must not own; without it the ' +
          'stage fails to deploy. Set context tide:webSocketAccessLogs=true in accounts that have it.',
      });
    }

    const authorizer = new WebSocketLambdaAuthorizer('AgentTokenAuthorizer', props.authorizer.fn, {
      identitySource: [`route.request.querystring.${props.tokenQueryParameter}`],
    });
    const connect = this.api.addRoute('$connect', {
      integration: new WebSocketLambdaIntegration('Connect', props.connect.fn),
      authorizer,
    });
    const afterConnect = [
      this.api.addRoute('$disconnect', { integration: new WebSocketLambdaIntegration('Disconnect', props.disconnect.fn) }),
    ];
    const actions = new WebSocketLambdaIntegration('AgentAction', props.actions.fn);
    for (const routeKey of props.actionRouteKeys) afterConnect.push(this.api.addRoute(routeKey, { integration: actions }));
    applyRouteThrottling(this.stage, throttling, new Map([connect, ...afterConnect].map((route) => [route.routeKey, route])));
    for (const route of afterConnect) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'WebSocket APIs authorize only at $connect (API Gateway supports no authorizer on other routes); ' +
          'this route runs on a connection the $connect authorizer already accepted, and the handler acts ' +
          'as the agent registered for that connection id.',
      });
    }

    for (const pusher of props.pushers) this.grantPush(pusher);
  }

  /** The management API base URL pushes go to. */
  get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }

  /** Lets a function post to (and end) this stage's connections, and tells it where. */
  grantPush(target: TideFunction): void {
    target.addEnvironment({ [environment.managementEndpoint]: this.managementEndpoint });
    this.stage.grantManagementApiAccess(target.fn);
    Validations.of(target).acknowledge({
      id:
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:' +
        `<${logicalIdOf(this.api)}>/${this.stage.stageName}/*/@connections/*]`,
      reason:
        'Pushes to agent connections: connection ids are created at runtime, so the resource is every ' +
        `connection of this API's ${this.stage.stageName} stage and nothing else.`,
    });
  }
}
