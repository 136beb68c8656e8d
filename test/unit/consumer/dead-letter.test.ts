/**
 * The SendMessage that sets a malformed record aside in the inbound DLQ (FIFO): what SQS is asked.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sqsDeadLetterSender } from '../../../functions/consumer/dead-letter.ts';
import { sqsRecord } from './support.ts';

const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/QQBot-20001-inbound-dlq.fifo';

function client() {
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const send = vi.spyOn(sqs, 'send').mockImplementation(async () => ({}));
  const inputs = () =>
    send.mock.calls.map(([command]) => {
      expect(command).toBeInstanceOf(SendMessageCommand);
      return (command as SendMessageCommand).input;
    });
  return { sqs, send, inputs };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sqsDeadLetterSender', () => {
  it('sends the body as received, in its message group, deduplicated by its message id, with the reason', async () => {
    const { sqs, inputs } = client();
    const send = sqsDeadLetterSender(sqs, DLQ_URL);
    const poison = sqsRecord('0f1e2d3c-0000-4000-8000-000000000001', '20001-friend-30001', '{"not":1}');
    await send(poison, 'malformed inbound message: key: Invalid input');
    // The same record again (received twice), and another one of the same conversation and body.
    await send(poison, 'malformed inbound message: key: Invalid input');
    await send(sqsRecord('0f1e2d3c-0000-4000-8000-000000000002', '20001-friend-30001', '{"not":1}'), 'r');

    const [first, again, other] = inputs();
    expect(first).toEqual({
      QueueUrl: DLQ_URL,
      MessageBody: '{"not":1}',
      MessageGroupId: '20001-friend-30001',
      MessageDeduplicationId: expect.stringMatching(/^[A-Za-z0-9_-]{1,128}$/),
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'malformed inbound message: key: Invalid input' },
        sourceMessageId: { DataType: 'String', StringValue: '0f1e2d3c-0000-4000-8000-000000000001' },
      },
    });
    expect(again?.MessageDeduplicationId).toBe(first?.MessageDeduplicationId);
    expect(other?.MessageDeduplicationId).not.toBe(first?.MessageDeduplicationId);
  });

  it('cuts a long reason and replaces what SQS refuses in a string', async () => {
    const { sqs, inputs } = client();
    await sqsDeadLetterSender(sqs, DLQ_URL)(
      sqsRecord('m1', 'g', 'x'),
      `bad \uD800 \uFFFF ${'x'.repeat(5_000)}`,
    );
    const reason = inputs()[0]?.MessageAttributes?.reason?.StringValue ?? '';
    expect(reason.startsWith('bad \uFFFD \uFFFD x')).toBe(true);
    expect(reason).toHaveLength(1_000);
  });

  it('throws when SQS does not take the message (the consumer then reports the record failed)', async () => {
    const { sqs, send } = client();
    send.mockImplementation(async () => {
      throw Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied' });
    });
    await expect(sqsDeadLetterSender(sqs, DLQ_URL)(sqsRecord('m1', 'g', 'x'), 'r')).rejects.toThrow(/denied/);
  });
});
