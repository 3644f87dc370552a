/**
 * The configuration of an AWS SDK client: in Lambda, the SDK's defaults (the function's role and
 * region); pointed at one of the local stack's emulators (an `http://` endpoint), that endpoint
 * with static credentials the emulators accept. One place, so no client reaches AWS by accident
 * from the local stack, nor carries fake credentials into AWS.
 */
export function clientConfig(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  if (!endpoint?.startsWith('http://')) return endpoint ? { endpoint } : {};
  return { endpoint, region: env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** What a decoration may touch: any AWS SDK v3 client. */
export interface SdkClient {
  middlewareStack: { remove(name: string): boolean; add: (...args: never[]) => void };
  config: { serviceId?: string };
}

/**
 * Decorations every new SDK client gets: the local stack and the tests register them to emulate
 * what the local emulators lack (the index lag of DynamoDB's GSIs, infra/local/index-lag.ts) or to
 * inject faults (infra/local/fault-injection.ts). Nothing registers any in a deployment.
 */
const decorations: Array<(client: SdkClient, serviceId: string) => void> = [];
export function decorateNewSdkClients(decorate: (client: SdkClient, serviceId: string) => void): void {
  decorations.push(decorate);
}

/**
 * Prepares a new client: drops the SDK's logger middleware, then applies the registered
 * decorations. Tide gives the SDK no logger, yet that middleware still walks every request and
 * response to mask sensitive fields for the log line it then does not write: measurable CPU on
 * every call.
 */
export function withoutSdkLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  const sdk = client as unknown as SdkClient;
  for (const decorate of decorations) decorate(sdk, sdk.config?.serviceId ?? '');
  return client;
}
