import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentTokenVerifier, parseAlgorithms, tokenSettingsFromEnv, TokenSettingsError, type TokenSettings } from '../../shared/auth/agent-token.js';
import { environment } from '../../shared/runtime/environment.js';

/**
 * Pinned JWT algorithms: the verifier (used by the WebSocket authorizer and the bearer-token APIs)
 * against a real JWKS endpoint. The identity provider's keys are one RSA and one EC key, published
 * without `alg` (as many providers do), so only the pinned list stops an RSA key being used with
 * another RSA algorithm than the provider's.
 */
const issuer = 'https://idp.example.test/';
const audience = 'tide';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let server: Server;
let settings: TokenSettings;
beforeAll(async () => {
  const keys: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig' },
  ];
  server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  settings = { jwksUrl, issuer, audience, roleClaim: 'role', algorithms: ['RS256', 'ES256'] };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const claims = { role: 'agent' };
const signed = (alg: string, key: KeyObject | Uint8Array, kid?: string) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject('alice')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsecured JWT (`alg: none`, no signature), with claims that would otherwise pass. */
const unsigned = () =>
  `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, sub: 'alice', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 })}.`;

/** The public key's text, as an attacker holding only the JWKS has it. */
const publicKeyTexts = () => [
  rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  JSON.stringify(rsa.publicKey.export({ format: 'jwk' })),
];

describe('agent tokens: only the pinned algorithms', () => {
  it('accepts the provider’s own: RS256 and ES256', async () => {
    const verify = agentTokenVerifier(settings);
    expect(await verify(await signed('RS256', rsa.privateKey, 'rsa-1'))).toEqual({ agentId: 'alice', role: 'agent' });
    expect(await verify(await signed('ES256', ec.privateKey, 'ec-1'))).toEqual({ agentId: 'alice', role: 'agent' });
  });

  it('refuses alg none', async () => {
    await expect(agentTokenVerifier(settings)(unsigned())).rejects.toThrow();
  });

  it('refuses HS256 signed with the public key’s text (the algorithm-confusion forgery)', async () => {
    const verify = agentTokenVerifier(settings);
    for (const text of publicKeyTexts()) {
      await expect(verify(await signed('HS256', new TextEncoder().encode(text), 'rsa-1'))).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
    }
  });

  it('refuses another algorithm with the provider’s own RSA key (PS256, RS512), which only the pin stops', async () => {
    const verify = agentTokenVerifier(settings);
    for (const alg of ['PS256', 'RS512']) {
      const token = await signed(alg, rsa.privateKey, 'rsa-1');
      await expect(verify(token), alg).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
      // The same token passes a verifier that lists it: the refusal above is the pin's doing.
      expect(await agentTokenVerifier({ ...settings, algorithms: [alg as 'PS256'] })(token), alg).toMatchObject({ agentId: 'alice' });
    }
    await expect(verify(await signed('ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'ec-1'))).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('never verifies with none or an HMAC algorithm, however configured', () => {
    for (const list of [['none'], ['HS256'], ['RS256', 'HS512'], []] as const) {
      expect(() => agentTokenVerifier({ ...settings, algorithms: list as never }), list.join()).toThrow(TokenSettingsError);
    }
  });
});

describe('the algorithms from the environment (TOKEN_ALGORITHMS, written by the stack from tide:auth.algorithms)', () => {
  const env = (algorithms?: string) => ({
    [environment.jwksUrl]: 'https://idp.example.test/jwks.json',
    [environment.tokenIssuer]: issuer,
    [environment.tokenAudience]: audience,
    ...(algorithms !== undefined ? { [environment.tokenAlgorithms]: algorithms } : {}),
  });

  it('RS256 and ES256 when unset; the list otherwise; none or HS* fail the cold start', () => {
    expect(tokenSettingsFromEnv(env()).algorithms).toEqual(['RS256', 'ES256']);
    expect(tokenSettingsFromEnv(env('ES384, PS256')).algorithms).toEqual(['ES384', 'PS256']);
    expect(() => tokenSettingsFromEnv(env('HS256'))).toThrow(/refused: HS256/);
    expect(() => tokenSettingsFromEnv(env('RS256,none'))).toThrow(/refused: none/);
    expect(() => parseAlgorithms(' , ')).toThrow(TokenSettingsError);
  });
});

describe('the WebSocket authorizer (functions/ws-authorizer.ts)', () => {
  const event = (token: string) =>
    ({ queryStringParameters: { token }, methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/live/$connect' }) as unknown as APIGatewayRequestAuthorizerEvent;

  it('allows the pinned algorithm, answers Unauthorized to none, HS256-with-the-public-key and PS256', async () => {
    Object.assign(process.env, {
      [environment.jwksUrl]: settings.jwksUrl,
      [environment.tokenIssuer]: issuer,
      [environment.tokenAudience]: audience,
      [environment.tokenAlgorithms]: 'RS256',
    });
    // The handler reads its settings when loaded, as in a cold start.
    const { handler } = await import('../../functions/ws-authorizer.js');
    const allowed = await handler(event(await signed('RS256', rsa.privateKey, 'rsa-1')));
    expect(allowed).toMatchObject({ principalId: 'alice', context: { agentId: 'alice', role: 'agent' } });
    expect(allowed.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    const refused = [
      unsigned(),
      await signed('HS256', new TextEncoder().encode(publicKeyTexts()[0]!), 'rsa-1'),
      await signed('PS256', rsa.privateKey, 'rsa-1'),
      // ES256 is a default, but this stack pinned RS256 alone.
      await signed('ES256', ec.privateKey, 'ec-1'),
    ];
    for (const token of refused) await expect(handler(event(token))).rejects.toThrow('Unauthorized');
  });
});
