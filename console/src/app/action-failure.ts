import { ConnectionLostError, NotConnectedError, TideRequestError } from '../../../client/tide-client.js';

const reasons: Record<string, string> = {
  forbidden: 'this is not yours to change',
  not_found: 'Tide does not know it',
  invalid_state: 'the conversation has moved on (closed or handed over)',
  invalid_request: 'Tide refused the request as malformed',
  opted_out: 'the customer has opted out of messages on this channel',
  outside_window: "the channel's reply window has closed; the customer has to write first",
  unknown_queue: 'there is no such queue or agent',
  timeout: 'Tide did not answer in time',
};

/** What to say about a failed action, in the agent's words. */
export function actionFailure(what: string, error: unknown): string {
  if (error instanceof ConnectionLostError) return `${what}: the connection dropped before Tide answered.`;
  if (error instanceof NotConnectedError) return `${what} failed: not connected. Nothing was sent; try again once the console is live.`;
  if (error instanceof TideRequestError) return `${what} failed: ${reasons[error.code] ?? error.message}.`;
  return `${what} failed.`;
}
