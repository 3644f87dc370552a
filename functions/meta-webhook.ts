import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { metaChannel } from '../shared/channels/meta/channel.js';
import { webhookRequestOf, webhookResponse } from '../shared/channels/webhook-event.js';
import { errorResponse } from '../shared/contract/http-responses.js';
import { receiveWebhook } from '../shared/conversation/receive-webhook.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/** Meta's webhooks (DESIGN §4b): answered only once what they carry is stored. */
export const handler = observed(deps, async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const { reply } = await receiveWebhook(deps, metaChannel, webhookRequestOf(event));
    return webhookResponse(reply);
  } catch (error) {
    return errorResponse(error);
  }
});
