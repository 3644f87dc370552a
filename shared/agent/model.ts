/** An agent as stored in the Agents table. */
export type AgentStatus = 'online' | 'away' | 'offline';
export const agentStatuses = ['online', 'away', 'offline'] as const;

/**
 * How an agent holds one of its open conversations: active, inactive, or `waiting`: active and
 * waiting on the agent. `waiting` is told apart only with dynamic concurrency on
 * (`routing.dynamicConcurrencyMargin` > 0), the one policy that needs to know whether anything
 * waits on the agent; without it a customer message writes no agent item.
 */
export type Holding = 'active' | 'inactive' | 'waiting';

export interface Agent {
  agentId: string;
  name: string;
  queues: string[];
  /** The router fills an agent up to this many active conversations. */
  preferredConcurrency: number;
  /** Hard cap on active conversations; only reactivations, direct transfers and dynamic concurrency go above preferred. */
  maxLoad: number;
  status: AgentStatus;
  /** Active (not inactive, not closed) conversations assigned to the agent: `holds` entries that are active. */
  active: number;
  /**
   * Every open conversation the agent owns and how (its work list). Changed in the same
   * transaction as the conversation, so it is the consistent membership a push reads, where an
   * index would lag.
   */
  holds: Record<string, Holding>;
  /** Queue routing fills the agent up to this (preferred concurrency, or less while ramping up). */
  routingLimit?: number;
  /**
   * Effort-weighted load: `active` plus `routing.inactiveLoadWeight` for each inactive
   * conversation held (docs/priority.md). Absent when that weight is 0: the load is `active`.
   */
  load?: number;
  /**
   * Dynamic concurrency: slots above preferred concurrency queue routing may fill now, because
   * nothing the agent holds waits on them (`routing.dynamicConcurrencyMargin`). Absent: none.
   */
  stretch?: number;
  lastAssignedAt?: string;
  /** When the agent last went online (ramp-up counts from here). */
  onlineSince?: string;
  /** Incremented on every change of the fields above; writes are conditional on it. */
  version: number;

  // Outside the state machine: changed with atomic operations that do not touch `version`.
  /** Last work-list sequence number handed out; strictly increasing across connections. */
  worklistSeq: number;
  /** Open WebSocket connections: connection id → epoch seconds after which it is surely gone. */
  connections: Record<string, number>;
  /** Generation of the presence check armed when the last connection went. */
  presenceGen?: number;
  /** When the presence check is due (all connections gone): cleared by a new connection. */
  presenceCheckAt?: string;
}

/**
 * The limit queue routing fills the agent to: preferred concurrency, less while ramping up, or
 * more by `stretch` when nothing waits on the agent (dynamic concurrency; never while ramping).
 */
export const routingLimitOf = (agent: Pick<Agent, 'routingLimit' | 'preferredConcurrency' | 'stretch'>) =>
  agent.routingLimit !== undefined
    ? Math.min(agent.routingLimit, agent.preferredConcurrency)
    : agent.preferredConcurrency + (agent.stretch ?? 0);

/** The load queue routing compares with the routing limit (effort-weighted when configured). */
export const queueLoadOf = (agent: Pick<Agent, 'active' | 'load'>) => agent.load ?? agent.active;

/** Queue routing may give this agent work now: online, below its routing limit, and below maxLoad whatever the stretch. */
export const canTakeQueueWork = (
  agent: Pick<Agent, 'status' | 'active' | 'load' | 'routingLimit' | 'preferredConcurrency' | 'stretch' | 'maxLoad'>,
) => agent.status === 'online' && queueLoadOf(agent) < routingLimitOf(agent) && agent.active < agent.maxLoad;

/** Active conversations in `holds` (what `active` must equal): those waiting on the agent are active too. */
export const activeHeld = (holds: Agent['holds']) => Object.values(holds).filter((h) => h !== 'inactive').length;

/** Dynamic concurrency's `stretch` for these holds: the margin while nothing waits on the agent. */
export const stretchOf = (holds: Agent['holds'], margin: number): number | undefined =>
  margin > 0 && !Object.values(holds).includes('waiting') ? margin : undefined;

/** Everything an agent's load is derived from its holds by (one home for `active`, `load` and `stretch`). */
export const loadOf = (holds: Agent['holds'], routing: { inactiveLoadWeight: number; dynamicConcurrencyMargin: number }) => ({
  active: activeHeld(holds),
  load: weightedLoad(holds, routing.inactiveLoadWeight),
  stretch: stretchOf(holds, routing.dynamicConcurrencyMargin),
});

/**
 * `load` for these holds: each active conversation counts 1, each inactive one `inactiveWeight`
 * (a customer who went quiet still costs the agent a little: they may come back at any moment).
 * Undefined when the weight is 0, so agents stored without it need no migration.
 */
export const weightedLoad = (holds: Agent['holds'], inactiveWeight: number): number | undefined => {
  if (inactiveWeight <= 0) return undefined;
  const inactive = Object.values(holds).filter((h) => h === 'inactive').length;
  // Rounded so that ten conversations at 0.1 make exactly 1, not 0.9999999.
  return Math.round((activeHeld(holds) + inactiveWeight * inactive) * 1000) / 1000;
};
