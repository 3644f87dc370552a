import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../shared/conversation/model.js';
import { followUpsOf, type FollowUp } from '../../shared/follow-ups/derive.js';
import { agentImage } from '../support/agent-image.js';

const routes = (out: FollowUp[]) => out.filter((f) => f.kind === 'route').map((f) => (f as Extract<FollowUp, { kind: 'route' }>).queue);
const pushes = (out: FollowUp[]) => out.filter((f) => f.kind === 'push').map((f) => (f as Extract<FollowUp, { kind: 'push' }>).agentId);

describe('capacity that appeared routes the agent\'s queues; room that was there routes nothing', () => {
  const agent = (active: number, over = {}) => agentImage('ann', { queues: ['default', 'billing'], preferredConcurrency: 3, active, ...over });

  it('a slot freed by a full agent routes each of its queues, with its image', () => {
    const out = followUpsOf({ table: 'agents', before: agent(3), after: agent(2, { version: 2 }) });
    expect(routes(out)).toEqual(['default', 'billing']);
    expect(out.find((f) => f.kind === 'route')).toMatchObject({ agent: { agentId: 'ann', active: 2 } });
  });

  it('a slot freed by an agent who had room routes nothing: work queued meanwhile found it in its own pass', () => {
    expect(routes(followUpsOf({ table: 'agents', before: agent(2), after: agent(1, { version: 2 }) }))).toEqual([]);
  });

  it('coming online, or a new queue, routes', () => {
    expect(routes(followUpsOf({ table: 'agents', before: agent(0, { status: 'away' }), after: agent(0, { version: 2 }) }))).toEqual(['default', 'billing']);
    expect(routes(followUpsOf({ table: 'agents', before: agentImage('ann', { queues: ['default'] }), after: agent(0, { version: 2 }) }))).toEqual(['default', 'billing']);
  });

  it('a full agent that stays full routes nothing', () => {
    expect(routes(followUpsOf({ table: 'agents', before: agent(3), after: agent(3, { version: 2, worklistSeq: 9 }) }))).toEqual([]);
  });
});

describe('a change whose command pushed the releasing agent\'s list is not pushed to them again', () => {
  const held: Conversation = {
    conversationId: 'c1', channel: 'generic', customerId: '+1', queue: 'default', state: 'active', waitingOn: 'agent', assignedTo: 'ann',
    rank: 'r', priority: 0, lastMessage: { messageId: 'm', direction: 'in', text: 'hi', at: '2026-12-02T10:00:00.000Z' },
    createdAt: '2026-12-02T10:00:00.000Z', updatedAt: '2026-12-02T10:00:00.000Z', version: 4,
  };

  it('a close marked at its own version pushes nobody; unmarked, it pushes the agent', () => {
    const closed: Conversation = { ...held, state: 'closed', assignedTo: undefined, version: 5 };
    expect(pushes(followUpsOf({ table: 'conversations', before: held, after: { ...closed, releasePushedAt: 5 } }))).toEqual([]);
    expect(pushes(followUpsOf({ table: 'conversations', before: held, after: closed }))).toEqual(['ann']);
  });

  it('a transfer marked so still pushes the receiver, and the mark of an older version skips nobody', () => {
    const moved: Conversation = { ...held, assignedTo: 'ben', version: 5, releasePushedAt: 5 };
    expect(pushes(followUpsOf({ table: 'conversations', before: held, after: moved }))).toEqual(['ben']);
    const next: Conversation = { ...moved, lastMessage: { ...moved.lastMessage, messageId: 'm2' }, version: 6 };
    expect(pushes(followUpsOf({ table: 'conversations', before: moved, after: next }))).toEqual(['ben']);
    const back: Conversation = { ...next, assignedTo: 'ann', version: 7 };
    expect(pushes(followUpsOf({ table: 'conversations', before: next, after: back }))).toEqual(['ben', 'ann']);
  });
});
