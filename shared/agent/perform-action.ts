import { agentActionSchema, type AckFrame, type AgentAction, type ErrorFrame } from '../contract/agent-actions.js';
import {
  closeConversation,
  scheduleFollowUp,
  sendReply,
  setConversationPriority,
  transferConversation,
} from '../conversation/commands.js';
import { isTideError, TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { getConnection } from './connections.js';
import { recallAnswer, rememberAnswer, requestKey } from './request-log.js';
import { setAgentStatus } from './set-status.js';

/**
 * One WebSocket frame from an agent: identifies the agent from the connection (registered at
 * `$connect` after the token was verified), validates the frame, and performs the action. The
 * answer is an ack or an error frame for the requesting connection. A request with a
 * `requestId` that was already answered in the last 10 minutes gets the same answer again.
 */
export async function performAgentAction(deps: Deps, connectionId: string, rawBody: string | undefined): Promise<AckFrame | ErrorFrame> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody ?? '');
  } catch {
    return errorFrame(undefined, new TideError('invalid_request', 'frames are JSON objects'));
  }
  const requestId = requestIdOf(body);
  const parsed = agentActionSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'invalid frame';
    return errorFrame(requestId, new TideError('invalid_request', message));
  }
  const connection = await getConnection(deps, connectionId);
  if (!connection) return errorFrame(requestId, new TideError('forbidden', 'unknown connection'));
  const action = parsed.data;
  const key = requestId && action.action !== 'sync' ? requestKey(connection.agentId, body as Record<string, unknown>) : undefined;
  if (key) {
    const first = await recallAnswer(deps, key);
    if (first) return first;
  }
  let answer: AckFrame | ErrorFrame;
  try {
    answer = await perform(deps, connection.agentId, action, requestId);
  } catch (error) {
    if (!isTideError(error)) {
      logger.error('agent action failed', { action: action.action, agentId: connection.agentId, error: (error as Error).name });
      // Not remembered: a retry of a request that hit a fault of ours is tried again.
      return { type: 'error', requestId, code: 'internal_error', message: 'something went wrong; try again' };
    }
    answer = errorFrame(requestId, error);
  }
  return key ? rememberAnswer(deps, key, answer) : answer;
}

async function perform(deps: Deps, agentId: string, action: AgentAction, requestId: string | undefined): Promise<AckFrame> {
  const ack = (extra: Record<string, unknown> = {}): AckFrame => ({ type: 'ack', requestId, action: action.action, ...extra });
  switch (action.action) {
    case 'setStatus': {
      const agent = await setAgentStatus(deps, agentId, action.status);
      // DESIGN §4: a work list is pushed in reply to setStatus (even when nothing changed).
      await pushWorklist(deps, agentId);
      return ack({ status: agent.status });
    }
    case 'send': {
      const sent = await sendReply(deps, { agentId, conversationId: action.conversationId, text: action.text, requestId, closing: action.closing });
      return ack({ conversationId: action.conversationId, messageId: sent.messageId });
    }
    case 'close':
      await closeConversation(deps, agentId, action.conversationId);
      return ack({ conversationId: action.conversationId });
    case 'transfer': {
      const target = action.queue !== undefined ? { queue: action.queue } : { agentId: action.agentId! };
      await transferConversation(deps, agentId, action.conversationId, target);
      return ack({ conversationId: action.conversationId });
    }
    case 'setPriority': {
      const changed = await setConversationPriority(deps, agentId, action.conversationId, action.priority);
      return ack({ conversationId: action.conversationId, priority: changed.priority });
    }
    case 'followUp': {
      const hidden = await scheduleFollowUp(deps, agentId, action.conversationId, action.at);
      return ack({ conversationId: action.conversationId, followUpAt: hidden.followUpAt });
    }
    case 'sync':
      await pushWorklist(deps, agentId);
      return ack();
  }
}

const requestIdOf = (body: unknown): string | undefined => {
  const id = (body as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
};

const errorFrame = (requestId: string | undefined, error: TideError): ErrorFrame => ({ type: 'error', requestId, code: error.code, message: error.message });
