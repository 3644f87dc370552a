import { describe, expect, it } from 'vitest';
import type { Agent } from '../../shared/agent/model.js';
import { cutText, type Conversation } from '../../shared/conversation/model.js';
import { maxFrameBytes, worklistFrame } from '../../shared/push/worklist.js';
import { rankOf } from '../../shared/routing/priority.js';

const agent: Agent = {
  agentId: 'ann', name: 'Ann', queues: ['default'], preferredConcurrency: 3, maxLoad: 5, status: 'online', active: 2,
  holds: {}, version: 1, worklistSeq: 7, connections: {},
};
const conversation = (id: string, over: Partial<Conversation>): Conversation => {
  const c: Conversation = {
    conversationId: id, channel: 'generic', customerId: `+${id}`, queue: 'default', state: 'active', waitingOn: 'agent',
    assignedTo: 'ann', rank: '', priority: 0,
    lastMessage: { messageId: 'm', direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
    waitingSince: '2026-11-21T10:00:00.000Z', slaDueAt: '2026-11-21T10:02:00.000Z',
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
      conversationId: 'needs-answer', state: 'active', waitingOn: 'agent', queue: 'default', channel: 'generic', customer: { id: '+needs-answer' },
      lastMessage: { direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
      slaDueAt: '2026-11-21T10:02:00.000Z', slaBreached: false, followUpAt: null, priority: 0, transferNote: null,
    });
    expect(frame).not.toHaveProperty('omitted');
  });

  it('counts active items, not inactive ones', () => {
    const frame = worklistFrame(agent, [conversation('a', {}), conversation('b', { state: 'inactive', waitingOn: 'customer' })]);
    expect(frame.agent.active).toBe(1);
  });

  it('never exceeds 128 KB: texts are cut at 500 characters, then the lowest-ranked items are left out', () => {
    // A heavy case: every text 500 emoji long, 4 bytes each in UTF-8.
    const long = cutText('🙂'.repeat(3000)).text;
    expect([...long]).toHaveLength(500);
    expect(long.endsWith('…')).toBe(true);
    const many = Array.from({ length: 120 }, (_, i) =>
      conversation(`c${String(i).padStart(3, '0')}`, { lastMessage: { messageId: 'm', direction: 'in', text: long, at: new Date(Date.UTC(2026, 10, 21, 10, 0, i)).toISOString() }, waitingSince: new Date(Date.UTC(2026, 10, 21, 10, 0, i)).toISOString() }),
    );
    const frame = worklistFrame(agent, many);
    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(maxFrameBytes);
    expect(frame.omitted).toBeGreaterThan(0);
    expect(frame.items.length + frame.omitted!).toBe(120);
    // What is left out is the end of the list: the kept items are the best-ranked ones, in order.
    expect(frame.items.map((i) => i.conversationId)).toEqual(many.slice(0, frame.items.length).map((c) => c.conversationId));
    expect(frame.agent.active).toBe(120);
  });
});
