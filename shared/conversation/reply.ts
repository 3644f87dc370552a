import { putIfUnchanged } from './conversation-store.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { addSeconds } from '../clock.js';
import { isClosingQuestion } from '../classifier/classify.js';
import { outboundMessageId } from '../ids.js';
import { armTimer } from '../timers/arm.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';
import type { Conversation } from './model.js';
import { ownConversation } from './ownership.js';
import { stopWaitingOnAgent } from './waiting.js';

export interface Reply {
  messageId: string;
  conversation: Conversation;
  /** True when this exact request was already stored (a client retry): nothing new was sent. */
  repeated: boolean;
}

const maxAttempts = 5;

/**
 * Stores an agent's reply and the conversation change it causes (it now waits on the customer,
 * the SLA clock stops) in one transaction, then pushes the work list. The message is queued for
 * delivery to the channel (`deliveryPending`); the caller delivers it after acknowledging, and
 * the sweeper retries whatever the channel did not accept.
 */
export async function sendReply(
  deps: Deps,
  input: { agentId: string; conversationId: string; text: string; requestId?: string | number; closing?: boolean },
): Promise<Reply> {
  const messageId = outboundMessageId(input.agentId, input.conversationId, input.requestId?.toString());
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await ownConversation(deps, input.agentId, input.conversationId);
    const now = deps.clock.now();
    const at = now.toISOString();
    const queue = deps.config.queues[current.queue] ?? deps.config.queues.default!;
    const conversation: Conversation = {
      ...current,
      ...stopWaitingOnAgent(),
      waitingOn: 'customer',
      lastMessage: { messageId, direction: 'out', text: input.text, at },
      closingQuestionAsked: input.closing ?? isClosingQuestion(input.text, deps.config.classifier),
      // Silence from here on makes an active conversation inactive (shared/timers).
      inactiveAt: current.state === 'active' ? addSeconds(now, queue.inactiveAfterSeconds).toISOString() : current.inactiveAt ?? null,
      updatedAt: at,
      version: current.version + 1,
    };
    conversation.rank = rankOf(conversation, deps.config.priority);
    const deliverable = Boolean(deps.config.channels.generic?.outboundUrl) && current.channel === 'generic';
    const result = await transactWrite(deps.db, [
      {
        Put: {
          TableName: deps.tables.messages,
          Item: {
            messageId,
            conversationId: current.conversationId,
            channel: current.channel,
            direction: 'out',
            agentId: input.agentId,
            to: current.customerId,
            text: input.text,
            sentAt: at,
            ...(deliverable ? { deliveryPending: current.channel, nextAttemptAt: at, attempts: 0 } : {}),
          },
          ConditionExpression: 'attribute_not_exists(messageId)',
        },
      },
      putIfUnchanged(deps.tables, conversation, current.version),
    ]);
    if (result.committed) {
      await pushWorklist(deps, input.agentId, [conversation]);
      await armTimer(deps, conversation);
      return { messageId, conversation, repeated: false };
    }
    if (result.failed.includes(0)) {
      const stored = await deps.db.send(
        new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: true }),
      );
      if (stored.Item) {
        // A client retry, maybe after a failure between storing and arming: make sure the timer
        // is armed (a no-op when it is).
        await armTimer(deps, current);
        return { messageId, conversation: current, repeated: true };
      }
    }
  }
  throw new Error('send: too much contention on one conversation');
}
