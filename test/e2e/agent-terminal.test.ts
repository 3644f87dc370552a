import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyPageSchema } from '../../shared/contract/http-bodies.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * `npm run agent` (scripts/agent.ts) as a user would run it, against `npm start`'s stack, with
 * its commands piped in: it prints the customer's message, and its reply reaches the
 * conversation (read back through the history API).
 */
let stack: RunningStack;
let agent: ChildProcess;
let output = '';
let exited: Promise<number | null>;

/** Resolves with the first match in the script's output so far or to come. */
async function printed(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output.match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`never printed ${pattern}; printed:\n${output}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const type = (line: string) => agent.stdin!.write(`${line}\n`);

beforeAll(async () => {
  stack = await startStack({ agents: [{ id: 'alice', name: 'Alice' }], channels: { generic: { secret: 'test-secret' } } });
  agent = spawn(process.execPath, ['--import', 'tsx', 'scripts/agent.ts', '--agent', 'alice', '--url', stack.httpUrl, '--ws', stack.wsUrl], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => agent.once('exit', (code) => resolve(code)));
});
afterAll(async () => {
  if (agent.exitCode === null) agent.kill('SIGTERM');
  expect(await stack.stop()).toBe(0);
});

describe('npm run agent', () => {
  it('shows the customer’s message, sends the typed reply, and quits at the end of its input', async () => {
    await printed(/connection: live/);
    type('online');
    await printed(/ok setStatus: status online/);

    const posted = await postMessage(stack.httpUrl, { externalId: 'terminal-1', from: '+15550177', name: 'Ana', text: 'Where is my parcel?' });
    expect(posted.status).toBe(202);
    const conversationId = posted.body.conversationId!;
    // Its work-list row, numbered for the commands.
    await printed(new RegExp(`#1 ${conversationId} · active · waiting on you · generic \\+15550177 \\(Ana\\) · SLA \\d+:\\d\\d · priority 0 · < "Where is my parcel\\?"`));

    type(`reply #1 It ships today.`);
    const [, ackedConversation, messageId] = await printed(/ok send: conversationId (\S+), messageId (\S+)/);
    expect(ackedConversation).toBe(conversationId);

    const token = await AgentClient.token(stack.httpUrl, 'sue', 'supervisor');
    const res = await fetch(`${stack.httpUrl}/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const page = historyPageSchema.parse(await res.json());
    expect(page.messages.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'Where is my parcel?'],
      ['out', 'It ships today.'],
    ]);
    expect(page.messages[1]).toMatchObject({ id: messageId, agentId: 'alice' });

    // The last command is answered before the end of input ends the script.
    agent.stdin!.end('close #1\n');
    expect(await exited).toBe(0);
    expect(output).toMatch(new RegExp(`ok close: conversationId ${conversationId}`));
  });
});
