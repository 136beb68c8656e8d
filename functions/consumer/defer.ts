/**
 * Bringing failed records back when they can succeed rather than after the queue's visibility
 * timeout (6 minutes): a reply whose send turn comes after the invocation's end takes none, and its
 * record comes back when the turn is due. In a FIFO queue a conversation's later records in the batch are failed
 * with it and stay in flight, holding the conversation: they are brought back at the same time.
 */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/** Makes the records visible again in `seconds`; throws when SQS did not take it. */
export type RecordDeferrer = (records: readonly SQSRecord[], seconds: number) => Promise<void>;

/** SQS takes a visibility timeout of 0 to 43,200 s, at most 10 entries per call. */
const MAX_ENTRIES = 10;

export function sqsRecordDeferrer(client: SQSClient, queueUrl: string): RecordDeferrer {
  return async (records, seconds) => {
    for (let i = 0; i < records.length; i += MAX_ENTRIES) {
      const batch = records.slice(i, i + MAX_ENTRIES);
      const { Failed } = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: Math.min(43_200, Math.max(0, Math.ceil(seconds))),
          })),
        }),
      );
      if (Failed && Failed.length > 0) {
        throw new Error(
          `ChangeMessageVisibility refused ${Failed.length} of ${batch.length}: ${Failed[0]?.Code}`,
        );
      }
    }
  };
}
