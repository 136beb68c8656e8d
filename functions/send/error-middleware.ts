/**
 * The one place domain errors become HTTP answers (middy `onError`). A domain error is answered
 * with its status and logged (info for 4xx, a warning for 502/503); anything else is a plain 500
 * `{"error":"internal"}` with no detail, and logged as an error.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errorResponse, type HttpResult, INTERNAL_ERROR } from './responses.ts';

export function jsonErrors(logger: Logger): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    name: 'jsonErrors',
    onError: (request) => {
      const mapped = errorResponse(request.error);
      if (mapped === undefined) {
        logger.error('request failed', request.error ?? 'unknown error');
        request.response = INTERNAL_ERROR;
        return;
      }
      const detail = {
        statusCode: mapped.statusCode,
        errorName: request.error?.name,
        reason: request.error?.message,
      };
      // 4xx: the caller's request; 502/503: SmartQQ or the session, which the owner may need to see.
      if (mapped.statusCode >= 500) logger.warn('request not served', detail);
      else logger.info('request refused', detail);
      request.response = mapped;
    },
  };
}
