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

/**
 * Drops the SDK's logger middleware from a client. Tide gives the SDK no logger, yet that
 * middleware still walks every request and response to mask sensitive fields for the log line it
 * then does not write: measurable CPU on every call.
 */
export function withoutSdkLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
