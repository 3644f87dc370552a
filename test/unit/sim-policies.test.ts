import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/schema.js';
import { policyConfig, selectPolicies } from '../../sim/policies.js';
import type { AgentShift } from '../../sim/workload.js';

const agents: AgentShift[] = [{ id: 'a1', startMs: 0, endMs: 3_600_000, breaks: [] }];

describe('simulator policies', () => {
  it('pin the baselines to the capacity and order of before, whatever Tide defaults to', () => {
    for (const policy of selectPolicies('A,A2,B')) {
      const config = policyConfig(policy, agents);
      expect(config.queues.default!.adaptiveInactivity, policy.key).toBe(false);
      expect(config.routing, policy.key).toMatchObject({ inactiveLoadWeight: 0, dynamicConcurrencyMargin: 0 });
      expect(config.priority.serveSaveableFirst, policy.key).toBe(false);
    }
  });

  it('make C exactly Tide’s defaults, and F the defaults with dynamic concurrency', () => {
    const defaults = parseConfig({});
    const [c, f] = selectPolicies('C,F').map((p) => policyConfig(p, agents));
    expect(c!.priority).toEqual(defaults.priority);
    expect(c!.routing).toEqual(defaults.routing);
    expect(c!.queues.default).toEqual(defaults.queues.default);
    expect(f!.routing).toEqual({ ...defaults.routing, dynamicConcurrencyMargin: 1 });
  });
});
