/**
 * The three Lambda functions of the stack, as the local runtime runs them: their handlers (imported
 * only once the environment is set, since each reads it at cold start), their names and timeouts.
 */
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { openApiDocument } from '../../functions/send/openapi.ts';
import { PUBLISH_RESERVE_MS } from '../../lib/pipeline/poller-deps.ts';
import { CONSUMER_TIMEOUT_SECONDS } from '../../lib/state/queues.ts';
import type { LambdaFunction, LambdaHandler } from './lambda-context.ts';
import type { ScheduledEventShape } from './schedule.ts';

export interface FunctionHandlers {
  readonly poller: LambdaHandler<ScheduledEventShape, unknown>;
  readonly consumer: LambdaHandler<SQSEvent, unknown>;
  readonly send: LambdaHandler<APIGatewayProxyEventV2, unknown>;
}

/** The real handlers. Call it after `process.env` holds the functions' configuration. */
export async function loadFunctionHandlers(): Promise<FunctionHandlers> {
  const [poller, consumer, send] = await Promise.all([
    import('../../functions/poller/handler.ts'),
    import('../../functions/consumer/handler.ts'),
    import('../../functions/send/handler.ts'),
  ]);
  return { poller: poller.handler, consumer: consumer.handler, send: send.handler };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch']);

/**
 * The send API's route keys (`POST /v1/messages`, ...), from its OpenAPI document: the routes it
 * describes are the routes it is given, so a request to any other path gets API Gateway's 404.
 */
export function sendApiRoutes(): string[] {
  const paths: Record<string, Record<string, unknown>> = openApiDocument().paths;
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => HTTP_METHODS.has(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** HTTP API's integration timeout caps the send function's useful time at 30 s anyway. */
export const SEND_TIMEOUT_MS = 30_000;

export interface PollerTiming {
  readonly rateMs: number;
  readonly holdMs: number;
  readonly marginMs: number;
}

/**
 * The poller's timeout. It must allow at least one whole poll (hold + margin) plus the publish
 * reserve, or the poller could never poll. Beyond that, a tick that finds the previous invocation
 * running is skipped (the lease would turn it away in AWS), so nobody polls between an invocation's
 * end and the next tick: two rate periods keep that gap to about one hold per two periods.
 */
export function pollerTimeoutMs(timing: PollerTiming): number {
  return Math.max(2 * timing.rateMs, timing.rateMs + timing.holdMs + timing.marginMs + PUBLISH_RESERVE_MS);
}

export function localFunctions(
  prefix: string,
  pollerTimeout: number,
): Record<keyof FunctionHandlers, LambdaFunction> {
  return {
    poller: { functionName: `${prefix}-poller`, timeoutMs: pollerTimeout },
    consumer: { functionName: `${prefix}-consumer`, timeoutMs: CONSUMER_TIMEOUT_SECONDS * 1000 },
    send: { functionName: `${prefix}-send`, timeoutMs: SEND_TIMEOUT_MS },
  };
}
