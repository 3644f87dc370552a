import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DefaultStackSynthesizer, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { Concern, logicalIdOf } from './concern.js';

/** How the deployed console signs in (written into its config.json; console/src/auth/oidc.ts). */
export interface ConsoleSignIn {
  /** The OpenID provider's issuer (also `tide:auth`'s issuer, whose tokens Tide verifies). */
  issuer: string;
  /** The console's client id at the provider (a public client: PKCE, no secret). */
  clientId: string;
  /** Scopes asked for; `openid` is always added. */
  scopes: readonly string[];
  /** The claim carrying the role, as `tide:auth` says. */
  roleClaim: string;
}

export interface ConsoleSiteProps {
  /**
   * The built console (console/build.ts, `buildConsoleSync`): its HTML pages (`index.html`,
   * `supervisor/index.html`) and content-hashed files under `assets/`.
   */
  siteDir: string;
  /** Base URL of the HTTP API (history, administration), e.g. the `$default` stage's URL. */
  httpApiUrl: string;
  /** The agents' WebSocket URL (`wss://…/<stage>`). */
  webSocketUrl: string;
  signIn: ConsoleSignIn;
  /**
   * Origins of the provider's endpoints that are not on the issuer's origin (Cognito's token
   * endpoint is on its hosted-UI domain, not on `cognito-idp…`): the pages may connect to them.
   * @default none
   */
  identityProviderOrigins?: readonly string[];
  /** Queues the console offers as transfer targets (suggestions; Tide checks). @default none */
  queues?: readonly string[];
  /**
   * Folders of the build not to publish, e.g. `customer/` (the customer page is local only).
   * @default none
   */
  unpublished?: readonly string[];
  /**
   * An AWS WAF web ACL (scope CLOUDFRONT, so created in us-east-1, by ARN) in front of the site:
   * rate-based and managed rules for the pages. The APIs are not behind it (an HTTP API cannot take
   * a web ACL; docs/deploy.md). @default none
   */
  webAclArn?: string;
}

/**
 * The console as a static site: a private S3 bucket read only by one CloudFront distribution
 * (origin access control), HTTPS only, strict security headers on every answer, the pages at
 * `/` and `/supervisor`, and `/config.json` telling the pages where the APIs are and how to sign
 * in. Content-hashed assets are cached for a year and never deleted by a deployment (a tab still
 * open on the previous version can load its lazy chunks); pages and config.json are revalidated
 * and the cache is invalidated after each deployment.
 *
 * The Content-Security-Policy comes twice, and browsers enforce both. The response header (all
 * directives, frame-ancestors among them) can name the HTTP API only by its region's wildcard:
 * the API's CORS allows this distribution's origin, so a header naming the API itself would make
 * the API and the distribution depend on each other. Each page therefore also carries a `<meta>`
 * policy naming exactly the API, the socket and the provider, written at deployment time.
 */
export class ConsoleSite extends Concern {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution domain>`: the console's origin (CORS) and address. */
  readonly url: string;
  /** The Content-Security-Policy of the response headers, and the one each page carries. */
  readonly headerPolicy: string;
  readonly pagePolicy: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    if (!existsSync(join(props.siteDir, 'index.html'))) throw new Error(`ConsoleSite: ${props.siteDir} holds no index.html (build the console first)`);
    const stack = Stack.of(this);

    this.bucket = new s3.Bucket(this, 'ConsoleBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only the public console build, written by CloudFormation deployments (in CloudTrail) and read only by ' +
        'the CloudFront distribution; server access logs would record nothing but CloudFront fetching static files.',
    });

    const idpOrigins = [originOf(props.signIn.issuer), ...(props.identityProviderOrigins ?? [])];
    const socketOrigin = originOf(props.webSocketUrl);
    const policy = (connect: string[], whole: boolean) =>
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self' ${connect.join(' ')}`,
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        // Only a header can say these two (a <meta> policy ignores them).
        ...(whole ? ["frame-ancestors 'none'", 'upgrade-insecure-requests'] : []),
      ].join('; ');
    this.headerPolicy = policy([`https://*.execute-api.${stack.region}.${stack.urlSuffix}`, socketOrigin, ...idpOrigins], true);
    this.pagePolicy = policy([originOf(props.httpApiUrl), socketOrigin, ...idpOrigins], false);

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: 'Tide console: strict CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.headerPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()', override: true },
        ],
      },
    });

    // `/supervisor` and `/supervisor/` are `supervisor/index.html` (the default root object covers `/` only).
    const pagePaths = new cloudfront.Function(this, 'ConsolePagePaths', {
      comment: 'Tide console: extension-less paths to their index.html',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(pagePathsFunction),
    });

    this.distribution = new cloudfront.Distribution(this, 'ConsoleDistribution', {
      comment: 'Tide console',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: pagePaths, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        compress: true,
      },
      webAclId: props.webAclArn,
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Agents and supervisors work from wherever the business has them; which countries is not for the stack to guess.',
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'The site is static files behind CloudFront; every API call it makes goes to API Gateway, which verifies a ' +
          'token on each. A WAF web ACL would be a fixed monthly cost protecting only public files; a business that ' +
          'wants one sets context tide:consoleWebAclArn.',
      });
    }
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Static, public files and no customer data: the APIs the console calls keep their own access logs. ' +
          'CloudFront standard logging also needs an ACL-enabled bucket, which the account may not allow.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'No custom domain is configured, so the distribution uses the *.cloudfront.net certificate, for which ' +
          'CloudFront does not let the minimum TLS version be set; viewers are redirected to HTTPS.',
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}`;

    const site = publishedFiles(props.siteDir, props.unpublished ?? []);
    // Hashed names: cacheable forever, and never pruned, so no open tab loses a chunk it may still load.
    const assets = new s3deploy.BucketDeployment(this, 'ConsoleAssets', {
      sources: [s3deploy.Source.asset(join(props.siteDir, 'assets'))],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'assets/',
      prune: false,
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
    });
    const config = {
      httpUrl: props.httpApiUrl,
      wsUrl: props.webSocketUrl,
      auth: { mode: 'oidc', issuer: props.signIn.issuer, clientId: props.signIn.clientId, scopes: [...props.signIn.scopes], roleClaim: props.signIn.roleClaim },
      queues: [...(props.queues ?? [])],
    };
    const pages = new s3deploy.BucketDeployment(this, 'ConsolePages', {
      sources: [
        ...site.pages.map((page) => s3deploy.Source.data(page.path, withPagePolicy(page.html, this.pagePolicy))),
        s3deploy.Source.jsonData('config.json', config),
      ],
      destinationBucket: this.bucket,
      // Pages of an earlier build go; assets stay (see above).
      prune: true,
      exclude: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });
    // New pages name new assets: those must be there first.
    pages.node.addDependency(assets);

    // BucketDeployment's provider: one function per stack for every deployment, with its role.
    const qualifier = (stack.synthesizer as { bootstrapQualifier?: string }).bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!provider) throw new Error('ConsoleSite: no BucketDeployment provider function found to acknowledge');
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The BucketDeployment provider's own function (CDK): besides copying the build it only writes its logs.",
      },
      ...[
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        `Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`,
      ].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'Added by BucketDeployment (CDK): read the objects of the CDK assets bucket, where the build is staged.',
      })),
      ...['Action::s3:Abort*', 'Action::s3:DeleteObject*', `Resource::<${logicalIdOf(this.bucket)}.Arn>/*`].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'Added by BucketDeployment (CDK): write and prune the objects of the console bucket, and only of it.',
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Added by BucketDeployment (CDK) for the invalidation: cloudfront:CreateInvalidation and GetInvalidation take no narrower resource.',
      },
      { id: 'AwsSolutions-L1', reason: "The BucketDeployment provider's runtime is chosen by aws-cdk-lib, which is kept up to date." },
    );
  }
}

/**
 * Viewer-request function (cloudfront-js-2.0): a path ending in `/` or whose last segment has no
 * extension is a page, served from its `index.html`.
 */
export const pagePathsFunction = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = uri + '/index.html';
  }
  return request;
}`;

/** `scheme://host[:port]` of a URL, also when it is a deploy-time token (an API's URL). */
export function originOf(url: string): string {
  if (!Token.isUnresolved(url)) return new URL(url).origin;
  const parts = Fn.split('/', url);
  return Fn.join('', [Fn.select(0, parts), '//', Fn.select(2, parts)]);
}

/** The page with a `<meta>` CSP right after its charset (before anything that could load). */
export function withPagePolicy(html: string, policy: string): string {
  const charset = /<meta charset="utf-8">/i.exec(html);
  if (!charset) throw new Error('ConsoleSite: a page has no <meta charset="utf-8">');
  const at = charset.index + charset[0].length;
  return `${html.slice(0, at)}\n<meta http-equiv="Content-Security-Policy" content="${policy}">${html.slice(at)}`;
}

/** The built pages to publish (every HTML file outside `assets/` and the unpublished folders). */
function publishedFiles(siteDir: string, unpublished: readonly string[]): { pages: Array<{ path: string; html: string }> } {
  const pages: Array<{ path: string; html: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(siteDir, full).split(sep).join('/');
      if (path === 'assets' || unpublished.some((prefix) => `${path}/`.startsWith(prefix.replace(/\/?$/, '/')))) continue;
      if (entry.isDirectory()) walk(full);
      else if (path.endsWith('.html')) pages.push({ path, html: readFileSync(full, 'utf8') });
      // Anything else belongs under assets/ (hashed, cached): the build puts nothing else here.
      else throw new Error(`ConsoleSite: ${path} is neither a page nor under assets/`);
    }
  };
  walk(siteDir);
  return { pages };
}
