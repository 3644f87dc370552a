/** An action the server answered with an `error` frame (or that got no answer in time: `timeout`). */
export class TideRequestError extends Error {
  override name = 'TideRequestError';
  constructor(
    readonly code: string,
    message: string,
    readonly requestId: string,
  ) {
    super(message);
  }
}

/** A request made while the client is not live: nothing was sent. Writes are never buffered. */
export class NotConnectedError extends Error {
  override name = 'NotConnectedError';
  constructor(message = 'not connected: the console is reconnecting') {
    super(message);
  }
}

/**
 * The socket died after the request was sent and before its answer: the action may or may not
 * have been done. Sending it again with the same `requestId` (and the same fields) is safe: the
 * server answers a repeat with its first answer and does not do it twice.
 */
export class ConnectionLostError extends NotConnectedError {
  override name = 'ConnectionLostError';
  constructor(readonly requestId: string) {
    super('the connection was lost before the server answered');
  }
}
