import { afterEach, describe, expect, it } from 'vitest';
import type { Invocation } from '../../../local/runtime/lambda-context.ts';
import { type Schedule, type ScheduledEventShape, startSchedule } from '../../../local/runtime/schedule.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let schedule: Schedule | undefined;
afterEach(async () => {
  await schedule?.close();
  schedule = undefined;
});

/** A handler that records its events and how many of its invocations overlap. */
function recorder(workMs: number) {
  const events: ScheduledEventShape[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    events,
    get maxRunning() {
      return maxRunning;
    },
    handler: async (event: ScheduledEventShape) => {
      events.push(event);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(workMs);
      running--;
      return { ok: true };
    },
  };
}

describe('startSchedule', () => {
  it('invokes at once and then every rate, with an EventBridge Scheduled Event', async () => {
    const poller = recorder(0);
    const invocations: Invocation<unknown>[] = [];

    schedule = startSchedule({
      handler: poller.handler,
      function: { functionName: 'local-poller', timeoutMs: 1_000 },
      rateMs: 100,
      onInvocation: (i) => invocations.push(i),
    });
    await sleep(20);
    expect(poller.events).toHaveLength(1);
    await sleep(230);

    expect(poller.events.length).toBeGreaterThanOrEqual(2);
    expect(poller.events.length).toBeLessThanOrEqual(3);
    const event = poller.events[0];
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/local-poller-schedule'],
      detail: {},
    });
    expect(new Set(poller.events.map((e) => e.id)).size).toBe(poller.events.length);
    expect(invocations.every((i) => i.outcome === 'success')).toBe(true);
  });

  it('stops on close: no tick after it', async () => {
    const poller = recorder(0);
    schedule = startSchedule({
      handler: poller.handler,
      function: { functionName: 'p', timeoutMs: 1_000 },
      rateMs: 50,
    });
    await sleep(120);

    await schedule.close();
    const count = poller.events.length;
    await sleep(150);

    expect(count).toBeGreaterThanOrEqual(2);
    expect(poller.events).toHaveLength(count);
  });

  it('starts every tick even while earlier invocations run, each with its own time limit, as EventBridge does', async () => {
    const poller = recorder(230);
    const invocations: Invocation<unknown>[] = [];

    schedule = startSchedule({
      handler: poller.handler,
      function: { functionName: 'p', timeoutMs: 1_000 },
      rateMs: 100,
      onInvocation: (i) => invocations.push(i),
    });
    await sleep(150);
    const runningMidway = schedule.running;
    await sleep(410);

    // Ticks at 0, 100, 200, 300, 400, 500: each runs 230 ms, so two or three overlap at any time.
    expect(runningMidway).toBe(2);
    expect(poller.maxRunning).toBeGreaterThanOrEqual(2);
    expect(poller.events.length).toBeGreaterThanOrEqual(5);
    expect(new Set(invocations.map((i) => i.requestId)).size).toBe(invocations.length);
    expect(invocations.every((i) => i.outcome === 'success')).toBe(true);
  });

  it('runs the next tick when the previous invocation ran over its timeout', async () => {
    const poller = recorder(300);
    const outcomes: string[] = [];

    schedule = startSchedule({
      handler: poller.handler,
      function: { functionName: 'p', timeoutMs: 60 },
      rateMs: 100,
      onInvocation: (i) => outcomes.push(i.outcome),
    });
    await sleep(250);

    // The first invocation timed out at 60 ms but is still running in process when the next starts.
    expect(poller.events.length).toBeGreaterThanOrEqual(2);
    expect(poller.maxRunning).toBeGreaterThanOrEqual(2);
    expect(outcomes[0]).toBe('timeout');
  });

  it('waits on close for the running invocations, at most the grace', async () => {
    const poller = recorder(5_000);
    schedule = startSchedule({
      handler: poller.handler,
      function: { functionName: 'p', timeoutMs: 10_000 },
      rateMs: 1_000,
      closeGraceMs: 100,
    });
    const started = Date.now();

    await schedule.close();

    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
