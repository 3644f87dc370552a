import { describe, expect, it } from 'vitest';
import type { Agent } from '../../shared/agent/model.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { worklistFrame } from '../../shared/push/worklist.js';
import { rankOf } from '../../shared/routing/priority.js';

const agent: Agent = { agentId: 'ann', name: 'Ann', queues: ['default'], preferredConcurrency: 3, maxLoad: 5, status: 'online', active: 2, worklistSeq: 7 };
const conversation = (id: string, over: Partial<Conversation>): Conversation => {
  const c: Conversation = {
    conversationId: id, channel: 'generic', customerId: `+${id}`, queue: 'default', state: 'active', waitingOn: 'agent',
    assignedTo: 'ann', rank: '', priority: 0,
    lastMessage: { messageId: 'm', direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
    waitingSince: '2026-11-21T10:00:00.000Z', slaDueAt: '2026-11-21T10:02:00.000Z', slaBreached: false, followUpAt: null,
    createdAt: '2026-11-21T10:00:00.000Z', updatedAt: '2026-11-21T10:00:00.000Z', version: 1, ...over,
  };
  c.rank = rankOf(c);
  return c;
};

describe('worklistFrame', () => {
  it('lists only the agent\'s open conversations, best first, with the contract\'s fields', () => {
    const frame = worklistFrame(agent, [
      conversation('waiting-customer', { waitingOn: 'customer', waitingSince: null, slaDueAt: null }),
      conversation('closed', { state: 'closed' }),
      conversation('someone-else', { assignedTo: 'bob' }),
      conversation('needs-answer', {}),
    ]);
    expect(frame.seq).toBe(7);
    expect(frame.items.map((i) => i.conversationId)).toEqual(['needs-answer', 'waiting-customer']);
    expect(frame.agent).toEqual({ id: 'ann', status: 'online', active: 2, preferredConcurrency: 3, maxLoad: 5 });
    expect(frame.items[0]).toEqual({
      conversationId: 'needs-answer', state: 'active', waitingOn: 'agent', queue: 'default', customer: { id: '+needs-answer' },
      lastMessage: { direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
      slaDueAt: '2026-11-21T10:02:00.000Z', slaBreached: false, followUpAt: null, priority: 0,
    });
  });

  it('counts active items, not inactive ones', () => {
    const frame = worklistFrame(agent, [conversation('a', {}), conversation('b', { state: 'inactive', waitingOn: 'customer' })]);
    expect(frame.agent.active).toBe(1);
  });
});
