import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { closeConversation } from '../../shared/conversation/commands.js';
import { eraseCustomer } from '../../shared/customer/erasure.js';
import { exportCustomer } from '../../shared/customer/export.js';
import { customerRefOf, type CustomerRef } from '../../shared/customer/records.js';
import { logger } from '../../shared/runtime/logger.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { answer, conversation, indexesCaughtUp, online, say } from '../support/scenario.js';

/**
 * An administrator's export and erasure of a customer's data (docs/data.md) against DynamoDB
 * Local, with the change stream's follow-ups run as deployed (`settle`): what the export holds,
 * that an erasure leaves nothing of the customer in any table while the agent who held their
 * conversation is released as by any close, and that its log lines carry no customer data.
 */
const config = {
  retention: { messageDays: 30 },
  agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }],
  channels: { generic: { secret: 's' } },
};
const ana: CustomerRef = { channel: 'generic', customerId: '+15550100' };

const scanAll = async (deps: TestDeps) => {
  const scan = async (table: string) => ((await deps.db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []) as Array<Record<string, unknown>>;
  return { conversations: await scan(deps.tables.conversations), messages: await scan(deps.tables.messages), customers: await scan(deps.tables.customers) };
};

/** Ana: one closed conversation and one open, held by Ann; Ben, another customer, waits in the queue. */
async function anaAndBen(deps: TestDeps) {
  await online(deps, 'ann');
  const first = await say(deps, ana.customerId, 'my card was charged twice', { name: 'Ana' });
  deps.clock.advance(30);
  await answer(deps, 'ann', first.conversationId, 'refunded, sorry!');
  await closeConversation(deps, 'ann', first.conversationId);
  deps.clock.advance(3600);
  const second = await say(deps, ana.customerId, 'and my address changed', { name: 'Ana' });
  deps.clock.advance(30);
  await answer(deps, 'ann', second.conversationId, 'what is the new one?');
  deps.clock.advance(30);
  await say(deps, ana.customerId, '1 Main St');
  const ben = await say(deps, '+15550199', 'hello, anyone?');
  await indexesCaughtUp();
  return { first: first.conversationId, second: second.conversationId, ben: ben.conversationId };
}

// One day of Ana's and Ben's, which the tests below read, then erase: they run in this order.
let deps: TestDeps;
let ids: Awaited<ReturnType<typeof anaAndBen>>;
beforeAll(async () => {
  deps = await createTestDeps(config);
  ids = await anaAndBen(deps);
});
afterEach(() => {
  logger.setLogLevel('SILENT');
  vi.restoreAllMocks();
});

describe('export', () => {
  it('is the customer item, every conversation oldest first and every message, in the history API’s shapes; nobody else’s', async () => {
    const exported = await exportCustomer(deps, ana, 'root');
    expect(exported.customer).toEqual({ channel: 'generic', id: '+15550100', optedOut: false, optedOutAt: null, expiresAt: null });
    expect(exported.conversations.map((c) => [c.conversation.conversationId, c.conversation.state])).toEqual([
      [ids.first, 'closed'],
      [ids.second, 'active'],
    ]);
    const [closed, open] = exported.conversations;
    expect(closed!.conversation).toMatchObject({ customer: { id: '+15550100', name: 'Ana' }, closedAt: expect.any(String), expiresAt: expect.any(String) });
    expect(Date.parse(closed!.conversation.expiresAt!) - Date.parse(closed!.conversation.closedAt!)).toBe(30 * 86_400_000);
    expect(closed!.messages.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'my card was charged twice'],
      ['out', 'refunded, sorry!'],
    ]);
    expect(open!.conversation).toMatchObject({ assignedTo: 'ann', closedAt: null, expiresAt: null });
    expect(open!.messages.map((m) => m.text)).toEqual(['and my address changed', 'what is the new one?', '1 Main St']);
    // With its delivery status (no outboundUrl here, so the reply failed).
    expect(open!.messages[1]).toMatchObject({ direction: 'out', agentId: 'ann', media: [], status: 'failed', error: { code: 'channel_not_configured' } });
    expect(JSON.stringify(exported)).not.toContain('anyone?');
  });

  it('is not_found for a customer of whom nothing is stored, and the same id on another channel is another customer', async () => {
    await expect(exportCustomer(deps, { channel: 'sms', customerId: ana.customerId }, 'root')).rejects.toMatchObject({ code: 'not_found' });
    await expect(exportCustomer(deps, { channel: 'generic', customerId: '+1999' }, 'root')).rejects.toMatchObject({ code: 'not_found' });
    expect(() => customerRefOf({ channel: 'fax', customerId: '1' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => customerRefOf({ channel: 'sms', customerId: 'x'.repeat(257) })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('erasure', () => {
  it('closes the open conversation through the state machine, releases its agent, and leaves nothing of the customer', async () => {
    // Ann's one slot is Ana's; Ben waits.
    expect((await getAgent(deps, 'ann'))!.active).toBe(1);
    expect((await conversation(deps, ids.ben)).state).toBe('queued');
    const before = await scanAll(deps);

    logger.setLogLevel('INFO');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    const report = await eraseCustomer(deps, ana, 'root');
    vi.restoreAllMocks();
    logger.setLogLevel('SILENT');

    expect(report).toMatchObject({ closed: 1, conversations: 2, messages: 5, customerItem: true, erasureId: expect.stringMatching(/^er_/) });
    await deps.settle();

    // Nothing of Ana's in any table: no item names her, no message is in her conversations.
    const after = await scanAll(deps);
    const hers = (item: Record<string, unknown>) =>
      JSON.stringify(item).includes('+15550100') || [ids.first, ids.second].includes(item.conversationId as string);
    expect(after.conversations.filter(hers)).toEqual([]);
    expect(after.messages.filter(hers)).toEqual([]);
    expect(after.customers.filter(hers)).toEqual([]);
    // Ben's data is untouched.
    expect(after.customers).toEqual(before.customers.filter((c) => !hers(c)));
    expect(after.messages).toEqual(before.messages.filter((m) => !hers(m)));

    // Ann is released as by any close: her freed slot is routed to Ben, her work list shows only him.
    const ann = (await getAgent(deps, 'ann'))!;
    expect(Object.keys(ann.holds)).toEqual([ids.ben]);
    expect(ann.active).toBe(1);
    expect((await conversation(deps, ids.ben))).toMatchObject({ state: 'active', assignedTo: 'ann' });
    expect(deps.pusher.latestWorklist('conn-ann')!.items.map((i) => i.conversationId)).toEqual([ids.ben]);

    // Every step is logged, with the erasure id and counts, and none of her data.
    const logged = lines.join('');
    for (const step of ['customer erasure started', 'open conversation closed', 'customer item deleted', 'conversation deleted', 'customer erasure done']) {
      expect(logged, step).toContain(step);
    }
    expect(logged).toContain(report.erasureId);
    for (const secret of ['+15550100', '15550100', 'Ana', 'charged twice', 'Main St', 'address']) expect(logged, secret).not.toContain(secret);
  });

  it('again, or an export after it: not_found, since nothing of theirs is left; her conversations’ timers find nothing to do', async () => {
    await indexesCaughtUp();
    await expect(eraseCustomer(deps, ana, 'root')).rejects.toMatchObject({ code: 'not_found' });
    await expect(exportCustomer(deps, ana, 'root')).rejects.toMatchObject({ code: 'not_found' });
    deps.clock.advance(7 * 86_400);
    await deps.fireDue();
    const left = await scanAll(deps);
    expect(left.conversations.map((c) => c.conversationId)).not.toContain(ids.second);
    expect((await getAgent(deps, 'ann'))!.active).toBe(left.conversations.filter((c) => c.assignedTo === 'ann' && c.state === 'active').length);
  });
});
