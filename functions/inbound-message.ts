import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { genericChannel } from '../shared/channels/generic/channel.js';
import { webhookRequestOf } from '../shared/channels/webhook-event.js';
import { errorResponse, json } from '../shared/contract/http-responses.js';
import { receiveMessage } from '../shared/conversation/receive-message.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * `POST /v1/messages`: the generic channel's webhook (DESIGN §4). Unlike the providers' webhooks
 * it carries exactly one message and answers with its ids (202, or 200 for a duplicate).
 */
export const handler = observed(deps, async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const { items } = await genericChannel.parseWebhook(deps, webhookRequestOf(event));
    const [item] = items;
    if (item?.kind !== 'message') throw new Error('the generic channel parses one message per request');
    const received = await receiveMessage(deps, item.message);
    return json(received.duplicate ? 200 : 202, { conversationId: received.conversationId, messageId: received.messageId });
  } catch (error) {
    return errorResponse(error);
  }
});
