import { describe, expect, it } from 'vitest';
import { parseGenericInbound } from '../../shared/channels/generic/inbound-request.js';
import { isValidSignature, sign } from '../../shared/channels/generic/signature.js';
import { parseConfig } from '../../shared/config/schema.js';

const config = parseConfig({ channels: { generic: { secret: 'k' } } });
const request = (body: unknown, secret = 'k') => {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { rawBody, signature: sign(secret, rawBody) };
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('generic channel signature', () => {
  it('verifies HMAC-SHA256 of the raw bytes, in either hex case', () => {
    const sig = sign('k', 'body');
    expect(isValidSignature('k', 'body', sig)).toBe(true);
    expect(isValidSignature('k', 'body', `sha256=${sig.slice(7).toUpperCase()}`)).toBe(true);
    expect(isValidSignature('k', 'body ', sig)).toBe(false);
    expect(isValidSignature('other', 'body', sig)).toBe(false);
    expect(isValidSignature('k', 'body', undefined)).toBe(false);
    expect(isValidSignature('k', 'body', 'sha1=abc')).toBe(false);
  });
});

describe('parseGenericInbound', () => {
  it('defaults the queue and keeps the fields', () => {
    expect(parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: 'Hi', name: 'Ana' }))).toEqual({
      channel: 'generic', externalId: 'e', from: '+1', text: 'Hi', queue: 'default', name: 'Ana', priority: undefined,
    });
    expect(parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: 'Hi', priority: 2 })).priority).toBe(2);
    expect(codeOf(() => parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: 'Hi', priority: 'high' })))).toBe('invalid_request');
  });

  it('checks size before signature, signature before JSON, JSON before fields, fields before queue', () => {
    const huge = request({ externalId: 'e', from: '+1', text: 'x'.repeat(70_000) });
    expect(codeOf(() => parseGenericInbound(config, 'k', { ...huge, signature: 'bad' }))).toBe('payload_too_large');
    expect(codeOf(() => parseGenericInbound(config, 'k', { ...request('not json'), signature: undefined }))).toBe('invalid_signature');
    expect(codeOf(() => parseGenericInbound(config, 'k', request('not json')))).toBe('invalid_request');
    expect(codeOf(() => parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: 'Hi', queue: 'x' })))).toBe('unknown_queue');
    expect(codeOf(() => parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: '   ' })))).toBe('invalid_request');
  });

  it('refuses every message when no channel secret is configured', () => {
    const open = parseConfig({});
    expect(open.channels.generic).toBeUndefined();
    expect(codeOf(() => parseGenericInbound(open, undefined, request({ externalId: 'e', from: '+1', text: 'Hi' })))).toBe('invalid_signature');
  });
});

describe('parseConfig', () => {
  it('fills defaults and always has a default queue', () => {
    const c = parseConfig({ queues: { sales: { slaSeconds: 30 } }, agents: [{ id: 'a' }] });
    expect(c.queues.default).toEqual({
      slaSeconds: 120,
      inactiveAfterSeconds: 600,
      autoCloseAfterSeconds: 86400,
      priority: 0,
      adaptiveInactivity: { multiplier: 2, minSeconds: 90, maxSeconds: 180, longFirstWaitSeconds: 300 },
    });
    expect(parseConfig({ queues: { default: { adaptiveInactivity: false } } }).queues.default!.adaptiveInactivity).toBe(false);
    expect(c.queues.sales!.slaSeconds).toBe(30);
    expect(c.agents[0]).toMatchObject({ queues: ['default'], preferredConcurrency: 3, maxLoad: 5 });
  });

  it.each([
    [{ queues: { default: { slaSeconds: 0 } } }, 'slaSeconds'],
    [{ queues: { default: { slaSeconds: 1.5 } } }, 'slaSeconds'],
    [{ agents: [{ id: 'a', preferredConcurrency: 4, maxLoad: 2 }] }, 'maxLoad'],
    [{ agents: [{ id: 'a', queues: ['nope'] }] }, 'unknown queue'],
    [{ agents: [{ id: 'a' }, { id: 'a' }] }, 'twice'],
    [{ surprise: true }, 'surprise'],
    [{ channels: { generic: { secret: 'a', secretId: 'b' } } }, 'exactly one'],
    [{ channels: { generic: {} } }, 'exactly one'],
  ])('refuses %j, naming the problem', (input, problem) => {
    expect(() => parseConfig(input)).toThrow(problem);
  });
});

describe('queue names are looked up as configured queues only', () => {
  it.each(['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty'])('"%s" is unknown_queue', (queue) => {
    expect(codeOf(() => parseGenericInbound(config, 'k', request({ externalId: 'e', from: '+1', text: 'hi', queue })))).toBe('unknown_queue');
  });
});
