import { getAgent } from '../../shared/agent/agent-store.js';
import { setAgentStatus } from '../../shared/agent/set-status.js';
import { sendReply } from '../../shared/conversation/commands.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { receiveMessage, type InboundMessage } from '../../shared/conversation/receive-message.js';
import { indexesSettled } from '../../infra/local/index-lag.js';
import { indexLag, type TestDeps } from './domain-deps.js';

/**
 * Small steps of a contact-center day for domain tests, each followed by what the change stream
 * would do (`settle`), so a test reads as what people do and what they then see.
 */
let n = 0;

/** A customer writes (a fresh externalId each time unless given). */
export async function say(deps: TestDeps, from: string, text = 'hello', extra: Partial<InboundMessage> = {}) {
  const received = await receiveMessage(deps, { channel: 'generic', externalId: `e-${++n}-${Math.random()}`, from, text, queue: 'default', ...extra });
  await deps.settle();
  return received;
}

/** The agent answers. */
export async function answer(deps: TestDeps, agentId: string, conversationId: string, text = 'on it', closing?: boolean) {
  const sent = await sendReply(deps, { agentId, conversationId, text, closing });
  await deps.settle();
  return sent;
}

/** Agents connect (a recording connection each) and go online. */
export async function online(deps: TestDeps, ...agentIds: string[]) {
  for (const id of agentIds) {
    await deps.connect(id);
    await setAgentStatus(deps, id, 'online');
  }
  await deps.settle();
}

export async function setStatus(deps: TestDeps, agentId: string, status: 'online' | 'away' | 'offline') {
  await setAgentStatus(deps, agentId, status);
  await deps.settle();
}

export const conversation = async (deps: TestDeps, id: string): Promise<Conversation> => (await getConversation(deps, id))!;
export const load = async (deps: TestDeps, agentId: string) => (await getAgent(deps, agentId))!.active;

/** Waits until index queries see every write so far (only when the suite runs with index lag). */
export const indexesCaughtUp = async () => {
  if (indexLag) await indexesSettled();
};
