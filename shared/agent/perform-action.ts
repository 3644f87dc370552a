import { agentActionSchema, ownWorkActions, supervisorActions, type AckFrame, type AgentAction, type ErrorFrame } from '../contract/agent-actions.js';
import {
  closeConversation,
  reassignConversation,
  replyMessageId,
  sameRequestSeconds,
  scheduleFollowUp,
  sendReply,
  setConversationPriority,
  transferConversation,
  type CommandOptions,
} from '../conversation/commands.js';
import { getMessage } from '../conversation/message-store.js';
import { isTideError, TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { sendOverview } from '../supervision/push-overview.js';
import { watchesOverview } from '../supervision/registry.js';
import { getAgent } from './agent-store.js';
import { getConnection, type Role } from './connections.js';
import { recallAnswer, rememberer, requestKey, RequestAlreadyDone } from './request-log.js';
import { setAgentStatus } from './set-status.js';

/** Who sent a frame: the connection, and the identity its token proved at `$connect`. */
export interface FrameSender {
  connectionId: string;
  /** From the authorizer's context, which API Gateway passes with every frame of the connection. */
  agentId?: string;
  role?: Role;
}

/** Who acts: the id the token proved, and its role. */
interface Actor {
  connectionId: string;
  agentId: string;
  role: Role;
}

/**
 * One WebSocket frame from an agent, supervisor or admin: validates it, checks the role may do
 * it, performs the action and returns the ack (with the server's time, `now`) or error frame. A
 * request with a `requestId` done in the last 10 minutes gets its first answer again and is not
 * done twice (shared/agent/request-log.ts).
 */
export async function performAgentAction(deps: Deps, sender: FrameSender, rawBody: string | undefined): Promise<AckFrame | ErrorFrame> {
  const answer = await answerFrame(deps, sender, rawBody);
  return answer.type === 'ack' ? { ...answer, now: deps.clock.now().toISOString() } : answer;
}

async function answerFrame(deps: Deps, sender: FrameSender, rawBody: string | undefined): Promise<AckFrame | ErrorFrame> {
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
  const action = parsed.data;
  // Every connection was authorised at `$connect`: a ping needs nobody's identity, and no read.
  if (action.action === 'ping') return { type: 'ack', requestId, action: 'ping' };
  // The token's identity comes with the frame; a connection made before that was kept is looked up.
  const actor = await actorOf(deps, sender);
  if (!actor) return errorFrame(requestId, new TideError('forbidden', 'unknown connection'));
  const refusal = await refusalOf(deps, actor, action);
  if (refusal) return errorFrame(requestId, refusal);
  const { agentId } = actor;
  // A `send` needs no record: its message's id is derived from the request, so the message is
  // the record (half the writes of a reply; see `repeatedSend`). `sync` changes nothing.
  const key = requestId && action.action !== 'sync' && action.action !== 'send' ? requestKey(agentId, body as Record<string, unknown>) : undefined;
  const options: CommandOptions = key ? { remember: rememberer(deps, key, { requestId, action: action.action }) } : {};
  try {
    return await perform(deps, actor, action, requestId, options);
  } catch (error) {
    // A request that cannot be done as asked may be the retry of one that was: its first answer.
    const first =
      error instanceof RequestAlreadyDone || isTideError(error)
        ? key
          ? await recallAnswer(deps, key)
          : action.action === 'send' && requestId
            ? await repeatedSend(deps, agentId, action, requestId)
            : undefined
        : undefined;
    if (first) {
      // The first answer's push may never have gone out (its invocation died after the commit),
      // and the stream does not push a close or transfer for the agent who made it: push now.
      if (action.action === 'close' || action.action === 'transfer') await pushBeforeAck(deps, agentId);
      return first;
    }
    if (isTideError(error)) return errorFrame(requestId, error);
    logger.error('agent action failed', { action: action.action, agentId, error: (error as Error).name });
    return { type: 'error', requestId, code: 'internal_error', message: 'something went wrong; try again' };
  }
}

async function actorOf(deps: Deps, sender: FrameSender): Promise<Actor | undefined> {
  if (sender.agentId && sender.role) return { connectionId: sender.connectionId, agentId: sender.agentId, role: sender.role };
  const connection = await getConnection(deps, sender.connectionId);
  return connection ? { connectionId: sender.connectionId, agentId: connection.agentId, role: connection.role ?? 'agent' } : undefined;
}

/**
 * Roles (DESIGN §4b): supervisors' actions are refused to agents; actions on one's own work are
 * refused to a supervisor or admin without an agent profile (they hold nothing, and must not
 * become an agent by setting a status).
 */
async function refusalOf(deps: Deps, actor: Actor, action: AgentAction): Promise<TideError | undefined> {
  if (supervisorActions.has(action.action) && !watchesOverview(actor.role)) {
    return new TideError('forbidden', `${action.action} is for supervisors and admins`);
  }
  if (ownWorkActions.has(action.action) && actor.role !== 'agent' && !(await getAgent(deps, actor.agentId, false))) {
    return new TideError('forbidden', `${actor.agentId} has no agent profile, so no work of its own`);
  }
  return undefined;
}

async function perform(deps: Deps, actor: Actor, action: AgentAction, requestId: string | undefined, options: CommandOptions): Promise<AckFrame> {
  const { agentId } = actor;
  const ack = (extra: Record<string, unknown> = {}): AckFrame => ({ type: 'ack', requestId, action: action.action, ...extra });
  switch (action.action) {
    case 'setStatus': {
      const agent = await setAgentStatus(deps, agentId, action.status, options);
      // DESIGN §4: a work list is pushed in reply to setStatus (even when nothing changed).
      await pushWorklist(deps, agentId);
      return ack({ status: agent.status });
    }
    case 'send': {
      const sent = await sendReply(deps, { agentId, conversationId: action.conversationId, text: action.text, requestId, closing: action.closing }, options);
      return ack({ conversationId: action.conversationId, messageId: sent.messageId });
    }
    case 'close':
      await closeConversation(deps, agentId, action.conversationId, { ...options, pushesBeforeAck: true });
      await pushBeforeAck(deps, agentId);
      return ack({ conversationId: action.conversationId });
    case 'transfer': {
      const target = action.queue !== undefined ? { queue: action.queue } : { agentId: action.agentId! };
      await transferConversation(deps, agentId, action.conversationId, target, { ...options, note: action.note, pushesBeforeAck: true });
      await pushBeforeAck(deps, agentId);
      return ack({ conversationId: action.conversationId });
    }
    case 'setPriority': {
      const changed = await setConversationPriority(deps, agentId, action.conversationId, action.priority, options);
      return ack({ conversationId: action.conversationId, priority: changed.priority });
    }
    case 'followUp': {
      const hidden = await scheduleFollowUp(deps, agentId, action.conversationId, action.at, options);
      return ack({ conversationId: action.conversationId, followUpAt: hidden.followUpAt });
    }
    case 'sync':
      // A supervisor's overview at once; the work list too for whoever has an agent profile.
      if (watchesOverview(actor.role)) await sendOverview(deps, actor.connectionId);
      await pushWorklist(deps, agentId);
      return ack();
    case 'ping':
      return ack();
    case 'setAgentStatus': {
      // As the agent's own setStatus: offline hands their work back as presence does.
      const remember = options.remember;
      const agent = await setAgentStatus(deps, action.agentId, action.status, remember ? { remember: (fields) => remember({ agentId: action.agentId, ...fields }) } : {});
      return ack({ agentId: action.agentId, status: agent.status });
    }
    case 'reassign': {
      const target = action.queue !== undefined ? { queue: action.queue } : { agentId: action.agentId! };
      const { before, after } = await reassignConversation(deps, agentId, action.conversationId, target, { ...options, note: action.note });
      // Both lists change: neither may show the conversation as before in a frame after the ack.
      await Promise.all([...new Set([before.assignedTo, after.assignedTo])].flatMap((id) => (id ? [pushBeforeAck(deps, id)] : [])));
      return ack({ conversationId: action.conversationId });
    }
  }
}

/**
 * A conversation that left the agent's list must not come back in a frame the client receives
 * after the ack: a push already in flight (its `seq` taken before the change) could. A push with
 * a `seq` taken now goes out first, so any older one that arrives after it is ignored (lower seq).
 * For a close or a transfer it is the only push of the agent's list for that change (the change
 * is marked `releasePushedAt`, and the stream skips it). Best effort, like every push: should it be
 * lost, the next change's push or the client's `sync` repairs it, and a client that saw no ack
 * retries, whose answer pushes again.
 */
const pushBeforeAck = (deps: Deps, agentId: string) =>
  pushWorklist(deps, agentId).catch((error: Error) => logger.warn('push before ack failed', { agentId, error: error.name }));

/** The first answer to a `send` retried after it could no longer be done (the conversation closed meanwhile, say). */
async function repeatedSend(deps: Deps, agentId: string, action: Extract<AgentAction, { action: 'send' }>, requestId: string): Promise<AckFrame | undefined> {
  const messageId = replyMessageId({ agentId, conversationId: action.conversationId, requestId, text: action.text, closing: action.closing });
  const stored = await getMessage(deps, messageId!);
  if (!stored || Date.parse(stored.sentAt) <= deps.clock.now().getTime() - sameRequestSeconds * 1000) return undefined;
  return { type: 'ack', requestId, action: 'send', conversationId: action.conversationId, messageId };
}

const requestIdOf = (body: unknown): string | undefined => {
  const id = (body as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
};

const errorFrame = (requestId: string | undefined, error: TideError): ErrorFrame => ({ type: 'error', requestId, code: error.code, message: error.message });
