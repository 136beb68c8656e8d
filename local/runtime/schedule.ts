/**
 * EventBridge Scheduler, in process: invokes a function with a Scheduled Event every `rateMs`
 * (a `rate(...)` rule), the first time at once.
 *
 * EventBridge fires whether or not the previous invocation has ended; in AWS the poller's lease
 * turns the overlapping invocation away. In process, a tick that finds the previous invocation still
 * within its timeout is skipped instead (and logged): two handlers sharing one process and one set of
 * clients would test nothing the lease tests do not. A previous invocation that ran over its timeout
 * no longer counts: Lambda would have ended it, so the next tick runs.
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
  /** How long `close()` waits for a running invocation before giving up on it; default 2 s. */
  readonly closeGraceMs?: number;
}

export interface Schedule {
  /** No more ticks; waits (at most the grace) for a running invocation. */
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
  let running: Promise<void> | undefined;
  let closed = false;

  const tick = () => {
    if (closed) return;
    if (running) {
      log(`${ruleName}: tick skipped, ${options.function.functionName} is still running`);
      return;
    }
    const event = scheduledEvent(ruleName, new Date(), options.function.region);
    running = invoke(options.handler, event, options.function, log).then((invocation) => {
      running = undefined;
      if (!closed) options.onInvocation?.(invocation);
    });
  };

  const timer = setInterval(tick, options.rateMs);
  tick();

  return {
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (running) await Promise.race([running, delay(options.closeGraceMs ?? 2_000)]);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
