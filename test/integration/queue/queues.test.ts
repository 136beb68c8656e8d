import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSUMER_TIMEOUT_SECONDS,
  createQueues,
  INBOUND_VISIBILITY_TIMEOUT_SECONDS,
  QUEUES,
  queueAttributes,
} from '../../../lib/state/queues.ts';
import { startTestSqs, type TestSqs } from '../../support/sqs.ts';

let sqs: TestSqs;

beforeAll(async () => {
  sqs = await startTestSqs();
});
afterAll(() => sqs.close());

async function attributes(queueUrl: string) {
  const { Attributes } = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return Attributes ?? {};
}

describe('queue definitions', () => {
  it('keep the visibility timeout at least the consumer timeout (6x, as AWS advises for Lambda)', () => {
    expect(QUEUES.inbound.visibilityTimeoutSeconds).toBe(INBOUND_VISIBILITY_TIMEOUT_SECONDS);
    expect(INBOUND_VISIBILITY_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(6 * CONSUMER_TIMEOUT_SECONDS);
  });

  it('need the dead-letter ARN of a queue that has a dead-letter queue', () => {
    expect(() => queueAttributes(QUEUES.inbound)).toThrow('needs the ARN of its dead-letter queue');
  });
});

describe('createQueues', () => {
  it('creates the inbound FIFO queue and its FIFO DLQ with the declared attributes', async () => {
    const { names, urls } = await sqs.queues('create');
    expect(names.inbound).toMatch(/-inbound\.fifo$/);
    expect(names.inboundDlq).toMatch(/-inbound-dlq\.fifo$/);

    const dlq = await attributes(urls.inboundDlq);
    expect(dlq).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      MessageRetentionPeriod: String(14 * 24 * 3600),
    });
    const inbound = await attributes(urls.inbound);
    expect(inbound).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
      VisibilityTimeout: '360',
      MessageRetentionPeriod: String(4 * 24 * 3600),
      MaximumMessageSize: '262144',
    });
    expect(JSON.parse(inbound.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.QueueArn,
      maxReceiveCount: 3,
    });
  });

  it('is idempotent: a second run returns the same queues', async () => {
    const { names, urls } = await sqs.queues('again');
    expect(await createQueues(sqs.client, names)).toEqual(urls);
  });

  it('moves a message received maxReceiveCount times without being deleted to the DLQ', async () => {
    const { urls } = await sqs.queues('redrive');
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: urls.inbound,
        MessageBody: '{"poison":true}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd1',
      }),
    );
    const receive = async (queueUrl: string) =>
      (
        await sqs.client.send(
          // A visibility timeout of 0: the message is back at once, as after a failed consumer.
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
        )
      ).Messages ?? [];

    for (let i = 1; i <= 3; i++) expect(await receive(urls.inbound)).toHaveLength(1);
    expect(await receive(urls.inbound)).toHaveLength(0);
    expect((await receive(urls.inboundDlq)).map((m) => m.Body)).toEqual(['{"poison":true}']);
  });
});
