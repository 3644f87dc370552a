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
  /** Local stack only: DynamoDB endpoint override (DynamoDB Local). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;
