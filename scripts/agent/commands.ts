/**
 * The terminal agent's commands (`npm run agent`), one a line. Parsing is pure: a line becomes a
 * command or a usage error, and scripts/agent.ts performs it.
 */

/** A conversation as typed: `#n` (the n-th item of the last work list shown) or its id. */
export type ConversationRef = { index: number } | { id: string };
export type Target = { queue: string } | { agentId: string };

export type Command =
  | { kind: 'status'; status: 'online' | 'away' | 'offline' }
  | { kind: 'reply'; ref: ConversationRef; text: string; closing: boolean }
  | { kind: 'close'; ref: ConversationRef }
  | { kind: 'transfer'; ref: ConversationRef; to: Target; note?: string }
  | { kind: 'followUp'; ref: ConversationRef; at: Date }
  | { kind: 'priority'; ref: ConversationRef; priority: number }
  | { kind: 'history'; ref: ConversationRef }
  | { kind: 'agentStatus'; agentId: string; status: 'online' | 'away' | 'offline' }
  | { kind: 'reassign'; ref: ConversationRef; to: Target; note?: string }
  | { kind: 'sync' }
  | { kind: 'ping' }
  | { kind: 'list' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'none' };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const helpText = `commands (one a line; #n is the n-th conversation of the last work list shown):
  online | away | offline              set your status
  reply <#n|id> <text>                 answer the customer (closing <#n|id> <text>: flag it as a closing question)
  close <#n|id>                        close the conversation
  transfer <#n|id> queue|agent <name> [note]   hand it over, with an optional note
  followup <#n|id> <+30m|+2h|+1d|ISO time>     hide it until then
  priority <#n|id> <-100..100>         set its business priority
  history <#n|id>                      print its messages (GET /v1/conversations/{id})
  list                                 print the work list again
  sync                                 ask for the work list (and overview) again
  ping                                 check the connection
  status <agentId> online|away|offline supervisors: set an agent's status
  reassign <#n|id> queue|agent <name> [note]   supervisors: move any conversation
  help                                 this text
  quit                                 disconnect and exit (so does the end of input)`;

const statuses = new Set(['online', 'away', 'offline']);

/** Parses one line; `now` anchors relative follow-up times. */
export function parseCommand(line: string, now: Date = new Date()): Command {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('//')) return { kind: 'none' };
  const [word = '', ...rest] = trimmed.split(/\s+/);
  const args = rest;
  const restText = (skip: number) => trimmed.split(/\s+/).slice(skip + 1).join(' ');
  switch (word.toLowerCase()) {
    case 'online':
    case 'away':
    case 'offline':
      return { kind: 'status', status: word.toLowerCase() as 'online' | 'away' | 'offline' };
    case 'reply':
    case 'closing': {
      const ref = refOf(args[0], word);
      // The text as typed, inner spacing kept.
      const text = trimmed.replace(/^\S+\s+\S+\s?/, '');
      if (!text.trim()) throw new UsageError(`${word} <#n|id> <text>`);
      return { kind: 'reply', ref, text, closing: word.toLowerCase() === 'closing' };
    }
    case 'close':
      return { kind: 'close', ref: refOf(args[0], 'close') };
    case 'transfer':
    case 'reassign': {
      const ref = refOf(args[0], word);
      const to = targetOf(args[1], args[2], word);
      const note = restText(3) || undefined;
      return { kind: word.toLowerCase() === 'transfer' ? 'transfer' : 'reassign', ref, to, ...(note ? { note } : {}) };
    }
    case 'followup':
    case 'follow-up':
      return { kind: 'followUp', ref: refOf(args[0], 'followup'), at: timeOf(args[1], now) };
    case 'priority': {
      const priority = Number(args[1]);
      if (!Number.isInteger(priority)) throw new UsageError('priority <#n|id> <an integer from -100 to 100>');
      return { kind: 'priority', ref: refOf(args[0], 'priority'), priority };
    }
    case 'history':
      return { kind: 'history', ref: refOf(args[0], 'history') };
    case 'status': {
      const [agentId, status] = args;
      if (!agentId || !status || !statuses.has(status)) throw new UsageError('status <agentId> online|away|offline');
      return { kind: 'agentStatus', agentId, status: status as 'online' | 'away' | 'offline' };
    }
    case 'sync':
    case 'ping':
    case 'list':
    case 'help':
    case 'quit':
      return { kind: word.toLowerCase() as 'sync' | 'ping' | 'list' | 'help' | 'quit' };
    case 'exit':
      return { kind: 'quit' };
    default:
      throw new UsageError(`unknown command ${word}; type help`);
  }
}

function refOf(word: string | undefined, command: string): ConversationRef {
  if (!word) throw new UsageError(`${command} needs a conversation: #n or its id`);
  if (/^#\d+$/.test(word)) return { index: Number(word.slice(1)) };
  return { id: word };
}

function targetOf(kind: string | undefined, name: string | undefined, command: string): Target {
  if ((kind !== 'queue' && kind !== 'agent') || !name) throw new UsageError(`${command} <#n|id> queue|agent <name> [note]`);
  return kind === 'queue' ? { queue: name } : { agentId: name };
}

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

function timeOf(word: string | undefined, now: Date): Date {
  const relative = word?.match(/^\+(\d+)([mhd])$/);
  if (relative) return new Date(now.getTime() + Number(relative[1]) * units[relative[2]!]!);
  const at = word ? new Date(word) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw new UsageError('followup <#n|id> <+30m|+2h|+1d|an ISO time such as 2030-01-15T09:00:00Z>');
  return at;
}
