import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/** JSON access log line; it leaves out the query string, which carries agent tokens. */
export const accessLogFormat = (fields: Record<string, string>) =>
  AccessLogFormat.custom(JSON.stringify({ requestId: '$context.requestId', ...fields }));
