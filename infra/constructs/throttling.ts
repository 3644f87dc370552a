import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import type { HttpRoute } from '../../shared/contract/routes.js';

/**
 * API Gateway throttling (a token bucket per stage and per route): `rateLimit` requests a second
 * on average, `burstLimit` at once. Above it callers get `429 Too Many Requests`: providers and
 * the console retry, and nothing reaches the functions or the tables.
 */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** A stage's throttling: its default for every route, and the routes (by route key) that differ. */
export interface StageThrottling {
  stage: Throttle;
  routes: Readonly<Record<string, Throttle>>;
}

/**
 * API Gateway's default quota per account and Region, shared by every API of the account (REST,
 * HTTP and WebSocket): a stage or route set above it is throttled at the account level first.
 */
export const accountQuota: Throttle = { rateLimit: 10_000, burstLimit: 5_000 };

/**
 * The HTTP API's defaults. The channels' webhooks take the stage's: sized to what the tables
 * absorb at once on demand (about 13 write units a message). The console's APIs are a person's
 * clicks: less; the admin API less still (a script gone wrong should not crowd out the webhooks).
 */
export const httpThrottleDefaults = {
  stage: { rateLimit: 200, burstLimit: 400 },
  console: { rateLimit: 50, burstLimit: 100 },
  admin: { rateLimit: 10, burstLimit: 20 },
} as const satisfies Record<string, Throttle>;

/**
 * The WebSocket API's defaults: agent actions (sends, status changes, syncs, pings) at the stage's;
 * `$connect` (the authorizer and a write per connection) lower, with a burst for a whole team
 * reconnecting at once, which the clients' jittered backoff spreads over seconds anyway.
 */
export const webSocketThrottleDefaults = {
  stage: { rateLimit: 100, burstLimit: 200 },
  connect: { rateLimit: 50, burstLimit: 100 },
} as const satisfies Record<string, Throttle>;

/** The HTTP API's route key of a route, as API Gateway and `tide:httpThrottle.routes` name it. */
export const httpRouteKey = (route: Pick<HttpRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Per-route defaults, from what a route is (the routes themselves are declared in shared/contract/routes.ts). */
export function defaultHttpThrottling(routes: readonly Pick<HttpRoute, 'method' | 'path' | 'auth'>[]): StageThrottling {
  const byRoute: Record<string, Throttle> = {};
  for (const route of routes) {
    if (route.path.startsWith('/v1/admin/')) byRoute[httpRouteKey(route)] = httpThrottleDefaults.admin;
    else if (route.auth === 'bearer') byRoute[httpRouteKey(route)] = httpThrottleDefaults.console;
  }
  return { stage: httpThrottleDefaults.stage, routes: byRoute };
}

export function defaultWebSocketThrottling(): StageThrottling {
  return { stage: webSocketThrottleDefaults.stage, routes: { $connect: webSocketThrottleDefaults.connect } };
}

const throttleInput = z.strictObject({
  rateLimit: z.number().positive().optional(),
  burstLimit: z.number().int().min(1).optional(),
});

/** What `tide:httpThrottle` / `tide:webSocketThrottle` may say: any part of the defaults. */
export const throttlingContextSchema = throttleInput.extend({ routes: z.record(z.string(), throttleInput).optional() });
export type ThrottlingInput = z.infer<typeof throttlingContextSchema>;

/** A throttling setting that cannot be applied; the message names the context key and the fix. */
export class ThrottlingSettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThrottlingSettingsError';
  }
}

/**
 * The defaults with the context's changes: the stage's limits, and per route (a key the API has:
 * `routeKeys`) either or both limits. A route key the API does not have is refused, not ignored.
 */
export function throttlingWith(defaults: StageThrottling, input: unknown, contextKey: string, routeKeys: readonly string[]): StageThrottling {
  if (input === undefined) return defaults;
  const parsed = throttlingContextSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ThrottlingSettingsError(
      `invalid context ${contextKey} (expected { rateLimit?, burstLimit?, routes?: { "<route key>": { rateLimit?, burstLimit? } } }):\n  ${problems.join('\n  ')}`,
    );
  }
  const { routes = {}, ...stage } = parsed.data;
  const unknown = Object.keys(routes).filter((key) => !routeKeys.includes(key));
  if (unknown.length) {
    throw new ThrottlingSettingsError(`context ${contextKey}.routes names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, which the API does not have; its routes are: ${routeKeys.join(', ')}`);
  }
  const merged: Record<string, Throttle> = { ...defaults.routes };
  for (const [key, limits] of Object.entries(routes)) merged[key] = { ...(defaults.routes[key] ?? defaults.stage), ...limits };
  return { stage: { ...defaults.stage, ...stage }, routes: merged };
}

/** Limits above the account's default quota (each is worth a warning: see `accountQuota`). */
export function aboveAccountQuota(throttling: StageThrottling): string[] {
  const found: string[] = [];
  for (const [where, t] of [['the stage', throttling.stage], ...Object.entries(throttling.routes)] as const) {
    if (t.rateLimit > accountQuota.rateLimit || t.burstLimit > accountQuota.burstLimit) found.push(`${where} (${t.rateLimit}/s, burst ${t.burstLimit})`);
  }
  return found;
}

/**
 * Writes the per-route limits on a stage (the L2 stages take only the stage's own, `throttle`).
 * Every route setting carries both limits: one left out would be API Gateway's 0, not the
 * stage's. The stage waits for the routes it names: API Gateway refuses a setting for a route key
 * it does not have yet.
 */
export function applyRouteThrottling(stage: apigw.HttpStage | apigw.WebSocketStage, throttling: StageThrottling, routes: ReadonlyMap<string, IConstruct>): void {
  const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const [key, limits] of Object.entries(throttling.routes)) {
    const route = routes.get(key);
    if (!route) throw new ThrottlingSettingsError(`route ${key} is throttled but not on the API`);
    settings[key] = { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit };
    stage.node.addDependency(route);
  }
  if (Object.keys(settings).length) (stage.node.defaultChild as CfnStage).routeSettings = settings;
}
