/**
 * Environment variables the handlers read, besides the table names declared in
 * shared/storage/tables.ts. The CDK stack and the local stack both set exactly these.
 */
export const environment = {
  /** The validated Tide configuration (queues, channels) as JSON; see shared/config/schema.ts. */
  config: 'TIDE_CONFIG_JSON',
  /** Base URL of the WebSocket management API (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  managementEndpoint: 'WS_MANAGEMENT_ENDPOINT',
  /** Where agent tokens' signing keys are published (JWKS). */
  jwksUrl: 'TOKEN_JWKS_URL',
  tokenIssuer: 'TOKEN_ISSUER',
  tokenAudience: 'TOKEN_AUDIENCE',
  /** Claim that carries the role (`agent` | `supervisor` | `admin`); default `role`. */
  tokenRoleClaim: 'TOKEN_ROLE_CLAIM',
  /** Comma-separated JWT algorithms tokens may use (shared/auth/agent-token.ts); default `RS256,ES256`. */
  tokenAlgorithms: 'TOKEN_ALGORITHMS',
  /** How long after a rotation a channel secret's previous version still verifies webhooks (shared/channels/secrets.ts). */
  secretGraceSeconds: 'CHANNEL_SECRET_GRACE_SECONDS',
  /** EventBridge Scheduler: the schedule group timers are created in. */
  timerGroup: 'TIMER_SCHEDULE_GROUP',
  /** ARN of the `timer-fired` function that schedules invoke. */
  timerTargetArn: 'TIMER_TARGET_ARN',
  /** Role Scheduler assumes to invoke the target (passed with iam:PassRole). */
  timerRoleArn: 'TIMER_ROLE_ARN',
  /** Queue for timer fires Scheduler could not deliver. */
  timerDeadLetterArn: 'TIMER_DLQ_ARN',
  /** The SQS queue outbound messages wait in for delivery. */
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  /** The SQS queue of delayed second routing passes (shared/routing/rechecks.ts). */
  recheckQueueUrl: 'RECHECK_QUEUE_URL',
  /** The SQS queue of timer fires Scheduler could not deliver (redriven by the sweep). */
  timerDeadLetterUrl: 'TIMER_DLQ_URL',
  /** The `service` dimension of every metric: the stack's name (shared/runtime/metrics.ts). */
  metricsService: 'TIDE_METRICS_SERVICE',
  /** Local stack only: the SQS emulator. */
  sqsEndpoint: 'SQS_ENDPOINT',
  /** Local stack only: the Secrets Manager emulator. */
  secretsEndpoint: 'SECRETS_ENDPOINT',
  /** Local stack only: the Scheduler emulator. */
  schedulerEndpoint: 'SCHEDULER_ENDPOINT',
  /** Local stack only: DynamoDB endpoint override (DynamoDB Local). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;
