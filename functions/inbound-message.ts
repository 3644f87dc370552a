import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { channelSecret } from '../shared/channels/generic/channel-secret.js';
import { parseGenericInbound } from '../shared/channels/generic/inbound-request.js';
import { signatureHeader } from '../shared/channels/generic/signature.js';
import { errorResponse, json } from '../shared/contract/http-responses.js';
import { receiveMessage } from '../shared/conversation/receive-message.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';

const deps = depsFromEnv();

/** `POST /v1/messages`: the generic channel's webhook (DESIGN §4). */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const secret = await channelSecret(deps);
    const message = parseGenericInbound(deps.config, secret, { rawBody, signature: event.headers[signatureHeader] });
    const received = await receiveMessage(deps, message);
    const ids = { conversationId: received.conversationId, messageId: received.messageId };
    return json(received.duplicate ? 200 : 202, ids);
  } catch (error) {
    return errorResponse(error);
  }
};
