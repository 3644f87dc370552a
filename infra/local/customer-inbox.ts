/**
 * The customer's side of the generic channel, locally (the `/customer` page): a newcomer writes as
 * a customer and sees the agents' replies, and no reply silently goes nowhere.
 *
 * When the local config's generic channel names no `outboundUrl`, replies are delivered here:
 *
 *   POST /dev/customer/outbox     the channel's outbound webhook, checked as any receiver must
 *                                 (X-Tide-Signature over the raw body; dedupe by messageId)
 *   GET  /dev/customer/messages?from=<id>   that customer's thread (their messages and the replies)
 *   POST /dev/customer/messages   {from, name?, text, id?}: signed here with the channel's secret
 *                                 and handed to POST /v1/messages (the page never sees the secret)
 *
 * A configured `outboundUrl` is left alone: the page still sends, and says where replies go.
 * Local only, like /dev/token: the deployed stack has none of these routes. Threads are kept in
 * memory (the local stack's DynamoDB is in memory too).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { isValidSignature, sign, signatureHeader } from '../../shared/channels/generic/signature.js';
import { maxTextCharacters } from '../../shared/channels/generic/inbound-request.js';
import type { TideConfig } from '../../shared/config/schema.js';
import { json } from '../../shared/contract/http-responses.js';
import { webhookRequestOf } from '../../shared/channels/webhook-event.js';
import type { HttpGatewayRoute } from './http-gateway.js';

export const customerInboxPaths = { outbox: '/dev/customer/outbox', messages: '/dev/customer/messages' } as const;

export interface ThreadMessage {
  /** Tide's message id. */
  id: string;
  /** `in`: the customer wrote it; `out`: an agent's reply delivered here. */
  direction: 'in' | 'out';
  text: string;
  at: string;
  conversationId: string;
}

export interface CustomerInbox {
  /** The configuration the handlers get: the generic channel's replies come here when it named no outboundUrl. */
  config: TideConfig;
  /** False when the config names its own outboundUrl (replies go there, not to this page). */
  receivesReplies: boolean;
  routes: HttpGatewayRoute[];
}

/** Messages kept per customer; older ones are forgotten (a local page, not an archive). */
const threadLimit = 1_000;

const outboundSchema = z.object({
  conversationId: z.string().min(1),
  messageId: z.string().min(1),
  to: z.string().min(1),
  text: z.string(),
});

const customerMessageSchema = z.strictObject({
  from: z.string().trim().min(1).max(256),
  name: z.string().trim().min(1).max(256).optional(),
  text: z.string(),
  /** The page's id for this message: a retry of the same send is stored once (it becomes the externalId). */
  id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/).optional(),
  queue: z.string().min(1).max(64).optional(),
});

const fail = (status: number, code: string, message: string) => json(status, { error: { code, message } });

/**
 * The inbox for a local stack serving HTTP at `baseUrl`, or undefined when the config has no
 * generic channel with a literal secret (nothing to sign with; the stack then runs without it).
 */
export function customerInbox(config: TideConfig, options: { baseUrl: string }): CustomerInbox | undefined {
  const channel = config.channels.generic;
  const secret = channel?.secret;
  if (!channel || !secret) return undefined;
  const receivesReplies = channel.outboundUrl === undefined;
  const handlerConfig: TideConfig = receivesReplies
    ? { ...config, channels: { ...config.channels, generic: { ...channel, outboundUrl: `${options.baseUrl}${customerInboxPaths.outbox}` } } }
    : config;

  const threads = new Map<string, { messages: ThreadMessage[]; ids: Set<string> }>();
  const keep = (customer: string, message: ThreadMessage): boolean => {
    let thread = threads.get(customer);
    if (!thread) threads.set(customer, (thread = { messages: [], ids: new Set() }));
    if (thread.ids.has(message.id)) return false;
    thread.ids.add(message.id);
    thread.messages.push(message);
    thread.messages.sort((a, b) => a.at.localeCompare(b.at));
    while (thread.messages.length > threadLimit) thread.ids.delete(thread.messages.shift()!.id);
    return true;
  };

  /** The channel's outbound webhook: exactly what a real receiver must do. */
  const receive = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = webhookRequestOf(event);
    if (!isValidSignature(secret, request.rawBody, request.headers[signatureHeader])) {
      return fail(401, 'invalid_signature', 'X-Tide-Signature is missing or does not match the body');
    }
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      return fail(400, 'invalid_request', 'the body is not JSON');
    }
    const reply = outboundSchema.safeParse(body);
    if (!reply.success) return fail(400, 'invalid_request', 'expected {conversationId, messageId, to, text}');
    // Delivery is at least once: a repeat is answered 2xx (delivered) and kept once.
    keep(reply.data.to, { id: reply.data.messageId, direction: 'out', text: reply.data.text, at: new Date().toISOString(), conversationId: reply.data.conversationId });
    return { statusCode: 204 };
  };

  const thread = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const from = event.queryStringParameters?.from?.trim();
    if (!from) return fail(400, 'invalid_request', 'say whose thread: ?from=<customer id>');
    return withNoStore(json(200, { customer: from, receivesReplies, messages: threads.get(from)?.messages ?? [] }));
  };

  /** Signs the customer's message server-side and hands it to the real inbound route. */
  const send = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    let input: unknown;
    try {
      input = JSON.parse(webhookRequestOf(event).rawBody.toString('utf8'));
    } catch {
      return fail(400, 'invalid_request', 'the body is not JSON');
    }
    const parsed = customerMessageSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(400, 'invalid_request', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { from, name, text, id, queue } = parsed.data;
    if ([...text].length > maxTextCharacters) return fail(400, 'invalid_request', `text is at most ${maxTextCharacters} characters`);
    const at = new Date().toISOString();
    const body = JSON.stringify({ externalId: `customer-page-${id ?? randomUUID()}`, from, text, ...(name ? { name } : {}), ...(queue ? { queue } : {}) });
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [signatureHeader]: sign(secret, body) },
        body,
      });
    } catch {
      return fail(502, 'unavailable', 'the inbound route did not answer');
    }
    const answer = (await response.json().catch(() => ({}))) as { conversationId?: string; messageId?: string };
    if ((response.status === 200 || response.status === 202) && answer.conversationId && answer.messageId) {
      keep(from, { id: answer.messageId, direction: 'in', text, at, conversationId: answer.conversationId });
    }
    // The inbound route's own answer: 202 accepted, 200 a repeat, 400 for its rules (empty text, unknown queue).
    return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) };
  };

  return {
    config: handlerConfig,
    receivesReplies,
    routes: [
      // Only when replies come here: a configured outboundUrl gets no stand-in.
      ...(receivesReplies ? [{ method: 'POST' as const, path: customerInboxPaths.outbox, invoke: receive }] : []),
      { method: 'GET', path: customerInboxPaths.messages, invoke: thread },
      { method: 'POST', path: customerInboxPaths.messages, invoke: send },
    ],
  };
}

const withNoStore = (result: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 => ({
  ...result,
  headers: { ...result.headers, 'cache-control': 'no-store' },
});
