import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConsoleSite, type ConsoleSiteProps } from '../../infra/constructs/console-site.js';
import { TideStack, tideSettingsFromContext } from '../../infra/tide-stack.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

/** A built console as console/build.ts lays it out (the real build is used with the Tide stack below). */
function placeholderSite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tide-site-'));
  const page = (title: string) =>
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n<script type="module" src="/assets/agent-AB12CD34.js"></script>\n</head>\n<body></body>\n</html>\n`;
  for (const [path, contents] of [
    ['index.html', page('Agent')],
    ['supervisor/index.html', page('Supervisor')],
    ['customer/index.html', page('Customer')],
    ['assets/agent-AB12CD34.js', 'export {}'],
  ] as const) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

const siteProps = (over: Partial<ConsoleSiteProps> = {}): ConsoleSiteProps => ({
  siteDir: placeholderSite(),
  httpApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
  webSocketUrl: 'wss://ws456.execute-api.eu-west-1.amazonaws.com/prod',
  signIn: { issuer: 'https://idp.example.com/tenant/', clientId: 'tide-console', scopes: ['openid', 'profile'], roleClaim: 'tide_role' },
  identityProviderOrigins: ['https://login.idp.example.com'],
  queues: ['default', 'vip'],
  unpublished: ['customer/'],
  ...over,
});

function siteStack(props: ConsoleSiteProps = siteProps()) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tide-cdk-')), context: cdkJson.context });
  const stack = new Stack(app, 'Site');
  const site = new ConsoleSite(stack, 'Console', props);
  return { app, stack, site, template: Template.fromStack(stack) };
}

/**
 * Evaluates the intrinsics CDK writes (Join, Split, Select, Sub of pseudo parameters) into a string,
 * with `eu-west-1`/`amazonaws.com` for the region and suffix and `<Id>`/`<Id.Attr>` for resources.
 */
function render(value: unknown): any {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(render);
  const v = value as Record<string, any>;
  if ('Ref' in v) return ({ 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012' } as Record<string, string>)[v.Ref] ?? `<${v.Ref}>`;
  if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'].join('.')}>`;
  if ('Fn::Join' in v) return (render(v['Fn::Join'][1]) as string[]).join(v['Fn::Join'][0]);
  if ('Fn::Split' in v) return (render(v['Fn::Split'][1]) as string).split(v['Fn::Split'][0]);
  if ('Fn::Select' in v) return (render(v['Fn::Select'][1]) as string[])[Number(v['Fn::Select'][0])];
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
}

const only = (template: Template, type: string): [string, Resource] => {
  const found = Object.entries(template.findResources(type) as Record<string, Resource>);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const deployments = (template: Template) => Object.entries(template.findResources('Custom::CDKBucketDeployment') as Record<string, Resource>);

/** What a BucketDeployment puts in the bucket: its sources' staged files, markers replaced as at deploy time. */
function deployedFiles(app: App, template: Template, deployment: Resource): Record<string, string> {
  const out = app.synth().directory;
  const files: Record<string, string> = {};
  deployment.Properties.SourceObjectKeys.forEach((key: string, i: number) => {
    const markers = render(deployment.Properties.SourceMarkers?.[i] ?? {}) as Record<string, string>;
    const dir = join(out, `asset.${key.replace(/\.zip$/, '')}`);
    const walk = (d: string, prefix: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
        else {
          let text = readFileSync(join(d, e.name), 'utf8');
          for (const [marker, value] of Object.entries(markers)) text = text.split(marker).join(value);
          files[`${deployment.Properties.DestinationBucketKeyPrefix ?? ''}${prefix}${e.name}`] = text;
        }
      }
    };
    walk(dir, '');
  });
  void template;
  return files;
}

describe('ConsoleSite: S3 behind CloudFront', () => {
  const { app, template } = siteStack();

  it('keeps the bucket private (all public access blocked, owner-enforced, encrypted, TLS only) and reads it through OAC', () => {
    const [bucketId, bucket] = only(template, 'AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    const [oacId, oac] = only(template, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
    const [origin] = distribution.Properties.DistributionConfig.Origins;
    expect(distribution.Properties.DistributionConfig.Origins).toHaveLength(1);
    expect(origin).toMatchObject({ DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] }, OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('lets only this distribution read the bucket, and refuses every request without TLS 1.2', () => {
    const [bucketId] = only(template, 'AWS::S3::Bucket');
    const [distributionId] = only(template, 'AWS::CloudFront::Distribution');
    const [, policy] = only(template, 'AWS::S3::BucketPolicy');
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(render(allows[0])).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: `<${bucketId}.Arn>/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': `arn:aws:cloudfront::123456789012:distribution/<${distributionId}>` } },
    });
    const denies = statements.filter((s) => s.Effect === 'Deny').map((s) => s.Condition);
    expect(denies).toEqual(expect.arrayContaining([{ Bool: { 'aws:SecureTransport': 'false' } }, { NumericLessThan: { 's3:TlsVersion': 1.2 } }]));
  });

  it('redirects HTTP to HTTPS, serves index.html at / and resolves /supervisor to its page', () => {
    const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties.DistributionConfig;
    expect(config).toMatchObject({ DefaultRootObject: 'index.html', Enabled: true });
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    const [fnId, fn] = only(template, 'AWS::CloudFront::Function');
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // Run the function's code as CloudFront would, on the paths a browser asks for.
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (e: { request: { uri: string } }) => { uri: string };
    const rewrite = (uri: string) => handler({ request: { uri } }).uri;
    expect(rewrite('/')).toBe('/index.html');
    expect(rewrite('/supervisor')).toBe('/supervisor/index.html');
    expect(rewrite('/supervisor/')).toBe('/supervisor/index.html');
    expect(rewrite('/assets/agent-AB12CD34.js')).toBe('/assets/agent-AB12CD34.js');
    expect(rewrite('/config.json')).toBe('/config.json');
  });

  it('sends a strict CSP (no inline script; connections only to the APIs and the provider), HSTS for two years with preload, and no framing or sniffing', () => {
    const [headersId, headers] = only(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
    expect(distribution.Properties.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: headersId });
    const security = headers.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = render(security.ContentSecurityPolicy.ContentSecurityPolicy) as string;
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(directives['connect-src']).toEqual([
      "'self'",
      'https://*.execute-api.eu-west-1.amazonaws.com',
      'wss://ws456.execute-api.eu-west-1.amazonaws.com',
      'https://idp.example.com',
      'https://login.idp.example.com',
    ]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(security.ContentSecurityPolicy.Override).toBe(true);
    expect(security.StrictTransportSecurity).toEqual({ AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Preload: true, Override: true });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  });

  it('publishes config.json and the pages (each naming the exact API origin in its own CSP), not the customer page; assets cached forever and never pruned', () => {
    const all = deployments(template);
    expect(all).toHaveLength(2);
    const [, assets] = all.find(([, d]) => d.Properties.DestinationBucketKeyPrefix === 'assets/')!;
    const [pagesId, pages] = all.find(([, d]) => d.Properties.DestinationBucketKeyPrefix === undefined)!;
    expect(assets.Properties).toMatchObject({ Prune: false, SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' } });
    expect(pages.Properties).toMatchObject({ Prune: true, Exclude: ['assets/*'], SystemMetadata: { 'cache-control': 'no-cache' }, DistributionPaths: ['/*'] });
    expect(pages.Properties.DistributionId).toEqual({ Ref: only(template, 'AWS::CloudFront::Distribution')[0] });
    expect(pages.DependsOn).toEqual(expect.arrayContaining([all.find(([, d]) => d === assets)![0]]));
    void pagesId;

    const files = deployedFiles(app, template, pages);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'index.html', 'supervisor/index.html']);
    expect(JSON.parse(files['config.json']!)).toEqual({
      httpUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
      wsUrl: 'wss://ws456.execute-api.eu-west-1.amazonaws.com/prod',
      auth: { mode: 'oidc', issuer: 'https://idp.example.com/tenant/', clientId: 'tide-console', scopes: ['openid', 'profile'], roleClaim: 'tide_role' },
      queues: ['default', 'vip'],
    });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(files['supervisor/index.html']!);
    expect(meta?.[1]).toContain(
      "connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com wss://ws456.execute-api.eu-west-1.amazonaws.com https://idp.example.com https://login.idp.example.com;",
    );
    // Before the script, so it governs it.
    expect(files['index.html']!.indexOf('Content-Security-Policy')).toBeLessThan(files['index.html']!.indexOf('<script'));
    expect(deployedFiles(app, template, assets)).toEqual({ 'assets/agent-AB12CD34.js': 'export {}' });
  });

  it('refuses a directory that holds no built console', () => {
    expect(() => siteStack(siteProps({ siteDir: mkdtempSync(join(tmpdir(), 'empty-')) }))).toThrow(/no index.html/);
  });
});

describe('the console in the Tide stack', () => {
  const auth = { issuer: 'https://idp.example.com/', audience: 'tide-console', jwksUrl: 'https://idp.example.com/jwks.json', roleClaim: 'tide_role' };
  const context = (extra: Record<string, unknown> = {}) => ({
    ...cdkJson.context,
    'aws:cdk:bundling-stacks': [],
    'tide:auth': auth,
    'tide:console': { clientId: 'tide-console', scopes: ['openid', 'email', 'offline_access'] },
    ...extra,
  });
  const build = (extra: Record<string, unknown> = {}) => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tide-cdk-')), context: context(extra) });
    const stack = new TideStack(app, 'Tide', { settings: tideSettingsFromContext(app) });
    return { app, stack, template: Template.fromStack(stack) };
  };
  const { app, stack, template } = build();

  it('writes the real API and socket URLs and the OIDC client into config.json, and the API lets the console origin call it', () => {
    const [, pages] = deployments(template).find(([, d]) => d.Properties.DestinationBucketKeyPrefix === undefined)!;
    const files = deployedFiles(app, template, pages);
    const httpApiId = stack.getLogicalId(stack.httpApi.node.defaultChild as never);
    const wsApiId = stack.getLogicalId(stack.webSocketApi.node.defaultChild as never);
    expect(JSON.parse(files['config.json']!)).toEqual({
      httpUrl: `https://<${httpApiId}>.execute-api.eu-west-1.amazonaws.com/`,
      wsUrl: `wss://<${wsApiId}>.execute-api.eu-west-1.amazonaws.com/${render(stack.resolve(stack.webSocketStage.stageName))}`,
      auth: { mode: 'oidc', issuer: auth.issuer, clientId: 'tide-console', scopes: ['openid', 'email', 'offline_access'], roleClaim: 'tide_role' },
      queues: ['default'],
    });
    // The real build: both pages, the exact API origin in their policy; the customer page stays local.
    expect(Object.keys(files).sort()).toEqual(['config.json', 'index.html', 'supervisor/index.html']);
    expect(files['index.html']).toContain(`connect-src 'self' https://<${httpApiId}>.execute-api.eu-west-1.amazonaws.com wss://<${wsApiId}>.execute-api.eu-west-1.amazonaws.com https://idp.example.com;`);

    const api = Object.values(template.findResources('AWS::ApiGatewayV2::Api') as Record<string, Resource>).find((a) => a.Properties.ProtocolType === 'HTTP')!;
    const distributionId = stack.getLogicalId(stack.consoleSite.distribution.node.defaultChild as never);
    expect(render(api.Properties.CorsConfiguration.AllowOrigins)).toEqual([`https://<${distributionId}.DomainName>`]);
    template.hasOutput('ConsoleUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] } });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('tide:console'));
  });

  it('has no dependency cycle, though the API names the distribution (CORS) and the distribution the socket (CSP)', () => {
    // CloudFormation refuses a template whose resources depend on each other in a circle (CDK does not check).
    const all = template.toJSON().Resources as Record<string, Resource>;
    const refsOf = (value: unknown, out = new Set<string>()): Set<string> => {
      if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k === 'Ref' && typeof v === 'string' && v in all) out.add(v);
          else if (k === 'Fn::GetAtt') out.add((v as string[])[0]!);
          else refsOf(v, out);
        }
      }
      return out;
    };
    const edges = new Map(Object.entries(all).map(([id, r]) => [id, new Set([...refsOf(r.Properties), ...(r.DependsOn ?? [])])]));
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]): void => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...path, id].join(' → ')}`);
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
      state.set(id, 'done');
    };
    expect(() => Object.keys(all).forEach((id) => visit(id, []))).not.toThrow();
    // And the check finds one: the header naming the API itself would close the circle.
    const headersId = stack.getLogicalId(stack.node.findAll().find((c) => c.node.id === 'ConsoleHeaders')!.node.defaultChild as never);
    const httpApiId = stack.getLogicalId(stack.httpApi.node.defaultChild as never);
    edges.get(headersId)!.add(httpApiId);
    state.clear();
    expect(() => Object.keys(all).forEach((id) => visit(id, []))).toThrow(/cycle/);
  });

  it('warns about a missing tide:console and an audience the ID token will not carry; refuses bad settings', () => {
    const placeholder = build({ 'tide:console': undefined });
    Annotations.fromStack(placeholder.stack).hasWarning('*', Match.stringLikeRegexp('tide:console-not-configured'));
    const mismatch = build({ 'tide:console': { clientId: 'another-client' } });
    Annotations.fromStack(mismatch.stack).hasWarning('*', Match.stringLikeRegexp('tide:console-audience'));
    expect(() => build({ 'tide:console': { clientId: '' } })).toThrow(/tide:console/);
    expect(() => build({ 'tide:console': { clientId: 'c', identityProviderOrigins: ['http://idp.example.com'] } })).toThrow(/tide:console/);
    expect(() => build({ 'tide:console': { clientId: 'c', secret: 'x' } })).toThrow(/tide:console/);
  });

  it('passes cdk-nag: every finding on the site is fixed or acknowledged with a reason', () => {
    const nagged = new App({ outdir: mkdtempSync(join(tmpdir(), 'tide-cdk-')), context: context() });
    new TideStack(nagged, 'Tide', { settings: tideSettingsFromContext(nagged) });
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    expect(() => nagged.synth()).not.toThrow();
  });

  it('an unacknowledged finding on a site still fails synth (the check above can fail)', () => {
    const nagged = new App({ outdir: mkdtempSync(join(tmpdir(), 'tide-cdk-')), context: cdkJson.context });
    const bare = new Stack(nagged, 'Bare');
    new ConsoleSite(bare, 'Console', siteProps());
    // A bucket next to it that nobody vouched for (no TLS-only policy, no logs).
    new Bucket(bare, 'Loose');
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    expect(() => nagged.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10/);
  });
});
