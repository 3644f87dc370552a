import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WebhookReply, WebhookRequest } from './channel.js';

/**
 * The webhook as the channel sees it, from API Gateway's event (payload format 2.0): the body
 * base64-decoded when API Gateway encoded it (form posts are), and the route path from the route
 * key, which a stage or a custom domain's base path never changes (`rawPath` may carry either).
 */
export function webhookRequestOf(event: APIGatewayProxyEventV2): WebhookRequest {
  const [method, route] = event.routeKey.split(' ') as ['GET' | 'POST', string];
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method,
    route,
    rawQueryString: event.rawQueryString ?? '',
    headers,
    rawBody: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
  };
}

export const webhookResponse = (reply: WebhookReply): APIGatewayProxyStructuredResultV2 => ({
  statusCode: reply.statusCode,
  headers: { 'content-type': reply.contentType },
  body: reply.body,
});
