/**
 * Lambda, in process: a `Context` whose `getRemainingTimeInMillis()` counts down from the function's
 * timeout, and `invoke`, which runs an async handler and reports its outcome as Lambda would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.ts';

/** An async (promise-style) Lambda handler; the only style the project's functions use. */
export type LambdaHandler<TEvent, TResult = unknown> = (event: TEvent, context: Context) => Promise<TResult>;

/** One line of the runtime's own log (timeouts, errors): the caller decides where it goes. */
export type RuntimeLog = (line: string) => void;

export interface LambdaFunction {
  readonly functionName: string;
  readonly timeoutMs: number;
  /** Reported in the context only; default 256. */
  readonly memoryLimitInMB?: number;
  readonly region?: string;
  readonly accountId?: string;
}

export type Invocation<TResult> =
  | {
      readonly outcome: 'success';
      readonly requestId: string;
      readonly durationMs: number;
      readonly result: TResult;
    }
  | {
      readonly outcome: 'error';
      readonly requestId: string;
      readonly durationMs: number;
      readonly error: Error;
    }
  | { readonly outcome: 'timeout'; readonly requestId: string; readonly durationMs: number };

/**
 * `endsEarly`: once aborted, the time left reads 0, as when the runtime shuts down (the handler
 * finishes what it started and starts nothing new, as the poller does near its deadline).
 */
export function createLambdaContext(
  fn: LambdaFunction,
  now: () => number = Date.now,
  endsEarly?: AbortSignal,
): Context {
  const deadline = now() + fn.timeoutMs;
  const region = fn.region ?? LOCAL_REGION;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const callbackOnly = (name: string) => (): never => {
    throw new Error(
      `context.${name}() is for callback-style handlers: return or throw from the async handler`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${fn.accountId ?? LOCAL_ACCOUNT_ID}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryLimitInMB ?? 256),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => (endsEarly?.aborted ? 0 : Math.max(0, deadline - now())),
    done: callbackOnly('done'),
    fail: callbackOnly('fail'),
    succeed: callbackOnly('succeed'),
  };
}

/**
 * Runs `handler` once with a fresh context. The event and the result cross a JSON boundary, as they
 * do in Lambda: the handler gets its own copy, and a result that does not survive JSON (a class
 * instance, a Date) is seen by the caller as Lambda's caller would see it.
 *
 * Timeout: when the time runs out the invocation is reported (and logged) as timed out, like
 * Lambda's "Task timed out after N seconds". The handler cannot be frozen in process: it runs on,
 * and its late result or error is ignored, as Lambda would have discarded it with the sandbox.
 */
export async function invoke<TEvent, TResult>(
  handler: LambdaHandler<TEvent, TResult>,
  event: TEvent,
  fn: LambdaFunction,
  log: RuntimeLog = () => {},
  endsEarly?: AbortSignal,
): Promise<Invocation<TResult>> {
  const context = createLambdaContext(fn, Date.now, endsEarly);
  const requestId = context.awsRequestId;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), fn.timeoutMs);
  });
  const run = Promise.resolve()
    .then(() => handler(jsonCopy(event) as TEvent, context))
    .then((result) => jsonCopy(result) as TResult)
    .then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: asError(error) }),
    );
  const first = await Promise.race([run, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    log(`${fn.functionName} ${requestId} Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`);
    return { outcome: 'timeout', requestId, durationMs: elapsed() };
  }
  if (!first.ok) {
    log(`${fn.functionName} ${requestId} Invoke Error ${first.error.name}: ${first.error.message}`);
    return { outcome: 'error', requestId, durationMs: elapsed(), error: first.error };
  }
  return { outcome: 'success', requestId, durationMs: elapsed(), result: first.result };
}

/** `undefined` stays `undefined` (Lambda answers `null`; callers treat both as "no payload"). */
function jsonCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
