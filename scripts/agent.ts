/**
 * `npm run agent`: an agent (or supervisor) in a terminal, against `npm start`'s stack.
 *
 *   npm run agent -- [--agent alice] [--role agent|supervisor|admin] [--url http://127.0.0.1:3000] [--ws ws://127.0.0.1:3001]
 *
 * It takes a token from the local stack's `POST /dev/token` for every connection, connects with
 * the console's client (client/tide-client.ts: reconnects, pings, resyncs), prints work lists,
 * messages, delivery statuses and overviews as lines, and reads commands from standard input,
 * one a line, so it works typed or piped (`help` lists them). The end of input quits once the
 * commands before it are answered.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { TideClient, TideRequestError, type AckFrame, type WorklistFrame } from '../client/tide-client.js';
import type { HistoryPage } from '../shared/conversation/history.js';
import { helpText, parseCommand, UsageError, type Command, type ConversationRef } from './agent/commands.js';
import { deliveryLine, historyLines, messageLine, overviewLines, worklistLines } from './agent/render.js';

const { values: options } = parseArgs({
  options: {
    agent: { type: 'string', default: 'alice' },
    role: { type: 'string', default: 'agent' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT || 3000}` },
    ws: { type: 'string', default: `ws://127.0.0.1:${process.env.WS_PORT || 3001}` },
  },
});
const agentId = options.agent!;
const httpUrl = options.url!.replace(/\/$/, '');
const say = (...lines: string[]) => {
  for (const line of lines) process.stdout.write(`${line}\n`);
};

/** A refusal of the local stack's token route: no such agent, or no local stack there. */
class TokenError extends Error {
  override name = 'TokenError';
}

async function token(): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${httpUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agentId, role: options.role }) });
  } catch (error) {
    throw new TokenError(`no Tide at ${httpUrl} (is npm start running?)`, { cause: error });
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (res.status !== 200 || !body.token) throw new TokenError(`POST ${httpUrl}/dev/token answered ${res.status}: ${body.error?.message ?? 'no token'}`);
  return body.token;
}

const client = new TideClient({ url: options.ws!, token, WebSocket, events: {} });
/** The list last printed: what `#n` refers to. */
let shown: WorklistFrame | undefined;
let shownKey = '';
const serverNow = () => Date.now() + client.clockOffsetMs;

client.on('state', (state) => say(`connection: ${state}`));
client.on('worklist', (frame) => {
  // Every change pushes the whole list; print it only when it reads differently.
  const key = JSON.stringify({ agent: frame.agent, items: frame.items, omitted: frame.omitted });
  if (key === shownKey) return;
  shownKey = key;
  shown = frame;
  say(...worklistLines(frame, serverNow()));
});
client.on('message', (frame) => {
  const index = shown?.items.findIndex((i) => i.conversationId === frame.conversationId);
  say(messageLine(frame, index !== undefined && index >= 0 ? index + 1 : undefined));
});
client.on('delivery', (frame) => say(deliveryLine(frame)));
client.on('overview', (frame) => say(...overviewLines(frame, serverNow())));

/** Resolves once the client is live (it answers `sync`), or rejects after `ms`. */
function live(ms = 15_000): Promise<void> {
  if (client.state === 'live') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`not connected after ${ms / 1000} s`))), ms);
    const off = client.on('state', (state) => {
      if (state === 'live') (clearTimeout(timer), off(), resolve());
    });
  });
}

function conversationOf(ref: ConversationRef): string {
  if ('id' in ref) return ref.id;
  const item = shown?.items[ref.index - 1];
  if (!item) throw new UsageError(`no #${ref.index} in the last work list${shown ? ` (it has ${shown.items.length})` : ''}`);
  return item.conversationId;
}

const ackLine = (ack: AckFrame) => {
  const { type: _type, requestId: _id, now: _now, action, ...fields } = ack;
  const details = Object.entries(fields).map(([k, v]) => `${k} ${String(v)}`);
  return `ok ${action}${details.length ? `: ${details.join(', ')}` : ''}`;
};

async function history(conversationId: string): Promise<void> {
  const res = await fetch(`${httpUrl}/v1/conversations/${encodeURIComponent(conversationId)}?limit=200`, { headers: { authorization: `Bearer ${await token()}` } });
  const body = (await res.json()) as HistoryPage & { error?: { code: string; message: string } };
  if (res.status !== 200) return say(`error ${body.error?.code ?? res.status}: ${body.error?.message ?? ''}`);
  say(...historyLines(body));
}

/** Performs one command; false to stop. */
async function perform(command: Command): Promise<boolean> {
  switch (command.kind) {
    case 'none':
      return true;
    case 'help':
      say(helpText);
      return true;
    case 'quit':
      return false;
    case 'list':
      say(...(shown ? worklistLines(shown, serverNow()) : ['no work list yet']));
      return true;
    case 'history':
      await history(conversationOf(command.ref));
      return true;
  }
  await live();
  const ack = await (() => {
    switch (command.kind) {
      case 'status':
        return client.setStatus(command.status);
      case 'reply':
        return client.send(conversationOf(command.ref), command.text, command.closing ? { closing: true } : {});
      case 'close':
        return client.close(conversationOf(command.ref));
      case 'transfer':
        return client.transfer(conversationOf(command.ref), command.to, command.note);
      case 'followUp':
        return client.followUp(conversationOf(command.ref), command.at);
      case 'priority':
        return client.setPriority(conversationOf(command.ref), command.priority);
      case 'agentStatus':
        return client.setAgentStatus(command.agentId, command.status);
      case 'reassign':
        return client.reassign(conversationOf(command.ref), command.to, command.note);
      case 'sync':
        return client.sync();
      case 'ping':
        return client.request({ action: 'ping' });
    }
  })();
  say(ackLine(ack));
  return true;
}

async function run(line: string): Promise<boolean> {
  try {
    return await perform(parseCommand(line, new Date(serverNow())));
  } catch (error) {
    if (error instanceof TideRequestError) say(`error ${error.code}: ${error.message}`);
    else say(`error: ${(error as Error).message}`);
    return true;
  }
}

let stopped = false;
function stop(code = 0): void {
  if (stopped) return;
  stopped = true;
  client.stop();
  process.exit(code);
}

try {
  // Once up front, so that a wrong agent id or a stack that is not running says so and exits.
  await token();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
say(`${options.role} ${agentId} on ${options.ws} · type help for commands`);
client.start();

// Lines run one after another, each once the one before is answered.
let queue = Promise.resolve(true);
const input = createInterface({ input: process.stdin, terminal: false });
input.on('line', (line) => {
  queue = queue.then((going) => (going ? run(line) : false)).then((going) => (going ? true : (stop(0), false)));
});
input.on('close', () => void queue.then(() => stop(0)));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
