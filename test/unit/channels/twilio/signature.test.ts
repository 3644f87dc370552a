import { createHash } from 'node:crypto';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { expectedSignature, isValidTwilioSignature } from '../../../../shared/channels/twilio/signature.js';

/** twilio-node's published vectors (spec/validation.spec.js, spec/unit/webhooks/webhooks.spec.js; research channels.md §1.3). */
const token = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

describe('expectedSignature: the published vectors', () => {
  it('the URL as given', () => {
    expect(expectedSignature(token, url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('the same URL with :443, and http with :80', () => {
    expect(expectedSignature(token, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params)).toBe('kvajT1Ptam85bY51eRf/AJRuM3w=');
    expect(expectedSignature(token, 'http://mycompany.com:80/myapp.php?foo=1&bar=2', params)).toBe('0ZXoZLH/DfblKGATFgpif+LLRf4=');
  });

  it("the query with Body=It's+amazing, escaped as WHATWG writes it", () => {
    expect(expectedSignature(token, `${url}&Body=It%27s+amazing`, params)).toBe('TfZzewPq8wqrGlMfyAud8+/IvJ0=');
  });

  it('a repeated field contributes each value, sorted, whatever order it came in', () => {
    expect(expectedSignature(token, url, { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] })).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
    expect(expectedSignature(token, url, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] })).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
    // Distinct values only, as twilio-node's Set has it.
    expect(expectedSignature(token, url, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx', '+1415xxxxxxx'] })).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
  });

  it('a JSON body: the URL with its bodySHA256 and no fields', () => {
    const bodySHA256 = createHash('sha256').update('{"property": "value", "boolean": true}').digest('hex');
    expect(bodySHA256).toMatch(/^0a1ff763.*6620$/);
    expect(expectedSignature(token, `${url}&bodySHA256=${bodySHA256}`, {})).toBe('a9nBmqA0ju/hNViExpshrM61xv4=');
  });

  it('depends on the token, the URL, every name and every value', () => {
    const base = expectedSignature(token, url, params);
    expect(expectedSignature('54321', url, params)).not.toBe(base);
    expect(expectedSignature(token, `${url}&x=1`, params)).not.toBe(base);
    expect(expectedSignature(token, url, { ...params, Digits: '1235' })).not.toBe(base);
    expect(expectedSignature(token, url, { ...params, Extra: '' })).not.toBe(base);
  });
});

describe('isValidTwilioSignature', () => {
  it('accepts the published signatures on their URLs', () => {
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(true);
    expect(isValidTwilioSignature(token, '83O6e2vORAoJHUNzJjDWN1jz+BA=', url, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] })).toBe(true);
  });

  it('accepts a signature made with the default port on the URL without it, and the other way round', () => {
    expect(isValidTwilioSignature(token, 'kvajT1Ptam85bY51eRf/AJRuM3w=', url, params)).toBe(true);
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params)).toBe(true);
    expect(isValidTwilioSignature(token, '0ZXoZLH/DfblKGATFgpif+LLRf4=', 'http://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(true);
  });

  it('keeps a port that is not the default: it is part of the address', () => {
    const signedWithout = expectedSignature(token, 'https://mycompany.com/myapp.php', params);
    const signedWith = expectedSignature(token, 'https://mycompany.com:8443/myapp.php', params);
    expect(isValidTwilioSignature(token, signedWithout, 'https://mycompany.com:8443/myapp.php', params)).toBe(false);
    expect(isValidTwilioSignature(token, signedWith, 'https://mycompany.com/myapp.php', params)).toBe(false);
    expect(isValidTwilioSignature(token, signedWith, 'https://mycompany.com:8443/myapp.php', params)).toBe(true);
    // 443 is only https's default: on http it is a port like any other.
    expect(isValidTwilioSignature(token, expectedSignature(token, 'http://mycompany.com/a', params), 'http://mycompany.com:443/a', params)).toBe(false);
  });

  it("accepts an apostrophe in the query signed escaped (%27) or as received", () => {
    const raw = `${url}&Body=It's+amazing`;
    expect(isValidTwilioSignature(token, 'TfZzewPq8wqrGlMfyAud8+/IvJ0=', raw, params)).toBe(true);
    expect(isValidTwilioSignature(token, expectedSignature(token, raw, params), raw, params)).toBe(true);
  });

  it('refuses a missing, empty, truncated or foreign signature, and a changed field', () => {
    expect(isValidTwilioSignature(token, undefined, url, params)).toBe(false);
    expect(isValidTwilioSignature(token, '', url, params)).toBe(false);
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8', url, params)).toBe(false);
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=x', url, params)).toBe(false);
    expect(isValidTwilioSignature('54321', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(false);
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, { ...params, Digits: '9999' })).toBe(false);
    expect(isValidTwilioSignature(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', 'https://mycompany.com/myapp.php?foo=1&bar=3', params)).toBe(false);
    expect(isValidTwilioSignature('', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(false);
  });
});

/** A small seeded generator, so a failure reproduces. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What customers and Twilio put in fields: the characters form encoding and sorting trip over. */
const alphabet = [...'abcXYZ019 +&=\'%?#/.:;,!"<>', 'ä', 'Ö', 'ß', '€', '—', '中', '文', '😀', '🛑', '\n', '\t'];

describe('agrees with twilio-node on random requests', () => {
  const random = mulberry32(20_260_101);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const text = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(alphabet)).join('');
  const name = () => pick(['Body', 'From', 'To', 'MessageSid', 'MediaUrl0', 'ProfileName', 'body', 'Äpfel', '😀x', 'a.b', 'A']) + text(3);

  const cases = Array.from({ length: 300 }, () => {
    const params: Record<string, string | string[]> = {};
    for (let i = Math.floor(random() * 8); i > 0; i--) {
      params[name()] = random() < 0.2 ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(['x', 'y', text(6)])) : text(20);
    }
    const host = pick(['tide.example.com', 'tide.example.com:443', 'TIDE.example.com']);
    const query = random() < 0.5 ? `?tideMessageId=${encodeURIComponent(text(8))}` : '';
    return { token: text(10) || 't', url: `https://${host}/v1/channels/twilio/status${query}`, params };
  });

  it('computes the same signature as getExpectedTwilioSignature', () => {
    for (const c of cases) expect(expectedSignature(c.token, c.url, c.params)).toBe(getExpectedTwilioSignature(c.token, c.url, c.params));
  });

  it('accepts and refuses what validateRequest accepts and refuses', () => {
    let accepted = 0;
    for (const [i, c] of cases.entries()) {
      const otherPort = c.url.includes(':443/') ? c.url.replace(':443/', '/') : c.url.replace('.com/', '.com:443/');
      const signedOn = i % 2 === 0 ? c.url : otherPort;
      const good = getExpectedTwilioSignature(c.token, signedOn, c.params);
      const tampered = getExpectedTwilioSignature(c.token, signedOn, { ...c.params, Injected: 'x' });
      const flipped = `${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`;
      for (const signature of [good, tampered, flipped]) {
        const theirs = validateRequest(c.token, signature, c.url, c.params);
        expect(isValidTwilioSignature(c.token, signature, c.url, c.params)).toBe(theirs);
        if (theirs) accepted++;
      }
    }
    // Every good signature is accepted, and only those.
    expect(accepted).toBe(cases.length);
  });
});
