import { describe, expect, it } from 'vitest';
import { listAgents, profileFromRequest, saveAgentProfile } from '../../shared/agent/admin.js';
import { registerConnection } from '../../shared/agent/connections.js';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import { ackSchemas, errorFrameSchema, serverFrameSchema } from '../../shared/contract/frames.js';
import { agentEnvelopeSchema, agentListSchema, genericOutboundBodySchema, historyPageSchema } from '../../shared/contract/http-bodies.js';
import { agentActionNames, type AgentActionName } from '../../shared/contract/routes.js';
import { readHistory } from '../../shared/conversation/history.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { online, say } from '../support/scenario.js';

/**
 * The schemas published in docs/asyncapi.json and docs/openapi.json (shared/contract/frames.ts,
 * http-bodies.ts) against what the code really sends: every action's answer, every frame pushed
 * on the way, a history page, the admin API's bodies and a reply to the generic channel. The
 * schemas are strict, so a field the code adds and the schemas do not name fails here.
 */
describe('the published schemas match what Tide sends', () => {
  it('every ack, error and pushed frame of a working session, and the HTTP bodies behind it', async () => {
    const outbound: unknown[] = [];
    const deps: TestDeps = await createTestDeps(
      {
        queues: { billing: {} },
        agents: [{ id: 'ann', name: 'Ann' }, { id: 'ben', queues: ['default', 'billing'] }],
        channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } },
        // No second routing passes nor second looks at the overview: nothing here lags.
        routing: { recheckAfterSeconds: 0 },
      },
      async (_url, init) => {
        outbound.push(JSON.parse(init.body));
        return { status: 200 };
      },
    );
    await online(deps, 'ann', 'ben');
    await registerConnection(deps, { connectionId: 'conn-sue', agentId: 'sue', role: 'supervisor' });
    const first = await say(deps, '+15550100', 'Where is my order?', { name: 'Ana' });
    const second = await say(deps, '+15550101', `${'A long story. '.repeat(60)}`);
    await say(deps, '+15550100', 'Any news?');

    const answers: Array<{ action: AgentActionName | 'bad'; answer: Record<string, unknown> }> = [];
    const act = async (frame: Record<string, unknown> | string, connectionId = 'conn-ann') => {
      const answer = (await performAgentAction(deps, { connectionId }, typeof frame === 'string' ? frame : JSON.stringify(frame))) as unknown as Record<string, unknown>;
      answers.push({ action: typeof frame === 'string' ? 'bad' : (frame.action as AgentActionName), answer });
      await deps.settle();
      return answer;
    };
    const holder = async (conversationId: string) => ((await deps.pusher.latestWorklist('conn-ann'))?.items.some((i) => i.conversationId === conversationId) ? 'conn-ann' : 'conn-ben');

    await act({ action: 'setStatus', status: 'online', requestId: 'r1' });
    await act({ action: 'sync', requestId: 'r2' });
    await act({ action: 'ping', requestId: 'r3' });
    const c1 = first.conversationId;
    const c2 = second.conversationId;
    const sent = await act({ action: 'send', conversationId: c1, text: 'It ships today.', requestId: 'r4' }, await holder(c1));
    expect(sent).toMatchObject({ type: 'ack', messageId: expect.any(String) });
    await deps.deliverDue();
    await act({ action: 'setPriority', conversationId: c2, priority: 7, requestId: 'r5' }, await holder(c2));
    await act({ action: 'followUp', conversationId: c2, at: new Date(deps.clock.now().getTime() + 3_600_000).toISOString(), requestId: 'r6' }, await holder(c2));
    const from = await holder(c1);
    await act({ action: 'transfer', conversationId: c1, agentId: from === 'conn-ann' ? 'ben' : 'ann', note: 'Wants a refund.', requestId: 'r7' }, from);
    await act({ action: 'sync', requestId: 's1' }, 'conn-sue');
    await act({ action: 'reassign', conversationId: c1, queue: 'billing', requestId: 's2' }, 'conn-sue');
    await act({ action: 'setAgentStatus', agentId: 'ann', status: 'away', requestId: 's3' }, 'conn-sue');
    await act({ action: 'close', conversationId: c2, requestId: 'r8' }, await holder(c2));
    // Refusals: not JSON, a bad field, another's conversation, a supervisor's action from an agent.
    await act('not json');
    await act({ action: 'setStatus', status: 'busy', requestId: 'e1' });
    await act({ action: 'close', conversationId: 'c_missing', requestId: 'e2' });
    await act({ action: 'setAgentStatus', agentId: 'ben', status: 'offline', requestId: 'e3' });
    await deps.overviews.idle();

    for (const { action, answer } of answers) {
      const schema = answer.type === 'ack' ? ackSchemas[action as AgentActionName] : errorFrameSchema;
      const parsed = schema.safeParse(answer);
      expect(parsed.success, `${action}: ${JSON.stringify(answer)}\n${parsed.error?.message}`).toBe(true);
    }
    const acked = new Set(answers.filter((a) => a.answer.type === 'ack').map((a) => a.action));
    expect([...acked].sort(), JSON.stringify(answers.filter((a) => a.answer.type === "error"))).toEqual([...agentActionNames].sort());
    expect(answers.filter((a) => a.answer.type === 'error').map((a) => a.answer.code)).toEqual(['invalid_request', 'invalid_request', 'not_found', 'forbidden']);

    const pushed = deps.pusher.frames.map((f) => f.frame);
    for (const frame of pushed) {
      const parsed = serverFrameSchema.safeParse(frame);
      expect(parsed.success, `${JSON.stringify(frame).slice(0, 400)}\n${parsed.error?.message}`).toBe(true);
    }
    expect(new Set(pushed.map((f) => f.type))).toEqual(new Set(['worklist', 'message', 'delivery', 'overview']));
    // The cut summary and the hand-over note are there to be checked.
    expect(pushed.some((f) => f.type === 'worklist' && JSON.stringify(f).includes('"transferNote":{'))).toBe(true);

    const page = await readHistory(deps, { agentId: 'sue', role: 'supervisor' }, c1, { limit: 2 });
    expect(page.next).not.toBeNull();
    for (const p of [page, await readHistory(deps, { agentId: 'sue', role: 'supervisor' }, c1, { limit: 50 })]) {
      const parsed = historyPageSchema.safeParse(p);
      expect(parsed.success, parsed.error?.message).toBe(true);
    }

    const agents = { agents: await listAgents(deps) };
    expect(agentListSchema.safeParse(agents).error).toBeUndefined();
    const saved = await saveAgentProfile(deps, profileFromRequest(deps.config, 'cat', JSON.stringify({ name: 'Cat', queues: ['billing'] })));
    expect(agentEnvelopeSchema.safeParse({ agent: saved.agent }).error).toBeUndefined();

    expect(outbound.length).toBeGreaterThan(0);
    for (const body of outbound) expect(genericOutboundBodySchema.safeParse(body).error).toBeUndefined();
  });
});
