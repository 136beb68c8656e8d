import { describe, expect, it } from 'vitest';
import { createLambdaContext, invoke, type LambdaFunction } from '../../../local/runtime/lambda-context.ts';

const fn: LambdaFunction = { functionName: 'test-fn', timeoutMs: 1_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createLambdaContext', () => {
  it('describes the function as Lambda does', () => {
    const context = createLambdaContext({ ...fn, memoryLimitInMB: 512 });

    expect(context.functionName).toBe('test-fn');
    expect(context.functionVersion).toBe('$LATEST');
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:test-fn');
    expect(context.memoryLimitInMB).toBe('512');
    expect(context.logGroupName).toBe('/aws/lambda/test-fn');
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(createLambdaContext(fn).awsRequestId).not.toBe(context.awsRequestId);
  });

  it('counts the remaining time down from the timeout, to zero and no further', () => {
    let now = 5_000;
    const context = createLambdaContext({ ...fn, timeoutMs: 120_000 }, () => now);

    expect(context.getRemainingTimeInMillis()).toBe(120_000);
    now += 45_500;
    expect(context.getRemainingTimeInMillis()).toBe(74_500);
    now += 200_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('refuses the callback-style helpers', () => {
    expect(() => createLambdaContext(fn).succeed('x')).toThrow(/async handler/);
  });
});

describe('invoke', () => {
  it('passes a copy of the event and returns the result as it crosses JSON', async () => {
    const event = { n: 1, nested: { list: [1, 2] } };
    const result = await invoke(
      async (e: typeof event, context) => {
        e.nested.list.push(3);
        return { at: new Date(0), remaining: context.getRemainingTimeInMillis(), skipped: undefined };
      },
      event,
      fn,
    );

    expect(result.outcome).toBe('success');
    if (result.outcome !== 'success') return;
    expect(result.result).toEqual({ at: '1970-01-01T00:00:00.000Z', remaining: expect.any(Number) });
    expect(result.result.remaining).toBeGreaterThan(900);
    expect(result.result.remaining).toBeLessThanOrEqual(1_000);
    expect(event.nested.list).toEqual([1, 2]);
  });

  it('reports a thrown error and logs it as an Invoke Error', async () => {
    const lines: string[] = [];

    const result = await invoke(
      async () => {
        throw new TypeError('bad input');
      },
      {},
      fn,
      (line) => lines.push(line),
    );

    expect(result.outcome).toBe('error');
    if (result.outcome === 'error') expect(result.error.message).toBe('bad input');
    expect(lines).toEqual([
      expect.stringMatching(/^test-fn [0-9a-f-]{36} Invoke Error TypeError: bad input$/),
    ]);
  });

  it('reports a timeout when the time runs out, and ignores what the handler does later', async () => {
    const lines: string[] = [];
    let finished = false;

    const result = await invoke(
      async () => {
        await sleep(300);
        finished = true;
        throw new Error('too late to matter');
      },
      {},
      { functionName: 'slow', timeoutMs: 50 },
      (line) => lines.push(line),
    );

    expect(result.outcome).toBe('timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(45);
    expect(result.durationMs).toBeLessThan(250);
    expect(lines).toEqual([expect.stringMatching(/^slow [0-9a-f-]{36} Task timed out after 0\.05 seconds$/)]);
    await sleep(350);
    expect(finished).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it('gives the handler a context whose remaining time reaches zero at the timeout', async () => {
    const seen: number[] = [];

    await invoke(
      async (_e: unknown, context) => {
        seen.push(context.getRemainingTimeInMillis());
        await sleep(120);
        seen.push(context.getRemainingTimeInMillis());
      },
      {},
      { functionName: 'budget', timeoutMs: 100 },
    );

    expect(seen[0]).toBeGreaterThan(90);
    await sleep(50);
    expect(seen[1]).toBe(0);
  });
});
