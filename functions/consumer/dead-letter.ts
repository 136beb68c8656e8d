/**
 * Moving a record that can never be processed (a body that does not parse) to the inbound DLQ
 * straight away, instead of letting it fail maxReceiveCount times, a visibility timeout apart, while
 * its conversation waits behind it.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { deduplicationId } from '../../lib/queue/inbound-queue.ts';

/** Sends the record to the dead-letter queue with why it is there; throws when SQS did not take it. */
export type DeadLetterSender = (record: SQSRecord, reason: string) => Promise<void>;

/** Longer reasons are cut: a message attribute counts towards the queue's maximum message size. */
const MAX_REASON_LENGTH = 1_000;

/** Characters SQS refuses in a string (as in message-body.ts); a reason may quote a field of the body. */
const UNSAFE_FOR_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;

/**
 * SendMessage to the FIFO DLQ: the body as it was received, in the record's own message group (an
 * operator who redrives it puts it back in its conversation), deduplicated by the record's message
 * id (a record received again before its delete lands is not set aside twice). The message
 * attributes say why (`reason`) and which inbound message it was (`sourceMessageId`).
 */
export function sqsDeadLetterSender(client: SQSClient, queueUrl: string): DeadLetterSender {
  return async (record, reason) => {
    const group = record.attributes.MessageGroupId;
    if (!group) throw new Error(`record ${record.messageId} has no MessageGroupId: not from a FIFO queue`);
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageGroupId: group,
        MessageDeduplicationId: deduplicationId(record.messageId),
        MessageAttributes: {
          reason: {
            DataType: 'String',
            StringValue: reason.replace(UNSAFE_FOR_SQS, '\uFFFD').slice(0, MAX_REASON_LENGTH) || 'unknown',
          },
          sourceMessageId: { DataType: 'String', StringValue: record.messageId },
        },
      }),
    );
  };
}
