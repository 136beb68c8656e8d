/**
 * EventBridge Scheduler, in process: invokes a function with a Scheduled Event every `rateMs`
 * (a `rate(...)` rule), the first time at once.
 *
 * As in AWS, every tick starts an invocation whether or not earlier ones are still running: they
 * overlap, each with its own context and time limit, and the poller's lease decides which of them
 * polls (an invocation started near the holder's end waits and takes the lease over, so polling goes
 * on without a gap). The overlapping invocations share this process and its module-level clients,
 * as invocations in one warm Lambda container would not; the lease lives in DynamoDB either way.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.ts';
import {
  type Invocation,
  invoke,
  type LambdaFunction,
  type LambdaHandler,
  type RuntimeLog,
} from './lambda-context.ts';

export type ScheduledEventShape = ScheduledEvent<Record<string, never>>;

export interface ScheduleOptions<TResult> {
  readonly handler: LambdaHandler<ScheduledEventShape, TResult>;
  readonly function: LambdaFunction;
  readonly rateMs: number;
  /** The rule named in the event's `resources`; default `<functionName>-schedule`. */
  readonly ruleName?: string;
  readonly onInvocation?: (invocation: Invocation<TResult>) => void;
  readonly log?: RuntimeLog;
  /** How long `close()` waits for the running invocations before giving up on them; default 2 s. */
  readonly closeGraceMs?: number;
}

export interface Schedule {
  /** Invocations started and not yet ended (or timed out). */
  readonly running: number;
  /**
   * No more ticks; the running invocations' time left drops to 0, and close waits (at most the grace)
   * for them to end.
   */
  close(): Promise<void>;
}

export function scheduledEvent(ruleName: string, at: Date, region = LOCAL_REGION): ScheduledEventShape {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge sends the scheduled time, to the second.
    time: `${at.toISOString().slice(0, 19)}Z`,
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

export function startSchedule<TResult>(options: ScheduleOptions<TResult>): Schedule {
  const log = options.log ?? (() => {});
  const ruleName = options.ruleName ?? `${options.function.functionName}-schedule`;
  const running = new Set<Promise<void>>();
  // On close, the running invocations' time runs out: they finish what they started and stop.
  const shutdown = new AbortController();
  let closed = false;

  const tick = () => {
    if (closed) return;
    const event = scheduledEvent(ruleName, new Date(), options.function.region);
    const invocation: Promise<void> = invoke(
      options.handler,
      event,
      options.function,
      log,
      shutdown.signal,
    ).then((result) => {
      running.delete(invocation);
      if (!closed) options.onInvocation?.(result);
    });
    running.add(invocation);
  };

  const timer = setInterval(tick, options.rateMs);
  tick();

  return {
    get running() {
      return running.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      shutdown.abort();
      if (running.size > 0) await Promise.race([Promise.all(running), delay(options.closeGraceMs ?? 2_000)]);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
