import { deliverMessage } from '../channels/generic/deliver.js';
import { agentActionSchema, type AckFrame, type ErrorFrame } from '../contract/agent-actions.js';
import { closeConversation } from '../conversation/close.js';
import { scheduleFollowUp } from '../conversation/follow-up.js';
import { sendReply } from '../conversation/reply.js';
import { setConversationPriority } from '../conversation/set-priority.js';
import { transferConversation } from '../conversation/transfer.js';
import { isTideError, TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { getConnection } from './connections.js';
import { setAgentStatus } from './set-status.js';

export interface ActionResult {
  /** The ack or error frame for the requesting connection. */
  reply: AckFrame | ErrorFrame;
  /** Work to do once the reply is sent (delivering a reply to the channel). */
  afterReply?: () => Promise<unknown>;
}

/**
 * One WebSocket frame from an agent: identifies the agent from the connection (registered at
 * `$connect` after the token was verified), validates the frame, and performs the action.
 */
export async function performAgentAction(deps: Deps, connectionId: string, rawBody: string | undefined): Promise<ActionResult> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody ?? '');
  } catch {
    return { reply: errorFrame(undefined, new TideError('invalid_request', 'frames are JSON objects')) };
  }
  const requestId = requestIdOf(body);
  const parsed = agentActionSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'invalid frame';
    return { reply: errorFrame(requestId, new TideError('invalid_request', message)) };
  }
  const connection = await getConnection(deps, connectionId);
  if (!connection) return { reply: errorFrame(requestId, new TideError('forbidden', 'unknown connection')) };
  const { agentId } = connection;
  const action = parsed.data;
  const ack = (extra: Record<string, unknown> = {}): AckFrame => ({ type: 'ack', requestId, action: action.action, ...extra });

  try {
    switch (action.action) {
      case 'setStatus': {
        const agent = await setAgentStatus(deps, agentId, action.status);
        return { reply: ack({ status: agent.status }) };
      }
      case 'send': {
        const sent = await sendReply(deps, {
          agentId,
          conversationId: action.conversationId,
          text: action.text,
          requestId,
          closing: action.closing,
        });
        return {
          reply: ack({ conversationId: action.conversationId, messageId: sent.messageId }),
          // A repeated request's reply is already being delivered by the first one.
          afterReply: sent.repeated ? undefined : () => deliverMessage(deps, sent.messageId),
        };
      }
      case 'close':
        await closeConversation(deps, agentId, action.conversationId);
        return { reply: ack({ conversationId: action.conversationId }) };
      case 'transfer': {
        const target = action.queue !== undefined ? { queue: action.queue } : { agentId: action.agentId! };
        await transferConversation(deps, agentId, action.conversationId, target);
        return { reply: ack({ conversationId: action.conversationId }) };
      }
      case 'setPriority': {
        const changed = await setConversationPriority(deps, agentId, action.conversationId, action.priority);
        return { reply: ack({ conversationId: action.conversationId, priority: changed.priority }) };
      }
      case 'sync':
        await pushWorklist(deps, agentId);
        return { reply: ack() };
      case 'followUp': {
        const hidden = await scheduleFollowUp(deps, agentId, action.conversationId, action.at);
        return { reply: ack({ conversationId: action.conversationId, followUpAt: hidden.followUpAt }) };
      }
    }
  } catch (error) {
    if (isTideError(error)) return { reply: errorFrame(requestId, error) };
    logger.error('agent action failed', { action: action.action, agentId, error: (error as Error).name });
    return { reply: { type: 'error', requestId, code: 'internal_error', message: 'something went wrong; try again' } };
  }
}

const requestIdOf = (body: unknown): string | number | undefined => {
  const id = (body as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
};

const errorFrame = (requestId: string | number | undefined, error: TideError): ErrorFrame => ({
  type: 'error',
  requestId,
  code: error.code,
  message: error.message,
});
