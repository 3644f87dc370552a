import type { TideErrorCode } from '../errors.js';
import { statusByCode } from './http-responses.js';

/** Every code an error answer may carry: the contract's (shared/errors.ts), and ours for a fault of Tide's. */
export type ErrorCode = TideErrorCode | 'internal_error';

/** In the order of `statusByCode`, the one place the codes are listed; `internal_error` last. */
export const errorCodes = [...(Object.keys(statusByCode) as TideErrorCode[]), 'internal_error'] as unknown as readonly [ErrorCode, ...ErrorCode[]];

export const httpStatusOf = (code: ErrorCode): number => (code === 'internal_error' ? 500 : statusByCode[code]);
