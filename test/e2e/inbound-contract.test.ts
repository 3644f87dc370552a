import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../shared/channels/generic/signature.js';
import { mulberry32 } from '../../sim/prng.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/** Every row of DESIGN §4 "Inbound, generic channel", through real HTTP on `npm start`'s stack. */
let stack: RunningStack;
beforeAll(async () => {
  stack = await startStack({
    queues: { default: {}, billing: { priority: 2 } },
    agents: [],
    channels: { generic: { secret: 'test-secret' } },
  });
});
afterAll(async () => {
  expect(await stack.stop()).toBe(0);
});

const message = (id: string, extra: Record<string, unknown> = {}) => ({
  externalId: id,
  from: `+1555${id.replace(/\D/g, '').padStart(7, '0')}`,
  text: 'Hi',
  ...extra,
});

describe('POST /v1/messages', () => {
  it('accepts a signed message with 202 and the new ids', async () => {
    const res = await postMessage(stack.httpUrl, message('accept-1', { name: 'Ana' }));
    expect(res.status).toBe(202);
    expect(res.body.conversationId).toMatch(/^c_/);
    expect(res.body.messageId).toMatch(/^mi_/);
  });

  it('answers a repeated externalId with 200 and the same ids', async () => {
    const first = await postMessage(stack.httpUrl, message('dup-1'));
    const again = await postMessage(stack.httpUrl, message('dup-1', { text: 'different text' }));
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('stores concurrent duplicates once: one 202, the rest 200 with the same ids', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => postMessage(stack.httpUrl, message('race-1'))));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(11);
    expect(new Set(results.map((r) => r.body.conversationId)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.messageId)).size).toBe(1);
  });

  it('keeps one open conversation per customer: a second message joins the first', async () => {
    const a = await postMessage(stack.httpUrl, message('same-1', { from: '+15550999' }));
    const b = await postMessage(stack.httpUrl, message('same-2', { from: '+15550999' }));
    expect(b.status).toBe(202);
    expect(b.body.conversationId).toBe(a.body.conversationId);
    expect(b.body.messageId).not.toBe(a.body.messageId);
  });

  it('accepts the signature in upper-case hex', async () => {
    const raw = JSON.stringify(message('upper-1'));
    const signature = `sha256=${sign('test-secret', raw).slice('sha256='.length).toUpperCase()}`;
    expect((await postMessage(stack.httpUrl, raw, { signature })).status).toBe(202);
  });

  it.each([
    ['missing', 'sig-1', null],
    ['wrong secret', 'sig-2', sign('other-secret', JSON.stringify(message('sig-2')))],
    ['malformed', 'sig-3', 'sha256=zz'],
    ['bare hex without prefix', 'sig-4', sign('test-secret', JSON.stringify(message('sig-4'))).slice(7)],
  ])('refuses a %s signature with 401 invalid_signature and stores nothing', async (_label, id, signature) => {
    const res = await postMessage(stack.httpUrl, message(id), { signature });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('invalid_signature');
    // Nothing was stored: the same externalId, properly signed, is still new.
    expect((await postMessage(stack.httpUrl, message(id))).status).toBe(202);
  });

  it.each([
    ['not JSON', '{"externalId":'],
    ['a JSON array', '[]'],
    ['missing externalId', JSON.stringify({ from: '+1', text: 'Hi' })],
    ['missing from', JSON.stringify({ externalId: 'x1', text: 'Hi' })],
    ['missing text', JSON.stringify({ externalId: 'x2', from: '+1' })],
    ['empty text', JSON.stringify({ externalId: 'x3', from: '+1', text: '' })],
    ['text of the wrong type', JSON.stringify({ externalId: 'x4', from: '+1', text: 42 })],
    ['text over 4,096 characters', JSON.stringify({ externalId: 'x5', from: '+1', text: 'a'.repeat(4097) })],
    ['queue of the wrong type', JSON.stringify({ externalId: 'x6', from: '+1', text: 'Hi', queue: 7 })],
  ])('refuses %s with 400 invalid_request', async (_label, raw) => {
    const res = await postMessage(stack.httpUrl, raw);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_request');
    expect(typeof res.body.error?.message).toBe('string');
  });

  it('accepts text of exactly 4,096 characters, counting emoji as one', async () => {
    const res = await postMessage(stack.httpUrl, message('long-1', { text: '👍'.repeat(4096) }));
    expect(res.status).toBe(202);
  });

  it('refuses an unknown queue with 400 unknown_queue', async () => {
    const res = await postMessage(stack.httpUrl, message('q-1', { queue: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('unknown_queue');
    expect((await postMessage(stack.httpUrl, message('q-1', { queue: 'billing' }))).status).toBe(202);
  });

  it('refuses a body over 65,536 bytes with 413 payload_too_large', async () => {
    const raw = JSON.stringify(message('big-1', { padding: 'x'.repeat(65_536) }));
    const res = await postMessage(stack.httpUrl, raw);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('payload_too_large');
  });

  it('answers unknown routes with 404 and the error shape', async () => {
    const res = await fetch(`${stack.httpUrl}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers 1,200 fuzzed, signed bodies with a 2xx or a 4xx and its error shape, never a 500', { timeout: 60_000 }, async () => {
    const random = mulberry32(1200);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // Names that Object.prototype carries: looked up naively, they are "found".
    const tricky = ['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf', 'default', 'billing', '', ' '];
    const value = (depth = 0): unknown =>
      pick<() => unknown>([
        () => pick(tricky),
        () => 'x'.repeat(Math.floor(random() * 5000)),
        () => '🙂'.repeat(Math.floor(random() * 5000)),
        () => Math.floor(random() * 1e6) - 5e5,
        () => random() * 1e308 * (random() < 0.5 ? -1 : 1),
        () => random() < 0.5,
        () => null,
        () => (depth < 2 ? [value(depth + 1), value(depth + 1)] : []),
        () => (depth < 2 ? { [pick(tricky)]: value(depth + 1) } : {}),
      ])();
    const body = (i: number): string => {
      const fields: Record<string, unknown> = { externalId: `fuzz-${i}`, from: `+1555${i}`, text: 'Hi' };
      for (const key of ['externalId', 'from', 'text', 'queue', 'name', 'priority', pick(tricky)]) if (random() < 0.45) fields[key] = value();
      const raw = JSON.stringify(fields);
      // A quarter of them with `__proto__` as a real key, as JSON.parse makes it.
      return random() < 0.25 ? raw.replace(/^\{/, `{"__proto__":${JSON.stringify(value())},`) : raw;
    };
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 60; batch++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, j) => postMessage(stack.httpUrl, body(batch * 20 + j))));
      for (const answer of answers) {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect([200, 202, 400, 413]).toContain(answer.status);
        if (answer.status >= 400) expect(answer.body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
      }
    }
    // Both kinds were exercised.
    expect(statuses.get(202)).toBeGreaterThan(50);
    expect(statuses.get(400)).toBeGreaterThan(50);
  });
});
