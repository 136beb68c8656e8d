import { createHash, randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, localSqsClient, startSqsEmulator } from '../../../local/runtime/emulators.ts';
import {
  EventSourceConfigError,
  type SqsEventSource,
  type SqsEventSourceOptions,
  startSqsEventSource,
} from '../../../local/runtime/sqs-event-source.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let emulator: Emulator;
let sqs: SQSClient;
let source: SqsEventSource | undefined;

beforeAll(async () => {
  emulator = await startSqsEmulator();
  sqs = localSqsClient(emulator.endpoint);
});
afterEach(async () => {
  await source?.close();
  source = undefined;
});
afterAll(async () => {
  sqs.destroy();
  await emulator.close();
});

/** A new queue; a 1 s visibility timeout so that failed records come back quickly. */
async function createQueue(
  label: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; name: string }> {
  const fifo = attributes.FifoQueue === 'true';
  const name = `${label}-${randomBytes(3).toString('hex')}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1', ...attributes } }),
  );
  return { url: QueueUrl as string, name };
}

async function queueArn(url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}

async function depth(url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

async function sendBatch(url: string, bodies: readonly string[], group?: string): Promise<void> {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: bodies.map((body, i) => ({
        Id: String(i),
        MessageBody: body,
        ...(group ? { MessageGroupId: group, MessageDeduplicationId: body } : {}),
      })),
    }),
  );
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

type Handler = SqsEventSourceOptions['handler'];

async function start(url: string, handler: Handler, extra: Partial<SqsEventSourceOptions> = {}) {
  source = await startSqsEventSource({
    sqs,
    queueUrl: url,
    handler,
    function: { functionName: 'test-consumer', timeoutMs: 1_000 },
    waitTimeSeconds: 1,
    ...extra,
  });
  return source;
}

/** Every delivery, in order: the record body and its receive count. */
function deliveries() {
  const seen: { body: string; count: string }[] = [];
  return {
    seen,
    note: (event: SQSEvent) => {
      for (const r of event.Records) seen.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
    },
    times: (body: string) => seen.filter((d) => d.body === body).length,
  };
}

describe('startSqsEventSource', () => {
  it('hands the function a real SQSEvent and deletes the records it processed', async () => {
    const queue = await createQueue('shape');
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'chat' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const events: SQSEvent[] = [];

    const started = await start(queue.url, async (event) => {
      events.push(event);
    });
    await waitFor(() => events.length === 1);
    await waitFor(async () => (await depth(queue.url)).inFlight === 0);

    expect(started.eventSourceArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${queue.name}`);
    const record = events[0]?.Records[0] as SQSRecord;
    expect(events[0]?.Records).toHaveLength(1);
    expect(record).toEqual({
      messageId: MessageId,
      receiptHandle: expect.any(String),
      body: '{"hello":"world"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        kind: { stringValue: 'chat', stringListValues: [], binaryListValues: [], dataType: 'String' },
        raw: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: createHash('md5').update('{"hello":"world"}').digest('hex'),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: started.eventSourceArn,
      awsRegion: 'us-east-1',
    });
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deletes the successes of a batch and redelivers only the batchItemFailures', async () => {
    const queue = await createQueue('partial');
    const log = deliveries();
    await sendBatch(queue.url, ['a', 'b', 'c']);

    await start(queue.url, async (event) => {
      log.note(event);
      return {
        batchItemFailures: event.Records.filter(
          (r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1',
        ).map((r) => ({ itemIdentifier: r.messageId })),
      };
    });
    await waitFor(() => log.times('b') === 2);
    await waitFor(async () => (await depth(queue.url)).inFlight === 0);
    await sleep(1_200);

    expect(log.times('a')).toBe(1);
    expect(log.times('c')).toBe(1);
    expect(log.seen.filter((d) => d.body === 'b').map((d) => d.count)).toEqual(['1', '2']);
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each([
    ['throws', async () => Promise.reject(new Error('boom'))],
    ['runs past its timeout', () => sleep(1_100)],
    [
      'names a record not in the batch',
      async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }),
    ],
    ['gives an empty itemIdentifier', async () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
    ['answers something that is not a batch response', async () => 'done'],
  ])('fails the whole batch when the function %s', async (_what, firstTime) => {
    const queue = await createQueue('whole');
    const log = deliveries();
    const reports: string[] = [];
    await sendBatch(queue.url, ['x', 'y']);

    await start(
      queue.url,
      async (event) => {
        log.note(event);
        if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === '1')) return firstTime();
        return undefined;
      },
      { onBatch: (report) => reports.push(report.batchFailure ?? 'ok') },
    );
    await waitFor(() => log.times('x') === 2 && log.times('y') === 2);
    await waitFor(async () => (await depth(queue.url)).inFlight === 0);

    expect(reports.filter((r) => r !== 'ok').length).toBeGreaterThanOrEqual(1);
    expect(reports.at(-1)).toBe('ok');
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('treats any response as success without ReportBatchItemFailures', async () => {
    const queue = await createQueue('no-report');
    const log = deliveries();
    await sendBatch(queue.url, ['p']);

    await start(
      queue.url,
      async (event) => {
        log.note(event);
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { reportBatchItemFailures: false },
    );
    await waitFor(() => log.times('p') === 1);
    await sleep(1_300);

    expect(log.times('p')).toBe(1);
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each([
    ['a standard queue', {}],
    ['a FIFO queue', { FifoQueue: 'true' }],
  ])(
    'leaves a poison message of %s to its redrive policy: to the DLQ after maxReceiveCount',
    async (_kind, kind) => {
      const dlq = await createQueue('poison-dlq', kind);
      const queue = await createQueue('poison', {
        ...kind,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(dlq.url), maxReceiveCount: 2 }),
      });
      const fifo = 'FifoQueue' in kind;
      const log = deliveries();
      await sendBatch(queue.url, ['poison'], fifo ? 'g-poison' : undefined);
      await sendBatch(queue.url, ['fine'], fifo ? 'g-fine' : undefined);

      await start(queue.url, async (event) => {
        log.note(event);
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      });
      await waitFor(async () => (await depth(dlq.url)).visible === 1);
      await sleep(1_200);

      expect(log.seen.filter((d) => d.body === 'poison').map((d) => d.count)).toEqual(['1', '2']);
      expect(log.times('fine')).toBe(1);
      expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
    },
  );

  it('FIFO: delivers none of a group past a failed message, and other groups go on meanwhile', async () => {
    const queue = await createQueue('fifo', { FifoQueue: 'true' });
    const processed: string[] = [];
    const log = deliveries();
    await sendBatch(queue.url, ['m1', 'm2', 'm3'], 'g1');
    await sendBatch(queue.url, ['n1', 'n2'], 'g2');

    await start(
      queue.url,
      async (event) => {
        log.note(event);
        // As Powertools' FIFO processor with skipGroupOnError: after a failure, the rest of its group fails too.
        const failures: { itemIdentifier: string }[] = [];
        const failedGroups = new Set<string | undefined>();
        for (const r of event.Records) {
          const group = r.attributes.MessageGroupId;
          if (failedGroups.has(group) || (r.body === 'm1' && r.attributes.ApproximateReceiveCount === '1')) {
            failures.push({ itemIdentifier: r.messageId });
            failedGroups.add(group);
          } else {
            processed.push(r.body);
          }
        }
        return { batchItemFailures: failures };
      },
      { concurrency: 2 },
    );
    await waitFor(() => processed.length === 5);

    expect(processed.filter((b) => b.startsWith('m'))).toEqual(['m1', 'm2', 'm3']);
    expect(processed.filter((b) => b.startsWith('n'))).toEqual(['n1', 'n2']);
    // As SQS, m1's group came in one batch; m2 and m3 failed with m1 and came back with its retry,
    // in order; g2 did not wait for g1's retry.
    const g1 = log.seen.filter((d) => d.body.startsWith('m')).map((d) => `${d.body}#${d.count}`);
    expect(g1).toEqual(['m1#1', 'm2#1', 'm3#1', 'm1#2', 'm2#2', 'm3#2']);
    expect(processed.indexOf('n2')).toBeLessThan(processed.indexOf('m1'));
  });

  it('refuses a queue whose visibility timeout is shorter than the function timeout, as Lambda does', async () => {
    const queue = await createQueue('short-visibility');

    await expect(
      startSqsEventSource({
        sqs,
        queueUrl: queue.url,
        handler: async () => undefined,
        function: { functionName: 'slow-consumer', timeoutMs: 60_000 },
      }),
    ).rejects.toThrow(EventSourceConfigError);
  });

  it('receives nothing more once closed', async () => {
    const queue = await createQueue('closed');
    const log = deliveries();
    const started = await start(queue.url, async (event) => {
      log.note(event);
    });

    await started.close();
    await sendBatch(queue.url, ['late']);
    await sleep(1_200);

    expect(log.seen).toEqual([]);
    expect((await depth(queue.url)).visible).toBe(1);
  });
});
