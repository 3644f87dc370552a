import type { Agent } from '../../shared/agent/model.js';

/** An agent item as stored, online in queue `default` with nothing held, for pure-logic tests. */
export const agentImage = (agentId: string, over: Partial<Agent> = {}): Agent => ({
  agentId,
  name: agentId,
  queues: ['default'],
  preferredConcurrency: 3,
  maxLoad: 5,
  status: 'online',
  active: 0,
  holds: {},
  version: 1,
  worklistSeq: 0,
  connections: {},
  ...over,
});
