/**
 * The two URLs Twilio calls (shared/contract/routes.ts declares them): customers' messages, and
 * the delivery statuses of Tide's replies. Both are signed over `webhookBaseUrl` + this path.
 */
export const twilioRoutes = {
  messages: '/v1/channels/twilio/messages',
  status: '/v1/channels/twilio/status',
} as const;

/**
 * The public URL Twilio calls for `route`, as configured in Twilio: `webhookBaseUrl` (one trailing
 * slash dropped, so `https://tide.example.com/` and `https://tide.example.com` sign alike) plus the
 * route and, when there is one, the query exactly as received. Never rebuilt from the address the
 * request reached: proxies and API Gateway stages change that, and Twilio signed the public one.
 */
export function publicUrlOf(webhookBaseUrl: string, route: string, rawQueryString = ''): string {
  const base = webhookBaseUrl.endsWith('/') ? webhookBaseUrl.slice(0, -1) : webhookBaseUrl;
  return `${base}${route}${rawQueryString ? `?${rawQueryString}` : ''}`;
}
