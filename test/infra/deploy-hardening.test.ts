import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { httpThrottleDefaults, webSocketThrottleDefaults } from '../../infra/constructs/throttling.js';
import { applyEnvironmentFile, refuseUnworkable, TideStack, tideSettingsFromContext, UnworkableDeploymentError } from '../../infra/tide-stack.js';
import { httpRoutes, webSocketRoutes } from '../../shared/contract/routes.js';
import { environment } from '../../shared/runtime/environment.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

const auth = { issuer: 'https://idp.example.com/', audience: 'tide', jwksUrl: 'https://idp.example.com/jwks.json' };
const channels = { generic: { secretId: 'tide/prod/generic' } };
const agents = [{ id: 'alice' }];

/** The settings as infra/app.ts reads them (the stage's file from `dir`), and what synth would refuse. */
function settingsOf(context: Record<string, unknown> = {}, dir?: string) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  if (dir) applyEnvironmentFile(app, dir);
  const settings = tideSettingsFromContext(app);
  refuseUnworkable(settings);
  return { app, settings };
}

/** The app as infra/app.ts builds it (the stack under its settings' name), minus esbuild. Slow: a second or so. */
function construct(context: Record<string, unknown> = {}, dir?: string) {
  const { app, settings } = settingsOf(context, dir);
  const stack = new TideStack(app, settings.stackName, { settings });
  return { app, stack, settings };
}

function build(context: Record<string, unknown> = {}, dir?: string) {
  const built = construct(context, dir);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** What synth says when it refuses: the message of the error `construct` throws. */
function refusal(context: Record<string, unknown>): string {
  try {
    settingsOf(context);
  } catch (error) {
    expect(error).toBeInstanceOf(UnworkableDeploymentError);
    return (error as Error).message;
  }
  throw new Error('synth did not refuse');
}

const resources = (t: Template, type: string) => t.findResources(type) as Record<string, Resource>;
const stageOf = (t: Template, name: string) => Object.entries(resources(t, 'AWS::ApiGatewayV2::Stage')).find(([, s]) => s.Properties.StageName === name)!;
const routeIds = (t: Template, keys: readonly string[]) =>
  Object.entries(resources(t, 'AWS::ApiGatewayV2::Route'))
    .filter(([, r]) => keys.includes(r.Properties.RouteKey as string))
    .map(([id]) => id);

// The only two stacks built here: the default one, and one with every setting changed.
const { template } = build();
const acl = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/tide-console/0f0e0d0c-0b0a-4009-8800-112233445566';
const changed = build({
  'tide:stage': 'prod',
  'tide:config': { channels },
  'tide:auth': { ...auth, algorithms: ['ES384'] },
  'tide:httpThrottle': { rateLimit: 1000, burstLimit: 6000, routes: { 'POST /v1/messages': { rateLimit: 1500, burstLimit: 3000 }, 'GET /v1/admin/agents': { rateLimit: 2 } } },
  // As `cdk -c` passes them: JSON strings.
  'tide:webSocketThrottle': JSON.stringify({ routes: { send: { rateLimit: 20, burstLimit: 40 } } }),
  'tide:secretRotationGraceHours': '2',
  'tide:consoleWebAclArn': acl,
});

describe('cdk synth refuses a configuration that cannot work, saying how to fix it', () => {
  it('the default configuration (cdk.json, stage dev) still synthesizes', () => {
    expect(Object.keys(resources(template, 'AWS::Lambda::Function')).length).toBeGreaterThan(10);
  });

  it('no channel configured', () => {
    const message = refusal({ 'tide:config': { agents } });
    expect(message).toMatch(/No channel is configured: every inbound message would be refused/);
    expect(message).toMatch(/Add one under "channels".*"generic": \{ "secretId"/);
  });

  it('no agents and no admin API (no tide:auth to issue an admin token); either one is enough', () => {
    const message = refusal({ 'tide:config': { channels } });
    expect(message).toMatch(/No agent is configured and tide:auth is not set/);
    expect(message).toMatch(/List agents under "agents".*or set tide:auth/);
    expect(() => settingsOf({ 'tide:config': { channels }, 'tide:auth': auth })).not.toThrow();
    expect(() => settingsOf({ 'tide:config': { channels, agents } })).not.toThrow();
  });

  it('tide:auth missing for a production stage (any stage but dev)', () => {
    const message = refusal({ 'tide:stage': 'prod', 'tide:config': { channels, agents } });
    expect(message).toMatch(/Stage prod is a production stage and tide:auth is not set/);
    expect(message).toMatch(/-c 'tide:auth=\{"issuer".*environments\/prod\.json/);
    expect(refusal({ 'tide:stage': 'staging', 'tide:config': { channels, agents } })).toMatch(/Stage staging is a production stage/);
  });

  it('every problem at once, and a production stage gets no example configuration', () => {
    const message = refusal({ 'tide:stage': 'prod' });
    expect(message.match(/^ {2}- /gm)).toHaveLength(3);
  });

  it('a production stage configured for real synthesizes, as its own stack Tide-<stage>', () => {
    expect(changed.settings).toMatchObject({ stage: 'prod', production: true, stackName: 'Tide-prod' });
    expect(changed.stack.stackName).toBe('Tide-prod');
    expect(settingsOf({ 'tide:stage': 'prod', 'tide:stackName': 'Tide', 'tide:config': { channels }, 'tide:auth': auth }).settings.stackName).toBe('Tide');
    expect(() => settingsOf({ 'tide:stage': 'Prod!' })).toThrow(/tide:stage must be a short lower-case name/);
    expect(() => settingsOf({ 'tide:stackName': '1tide' })).toThrow(/tide:stackName must be a CloudFormation stack name/);
  });

  it('the app prints only the message and exits 1 (no stack trace to dig through)', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = (() => {
      try {
        execFileSync('npx', ['tsx', 'infra/app.ts'], {
          cwd: path.resolve(import.meta.dirname, '../..'),
          env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'tide:stage': 'prod', 'tide:config': { agents } }), CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'tide-out-')) },
          stdio: 'pipe',
        });
      } catch (error) {
        const e = error as { status: number; stderr: Buffer };
        return { status: e.status, stderr: e.stderr.toString('utf8') };
      }
      return { status: 0, stderr: '' };
    })();
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/No channel is configured/);
    expect(out.stderr).toMatch(/Stage prod is a production stage/);
    expect(out.stderr).not.toMatch(/ at .*tide-stack\.ts/);
  });
});

describe('per-environment context files (environments/<stage>.json)', () => {
  const withFile = (stage: string, values: unknown) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-env-'));
    mkdirSync(path.join(dir, 'environments'));
    writeFileSync(path.join(dir, 'environments', `${stage}.json`), JSON.stringify(values));
    return dir;
  };
  const prodFile = { 'tide:config': { channels, agents }, 'tide:auth': auth, 'tide:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:file-topic' };

  it('the stage chooses the file; its keys apply', () => {
    const dir = withFile('prod', prodFile);
    const { settings } = settingsOf({ 'tide:stage': 'prod' }, dir);
    expect(settings.auth.issuer).toBe(auth.issuer);
    expect(settings.config.agents.map((a) => a.id)).toEqual(['alice']);
    expect(settings.alarmTopicArn).toMatch(/file-topic$/);
    // Stage dev reads environments/dev.json, which this directory does not have.
    expect(settingsOf({}, dir).settings.configIsExample).toBe(true);
  });

  it('the command line wins key by key; a configuration given there in either form replaces the file’s', () => {
    const dir = withFile('prod', prodFile);
    const topic = 'arn:aws:sns:eu-west-1:123456789012:cli-topic';
    const configFile = path.join(dir, 'cli-config.json');
    writeFileSync(configFile, JSON.stringify({ channels, agents: [{ id: 'bob' }] }));
    const { settings } = settingsOf({ 'tide:stage': 'prod', 'tide:alarmTopicArn': topic, 'tide:configFile': configFile }, dir);
    expect(settings.alarmTopicArn).toBe(topic);
    expect(settings.config.agents.map((a) => a.id)).toEqual(['bob']);
    expect(settings.auth.issuer).toBe(auth.issuer);
  });

  it('an unknown key or the stage itself in the file is refused', () => {
    expect(() => settingsOf({ 'tide:stage': 'prod' }, withFile('prod', { ...prodFile, 'tide:alarmTopicARN': 'x' }))).toThrow(/sets tide:alarmTopicARN: an environment file may set only/);
    expect(() => settingsOf({ 'tide:stage': 'prod' }, withFile('prod', { 'tide:stage': 'dev' }))).toThrow(/sets tide:stage/);
    expect(() => settingsOf({ 'tide:stage': 'prod' }, withFile('prod', ['tide:auth']))).toThrow(/one JSON object/);
  });
});

describe('throttling (tide:httpThrottle, tide:webSocketThrottle)', () => {
  const consoleKeys = httpRoutes.filter((r) => r.auth === 'bearer' && !r.path.startsWith('/v1/admin/')).map((r) => `${r.method} ${r.path}`);
  const adminKeys = httpRoutes.filter((r) => r.path.startsWith('/v1/admin/')).map((r) => `${r.method} ${r.path}`);

  it('the HTTP API stage has default limits; console and admin routes their own, and the stage waits for those routes', () => {
    const [, stage] = stageOf(template, '$default');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: httpThrottleDefaults.stage.rateLimit,
      ThrottlingBurstLimit: httpThrottleDefaults.stage.burstLimit,
    });
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    expect(Object.keys(settings).sort()).toEqual([...consoleKeys, ...adminKeys].sort());
    for (const key of consoleKeys) expect(settings[key]).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    for (const key of adminKeys) expect(settings[key]).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    // The webhooks run at the stage's limits.
    expect(settings['POST /v1/messages']).toBeUndefined();
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds(template, [...consoleKeys, ...adminKeys])));
  });

  it('the WebSocket stage has default limits and $connect its own', () => {
    const [, stage] = stageOf(template, 'live');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: webSocketThrottleDefaults.stage.rateLimit, ThrottlingBurstLimit: webSocketThrottleDefaults.stage.burstLimit });
    expect(stage.Properties.RouteSettings).toEqual({ $connect: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds(template, ['$connect'])));
  });

  it('context changes the stage, a route (one limit keeps the other), and adds routes', () => {
    const t = changed.template;
    const [, http] = stageOf(t, '$default');
    expect(http.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 6000 });
    expect(http.Properties.RouteSettings['POST /v1/messages']).toEqual({ ThrottlingRateLimit: 1500, ThrottlingBurstLimit: 3000 });
    expect(http.Properties.RouteSettings['GET /v1/admin/agents']).toEqual({ ThrottlingRateLimit: 2, ThrottlingBurstLimit: 20 });
    expect(http.DependsOn).toEqual(expect.arrayContaining(routeIds(t, ['POST /v1/messages'])));
    const [, ws] = stageOf(t, 'live');
    expect(ws.Properties.RouteSettings).toEqual({ $connect: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }, send: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
  });

  it('refuses unknown routes and impossible limits; warns above the account quota', () => {
    expect(() => settingsOf({ 'tide:httpThrottle': { routes: { 'POST /v1/message': { rateLimit: 1 } } } })).toThrow(/"POST \/v1\/message", which the API does not have; its routes are: POST \/v1\/messages/);
    expect(() => settingsOf({ 'tide:webSocketThrottle': { routes: { sendMessage: { rateLimit: 1 } } } })).toThrow(/tide:webSocketThrottle.routes names "sendMessage"/);
    expect(() => settingsOf({ 'tide:httpThrottle': { rateLimit: 0 } })).toThrow(/invalid context tide:httpThrottle/);
    expect(() => settingsOf({ 'tide:httpThrottle': { burstLimit: 1.5 } })).toThrow(/invalid context tide:httpThrottle/);
    expect(() => settingsOf({ 'tide:httpThrottle': { rate: 10 } })).toThrow(/invalid context tide:httpThrottle/);
    // A burst of 6,000 is over the account's 5,000.
    Annotations.fromStack(changed.stack).hasWarning('/Tide-prod', Match.stringLikeRegexp('tide:throttle-above-account-quota'));
    Annotations.fromStack(changed.stack).hasWarning('/Tide-prod', Match.stringLikeRegexp('tide:httpThrottle: the stage'));
  });

  it('the route keys it knows are the contract’s', () => {
    expect(() => settingsOf({ 'tide:webSocketThrottle': { routes: Object.fromEntries(webSocketRoutes.actionRouteKeys.map((k) => [k, { rateLimit: 5 }])) } })).not.toThrow();
  });
});

describe('pinned JWT algorithms and the secret rotation grace reach every function', () => {
  const varsOf = (t: Template) =>
    Object.values(resources(t, 'AWS::Lambda::Function'))
      .filter((f) => String(f.Properties.Description).startsWith('Tide '))
      .map((f) => f.Properties.Environment.Variables as Record<string, string>);

  it('RS256 and ES256 by default, tide:auth.algorithms otherwise; none and HS* are refused at synth', () => {
    for (const vars of varsOf(template)) expect(vars[environment.tokenAlgorithms]).toBe('RS256,ES256');
    for (const vars of varsOf(changed.template)) expect(vars[environment.tokenAlgorithms]).toBe('ES384');
    for (const alg of ['none', 'HS256', 'rs256']) {
      expect(() => settingsOf({ 'tide:auth': { ...auth, algorithms: [alg] } }), alg).toThrow(/invalid context tide:auth:\n {2}algorithms\.0: an algorithm is one of RS256/);
    }
    expect(() => settingsOf({ 'tide:auth': { ...auth, algorithms: [] } })).toThrow(/tide:auth/);
  });

  it('24 hours of grace by default, tide:secretRotationGraceHours otherwise', () => {
    for (const vars of varsOf(template)) expect(vars[environment.secretGraceSeconds]).toBe(String(24 * 3600));
    for (const vars of varsOf(changed.template)) expect(vars[environment.secretGraceSeconds]).toBe('7200');
    expect(() => settingsOf({ 'tide:secretRotationGraceHours': -1 })).toThrow(/tide:secretRotationGraceHours must be a number of hours/);
  });
});

describe('WAF: optional web ACL on the console (an HTTP API cannot take one)', () => {
  const distribution = (t: Template) => Object.values(resources(t, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;

  it('none by default; tide:consoleWebAclArn attaches it, and cdk-nag needs no acknowledgment for it then', () => {
    expect(distribution(template).WebACLId).toBeUndefined();
    expect(distribution(changed.template).WebACLId).toBe(acl);
    Validations.of(changed.app).addPlugins(new AwsSolutionsChecks(changed.app));
    expect(() => changed.app.synth()).not.toThrow();
  });

  it('only a CloudFront-scope ACL (us-east-1, global/) is accepted', () => {
    expect(() => settingsOf({ 'tide:consoleWebAclArn': acl.replace('us-east-1', 'eu-west-1') })).toThrow(/scope CLOUDFRONT/);
    expect(() => settingsOf({ 'tide:consoleWebAclArn': acl.replace('global/', 'regional/') })).toThrow(/scope CLOUDFRONT/);
  });
});
