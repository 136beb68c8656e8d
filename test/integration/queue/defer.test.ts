/**
 * functions/consumer/defer.ts on SQS (fauxqs): a failed record and the rest of its conversation come
 * back when asked, not after the queue's visibility timeout, and in order.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqsRecordDeferrer } from '../../../functions/consumer/defer.ts';
import { type Emulator, localSqsClient, startSqsEmulator } from '../../../local/runtime/emulators.ts';

let emulator: Emulator;
let sqs: SQSClient;

beforeAll(async () => {
  emulator = await startSqsEmulator();
  sqs = localSqsClient(emulator.endpoint);
});
afterAll(async () => {
  sqs.destroy();
  await emulator.close();
});

it('brings deferred records back after the seconds asked, well before the visibility timeout, in order', async () => {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `defer-${randomBytes(3).toString('hex')}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '360' },
    }),
  );
  const url = QueueUrl as string;
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: ['one', 'two'].map((body) => ({ Id: body, MessageBody: body, MessageGroupId: 'chat' })),
    }),
  );
  // As SQS, one receive gives as many of a group as it can, in order.
  const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  const received = (first.Messages ?? []).map(
    (m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body }) as SQSRecord,
  );
  expect(received.map((r) => r.body)).toEqual(['one', 'two']);
  // Given back last first: they must still come back in the order they were sent.
  await sqsRecordDeferrer(sqs, url)([...received].reverse(), 1);
  // In flight for 360 s otherwise: back within a few seconds, in order.
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }),
  );
  expect(Messages?.map((m) => m.Body)).toEqual(['one', 'two']);
});

it('throws when SQS refuses an entry (an unknown receipt handle): the caller logs it, nothing is lost', async () => {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `defer-bad-${randomBytes(3).toString('hex')}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
    }),
  );
  const stale = { messageId: 'x', receiptHandle: 'not-a-handle', body: '' } as SQSRecord;
  await expect(sqsRecordDeferrer(sqs, QueueUrl as string)([stale], 1)).rejects.toThrow();
});
