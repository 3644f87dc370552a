import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { TideErrorCode } from '../errors.js';
import { isTideError } from '../errors.js';
import { logger } from '../runtime/logger.js';

/** The HTTP status of each error code (also the list of codes: docs/openapi.json and docs/asyncapi.json name them all). */
export const statusByCode: Record<TideErrorCode, number> = {
  invalid_request: 400,
  unknown_queue: 400,
  invalid_signature: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_state: 409,
  opted_out: 409,
  outside_window: 409,
  payload_too_large: 413,
};

export const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** `{"error":{"code","message"}}` for a TideError; a 500 without details for anything else. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (isTideError(error)) {
    const reply = json(statusByCode[error.code], { error: { code: error.code, message: error.message } });
    // RFC 6750: a 401 names the scheme the client must use.
    if (error.code === 'unauthorized') reply.headers = { ...reply.headers, 'www-authenticate': 'Bearer' };
    return reply;
  }
  logger.error('request failed', { error: (error as Error)?.name });
  return json(500, { error: { code: 'internal_error', message: 'something went wrong; retry later' } });
}
