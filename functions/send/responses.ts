/**
 * The send API's answers: every one is JSON, and every domain error has one status. Anything that is
 * not a domain error is a plain 500 with no detail (the log has it).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AccountChangeError } from '../../lib/pipeline/accounts.ts';
import {
  AccountPausedError,
  AmbiguousRecipientError,
  ContactsUnavailableError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  PacingError,
  PayloadTooLargeError,
  RecipientNotFoundError,
  SessionOfflineError,
  UnauthorizedError,
  UpstreamSendError,
} from '../../lib/send-api/errors.ts';
import { isoTime } from '../../lib/send-api/views.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export const INTERNAL_ERROR = json(500, { error: 'internal' });

export const NOT_FOUND = json(404, { error: 'not_found' });

/** No route has this method and path. */
export class RouteNotFoundError extends Error {
  override readonly name = 'RouteNotFoundError';
  constructor() {
    super('no such route');
  }
}

/** The answer for an error thrown by a route; undefined when it is not a domain error (a 500). */
export function errorResponse(err: unknown): HttpResult | undefined {
  if (err instanceof RouteNotFoundError) return NOT_FOUND;
  if (err instanceof InvalidRequestError) {
    return json(400, { error: 'bad_request', field: err.field, reason: err.reason, message: err.message });
  }
  if (err instanceof AccountChangeError) {
    if (err.problem === 'not_a_qq_number') {
      return json(400, {
        error: 'bad_request',
        field: 'account',
        reason: 'expected a QQ number',
        message: err.message,
      });
    }
    const status = err.problem === 'unknown_account' ? 404 : 409;
    return json(status, { error: err.problem, message: err.message });
  }
  if (err instanceof AccountPausedError) {
    return json(409, { error: 'account_paused', account: err.account, message: err.message });
  }
  if (err instanceof PayloadTooLargeError) {
    return json(413, { error: 'payload_too_large', maxBytes: err.maxBytes, message: err.message });
  }
  if (err instanceof UnauthorizedError) {
    return json(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
  }
  if (err instanceof RecipientNotFoundError) {
    return json(404, { error: 'unknown_recipient', reason: err.message });
  }
  if (err instanceof AmbiguousRecipientError) {
    return json(409, { error: 'ambiguous_recipient', reason: err.message, candidates: err.candidates });
  }
  if (err instanceof SessionOfflineError) {
    return json(409, {
      error: 'session_offline',
      state: err.state,
      since: err.since === undefined ? null : isoTime(err.since),
      ...(err.reason === undefined ? {} : { reason: err.reason }),
    });
  }
  if (err instanceof IdempotencyInProgressError) return json(409, { error: 'in_progress' });
  if (err instanceof IdempotencyKeyReusedError) {
    return json(422, { error: 'idempotency_key_reused', reason: err.message });
  }
  if (err instanceof PacingError) {
    // Retry-After is whole seconds (RFC 9110 §10.2.3): rounded up, so a retry at that time is allowed.
    const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return json(
      429,
      { error: 'too_many_requests', retryAfterSeconds: seconds },
      { 'retry-after': String(seconds) },
    );
  }
  if (err instanceof UpstreamSendError) {
    return json(502, {
      error: 'upstream',
      result: err.result,
      ...(err.retcode === undefined ? {} : { retcode: err.retcode }),
      partsSent: err.partsSent,
      parts: err.parts,
    });
  }
  if (err instanceof ContactsUnavailableError) {
    return json(503, { error: 'contacts_unavailable', reason: err.message });
  }
  return undefined;
}

/** A request header, whatever its case (API Gateway lowercases names; a hand-made event may not). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const found = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}
