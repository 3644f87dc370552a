import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidMetaSignature } from '../../../../shared/channels/meta/signature.js';
import { fixture } from './meta-requests.js';

const secret = 'meta-app-secret';
const hmacHex = (body: Buffer, key = secret) => createHmac('sha256', key).update(body).digest('hex');

describe('isValidMetaSignature', () => {
  it('accepts a known vector: HMAC-SHA256 of the raw bytes under the app secret', () => {
    const body = Buffer.from('{"object":"page","entry":[]}', 'utf8');
    // Computed here with createHmac, and pinned (openssl dgst -sha256 -hmac meta-app-secret gives the same).
    const hex = hmacHex(body);
    expect(hex).toBe('5dcb51eb590634700c8d9cc1fde4d2d5981ca7bb83f250eb3fb71bfd849057ed');
    expect(isValidMetaSignature(secret, body, `sha256=${hex}`)).toBe(true);
    expect(isValidMetaSignature('another-secret', body, `sha256=${hex}`)).toBe(false);
    expect(isValidMetaSignature(secret, Buffer.from('{"object":"page","entry":[] }'), `sha256=${hex}`)).toBe(false);
  });

  it('verifies an escaped-unicode body over its bytes, and refuses the same JSON re-serialised', () => {
    const raw = fixture('whatsapp-text.json');
    expect(raw.toString('latin1')).toContain('J\\u00f6rg');
    const header = `sha256=${hmacHex(raw)}`;
    expect(isValidMetaSignature(secret, raw, header)).toBe(true);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
    expect(reserialised.toString('utf8')).toContain('Jörg');
    expect(isValidMetaSignature(secret, reserialised, header)).toBe(false);
  });

  it('accepts upper-case hex and surrounding spaces', () => {
    const body = fixture('messenger-text.json');
    expect(isValidMetaSignature(secret, body, `sha256=${hmacHex(body).toUpperCase()}`)).toBe(true);
    expect(isValidMetaSignature(secret, body, ` sha256=${hmacHex(body)} `)).toBe(true);
  });

  it('refuses a missing, legacy sha1, truncated or non-hex header', () => {
    const body = fixture('messenger-text.json');
    const hex = hmacHex(body);
    expect(isValidMetaSignature(secret, body, undefined)).toBe(false);
    expect(isValidMetaSignature(secret, body, '')).toBe(false);
    expect(isValidMetaSignature(secret, body, `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`)).toBe(false);
    expect(isValidMetaSignature(secret, body, hex)).toBe(false);
    expect(isValidMetaSignature(secret, body, `sha256=${hex.slice(0, 62)}`)).toBe(false);
    expect(isValidMetaSignature(secret, body, `sha256=${'z'.repeat(64)}`)).toBe(false);
    expect(isValidMetaSignature(secret, body, `SHA256=${hex}`)).toBe(false);
  });

  it('refuses everything under an empty app secret', () => {
    const body = Buffer.from('{}');
    expect(isValidMetaSignature('', body, `sha256=${hmacHex(body, '')}`)).toBe(false);
  });
});
