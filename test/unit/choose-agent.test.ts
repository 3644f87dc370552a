import { describe, expect, it } from 'vitest';
import type { Agent } from '../../shared/agent/model.js';
import { chooseAgent } from '../../shared/routing/choose-agent.js';
import { agentImage } from '../support/agent-image.js';

const agent = agentImage;

/** A seeded generator, so the random tie-break is reproducible here. */
const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe('chooseAgent', () => {
  it('skips agents who are away, offline, full, ramping or in other queues', () => {
    expect(
      chooseAgent(
        [
          agent('away', { status: 'away' }),
          agent('offline', { status: 'offline' }),
          agent('full', { active: 3 }),
          agent('ramping', { active: 1, routingLimit: 1 }),
          agent('other', { queues: ['sales'] }),
        ],
        'default',
        undefined,
      ),
    ).toBeUndefined();
  });

  it('prefers the least loaded relative to preferred concurrency', () => {
    const busy = agent('busy', { active: 1, preferredConcurrency: 2 });
    const roomy = agent('roomy', { active: 2, preferredConcurrency: 6 });
    expect(chooseAgent([busy, roomy], 'default', undefined)?.agentId).toBe('roomy');
  });

  it('breaks ties at random, so that routers deciding at once spread over the tied agents', () => {
    const tied = ['a', 'b', 'c', 'd'].map((id) => agent(id, { active: 1 }));
    const picks = new Map<string, number>();
    const random = seeded(7);
    for (let i = 0; i < 400; i++) {
      const id = chooseAgent(tied, 'default', undefined, random)!.agentId;
      picks.set(id, (picks.get(id) ?? 0) + 1);
    }
    expect([...picks.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const n of picks.values()) expect(n).toBeGreaterThan(60);
    // An agent less loaded than the tied ones is always chosen.
    expect(chooseAgent([...tied, agent('idle')], 'default', undefined, random)?.agentId).toBe('idle');
  });

  it('prefers the customer\'s previous agent when eligible, whatever their load', () => {
    const previous = agent('previous', { active: 2 });
    const idle = agent('idle');
    expect(chooseAgent([previous, idle], 'default', 'previous')?.agentId).toBe('previous');
    const full = agent('previous', { active: 3 });
    expect(chooseAgent([full, idle], 'default', 'previous')?.agentId).toBe('idle');
  });
});
