import { describe, expect, it } from 'vitest';
import type { Agent } from '../../shared/agent/model.js';
import { chooseAgent } from '../../shared/routing/choose-agent.js';

const agent = (agentId: string, over: Partial<Agent> = {}): Agent => ({
  agentId,
  name: agentId,
  queues: ['default'],
  preferredConcurrency: 3,
  maxLoad: 5,
  status: 'online',
  active: 0,
  worklistSeq: 0,
  ...over,
});

describe('chooseAgent', () => {
  it('skips agents who are away, offline, full or in other queues', () => {
    expect(
      chooseAgent(
        [
          agent('away', { status: 'away' }),
          agent('offline', { status: 'offline' }),
          agent('full', { active: 3 }),
          agent('other', { queues: ['sales'] }),
        ],
        'default',
      ),
    ).toBeUndefined();
  });

  it('prefers the least loaded relative to preferred concurrency', () => {
    const busy = agent('busy', { active: 1, preferredConcurrency: 2 });
    const roomy = agent('roomy', { active: 2, preferredConcurrency: 6 });
    expect(chooseAgent([busy, roomy], 'default')?.agentId).toBe('roomy');
  });

  it('breaks ties by the longest time since the last assignment, never assigned first', () => {
    const recent = agent('recent', { lastAssignedAt: '2026-11-21T10:05:00.000Z' });
    const earlier = agent('earlier', { lastAssignedAt: '2026-11-21T10:00:00.000Z' });
    const fresh = agent('fresh');
    expect(chooseAgent([recent, earlier], 'default')?.agentId).toBe('earlier');
    expect(chooseAgent([recent, earlier, fresh], 'default')?.agentId).toBe('fresh');
  });
});
