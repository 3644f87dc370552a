import { z } from 'zod';
import { onPresenceTimer } from '../agent/presence.js';
import { onRampTimer } from '../agent/set-status.js';
import type { Deps } from '../runtime/deps.js';
import { tideMetrics } from '../runtime/metrics.js';
import { onConversationTimer } from './on-conversation-timer.js';

const payloadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('conversation'), conversationId: z.string().min(1), gen: z.number().int() }),
  z.object({ kind: z.literal('presence'), agentId: z.string().min(1), gen: z.number().int() }),
  z.object({ kind: z.literal('ramp'), agentId: z.string().min(1), onlineSince: z.string().min(1) }),
]);

/** Any Tide timer fired (EventBridge Scheduler → `timer-fired`). Unknown payloads are refused. */
export async function onTimer(deps: Deps, payload: unknown): Promise<string[]> {
  const timer = payloadSchema.parse(payload);
  deps.metrics?.count(tideMetrics.timerFires, { Kind: timer.kind });
  if (timer.kind === 'presence') return (await onPresenceTimer(deps, timer.agentId, timer.gen)) ? ['offline'] : [];
  if (timer.kind === 'ramp') return (await onRampTimer(deps, timer.agentId, timer.onlineSince)) ? ['rampUp'] : [];
  return onConversationTimer(deps, timer.conversationId, timer.gen);
}
