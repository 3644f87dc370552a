import { describe, expect, it } from 'vitest';
import type { Agent } from '../../shared/agent/model.js';
import { chooseAgent, currentLimit } from '../../shared/routing/choose-agent.js';

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

  it('prefers the customer\'s previous agent when eligible, whatever their load', () => {
    const previous = agent('previous', { active: 2 });
    const idle = agent('idle');
    expect(chooseAgent([previous, idle], 'default', { preferredAgentId: 'previous' })?.agentId).toBe('previous');
    const full = agent('previous', { active: 3 });
    expect(chooseAgent([full, idle], 'default', { preferredAgentId: 'previous' })?.agentId).toBe('idle');
  });

  it('limits a newly online agent to one slot, plus one per ramp-up interval', () => {
    const now = new Date('2026-11-21T10:00:00.000Z');
    const fresh = agent('fresh', { onlineSince: '2026-11-21T09:59:45.000Z', active: 1 });
    expect(currentLimit(fresh, now, 30)).toBe(1);
    expect(currentLimit(fresh, new Date('2026-11-21T10:00:15.000Z'), 30)).toBe(2);
    expect(currentLimit(fresh, new Date('2026-11-21T11:00:00.000Z'), 30)).toBe(3);
    expect(currentLimit(fresh, now, 0)).toBe(3);
    expect(chooseAgent([fresh], 'default', { now, rampUpSecondsPerSlot: 30 })).toBeUndefined();
    expect(chooseAgent([fresh], 'default', { now, rampUpSecondsPerSlot: 0 })?.agentId).toBe('fresh');
  });
});
