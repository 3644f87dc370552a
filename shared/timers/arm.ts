import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConversation } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { isConditionFailure } from '../storage/transactions.js';
import { nextDeadline } from './deadlines.js';

/**
 * Scheduler fires up to a minute after an `at()` time; an armed schedule whose time is further
 * in the past than this has fired (or was lost) and no longer counts as armed.
 */
const fireLatenessMs = 90_000;

/** Schedule names: `[0-9a-zA-Z-_.]{1,64}`; the generation keeps each arming's name unique. */
export const conversationTimerName = (conversationId: string, gen: number) => `${conversationId}.${gen}`.slice(-64);

/**
 * Makes sure a schedule will fire by the conversation's next deadline, calling the Scheduler
 * only when none is armed or the deadline moved earlier (most messages move deadlines later, so
 * most writes cost no scheduler call). A later schedule left behind fires, finds nothing due
 * and re-arms: harmless. `firedGen` is the generation of the schedule now firing, which
 * therefore no longer counts as armed.
 */
export async function armTimer(deps: Deps, conversation: Conversation, firedGen?: number): Promise<void> {
  let current: Conversation | undefined = conversation;
  for (let attempt = 0; attempt < 4 && current; attempt++) {
    const next = nextDeadline(current);
    const gen = current.armedGen ?? 0;
    const armedAt = firedGen !== undefined && gen === firedGen ? null : current.armedAt;
    const stillArmed = armedAt && Date.parse(armedAt) > deps.clock.now().getTime() - fireLatenessMs;
    if (!next || (stillArmed && armedAt! <= next)) {
      if (armedAt === null && current.armedAt) await withdrawArming(deps, current.conversationId, gen);
      return;
    }
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.tables.conversations,
          Key: { conversationId: current.conversationId },
          UpdateExpression: 'SET armedAt = :at, armedGen = :gen ADD version :one',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':at': next, ':gen': gen + 1, ':one': 1, ':v': current.version },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      current = await getConversation(deps, current.conversationId); // changed meanwhile: decide again
      continue;
    }
    try {
      await deps.timers.schedule(conversationTimerName(current.conversationId, gen + 1), new Date(next), {
        kind: 'conversation',
        conversationId: current.conversationId,
        gen: gen + 1,
      });
    } catch (error) {
      // Without the schedule the stored arming would be a lie: withdraw it so that the next write
      // to the conversation (or the channel's retry of this message) arms again.
      logger.error('could not create a timer schedule', { conversationId: current.conversationId, error: (error as Error).name });
      await withdrawArming(deps, current.conversationId, gen + 1).catch(() => undefined);
      throw error;
    }
    return;
  }
}

/**
 * Forgets the arming of generation `gen` (it fired, or its schedule could not be created).
 * Bumping the version makes a concurrent write from an older image retry rather than restore the
 * stale arming, which would stop later deadlines from being armed.
 */
async function withdrawArming(deps: Deps, conversationId: string, gen: number) {
  await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.tables.conversations,
        Key: { conversationId },
        UpdateExpression: 'REMOVE armedAt ADD version :one',
        ConditionExpression: 'armedGen = :gen',
        ExpressionAttributeValues: { ':gen': gen, ':one': 1 },
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
}
