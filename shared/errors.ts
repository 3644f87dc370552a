/**
 * Errors an agent or a channel can cause, with the contract's error codes (DESIGN §4). Anything
 * else that is thrown is a fault of ours and becomes a 500 / internal error without details.
 */
export type TideErrorCode =
  | 'invalid_request'
  | 'invalid_signature'
  /** No valid bearer token on an HTTP API request (the history and admin APIs). */
  | 'unauthorized'
  | 'unknown_queue'
  | 'payload_too_large'
  | 'not_found'
  | 'forbidden'
  | 'invalid_state'
  /** The customer opted out (STOP) on this channel: nothing may be sent until they opt back in. */
  | 'opted_out'
  /** The provider's customer-service window has closed: free-form replies are refused. */
  | 'outside_window';

export class TideError extends Error {
  constructor(
    readonly code: TideErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TideError';
  }
}

export const isTideError = (error: unknown): error is TideError => error instanceof TideError;

/**
 * The same items kept changing under a command for all its attempts (shared/storage/commit.ts).
 * A fault of load, not of input: answered as an internal error, and safe to retry.
 */
export class ContentionError extends Error {
  constructor(
    readonly command: string,
    options?: { cause?: unknown },
  ) {
    super(`${command}: the items kept changing; gave up`, options);
    this.name = 'ContentionError';
  }
}
