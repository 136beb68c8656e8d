/**
 * BatchWriteItem in chunks of 25 (DynamoDB's limit), retrying what comes back unprocessed with a
 * growing pause; throttled requests come back that way rather than as an error (BatchWriteItem docs).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type BatchRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_ATTEMPTS = 8;

export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  requests: readonly BatchRequest[],
  what: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_MAX) {
    let pending: BatchRequest[] = requests.slice(start, start + BATCH_WRITE_MAX);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_WRITE_ATTEMPTS) {
        throw new Error(
          `${pending.length} ${what} writes still unprocessed after ${BATCH_WRITE_ATTEMPTS} attempts`,
        );
      }
      if (attempt > 1) await sleep(25 * 2 ** attempt);
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = (UnprocessedItems?.[table] ?? []) as BatchRequest[];
    }
  }
}
