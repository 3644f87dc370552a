/** An agent as stored in the Agents table. */
export type AgentStatus = 'online' | 'away' | 'offline';
export const agentStatuses = ['online', 'away', 'offline'] as const;

export interface Agent {
  agentId: string;
  name: string;
  queues: string[];
  /** The router fills an agent up to this many active conversations. */
  preferredConcurrency: number;
  /** Hard cap on active conversations; only reactivations and direct transfers go above preferred. */
  maxLoad: number;
  status: AgentStatus;
  /** Active (not inactive, not closed) conversations assigned to the agent. */
  active: number;
  lastAssignedAt?: string;
  /** When the agent last went online (ramp-up counts from here). */
  onlineSince?: string;
  /** Last work-list sequence number handed out; strictly increasing across connections. */
  worklistSeq: number;
  /** Generation of the presence timer armed when the last connection closed. */
  presenceGen?: number;
}
