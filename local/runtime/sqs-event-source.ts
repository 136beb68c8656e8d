/**
 * Lambda's SQS event source mapping, in process: long-polls the queue, hands each batch to the
 * function as a real `SQSEvent`, and deletes what the function processed.
 *
 * - ReportBatchItemFailures (on by default, as the stack configures it): the records the function
 *   lists in `batchItemFailures` stay on the queue and come back after the visibility timeout; the
 *   others are deleted. A thrown error, a timeout or an invalid response fails the whole batch.
 *   Without it, only an error or a timeout fails the batch.
 * - Dead-letter queue: fauxqs honours the queue's RedrivePolicy itself, as SQS does: a receive that
 *   would exceed maxReceiveCount moves the message to the DLQ instead of returning it. So this loop
 *   does nothing for it, exactly like Lambda's.
 * - FIFO: as SQS documents, a receive returns as many messages of one group as it can, in order
 *   (then others), and the group is locked while any of them is in flight: a group's later messages
 *   are not delivered while an earlier one is pending. fauxqs 1.9.2 returned one message per group
 *   per receive; `patches/fauxqs+1.9.2.patch` (applied by `npm ci`) makes it return up to 10, so
 *   locally a batch holds runs of a conversation's messages, as on AWS.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import {
  type Invocation,
  invoke,
  type LambdaFunction,
  type LambdaHandler,
  type RuntimeLog,
} from './lambda-context.ts';

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  /** As CreateQueue returned it (fauxqs finds queues by exact URL). */
  readonly queueUrl: string;
  readonly handler: LambdaHandler<SQSEvent, unknown>;
  readonly function: LambdaFunction;
  /** Records per invocation, 1–10 (one ReceiveMessage); default 10. */
  readonly batchSize?: number;
  /** Long-poll wait, 0–20 s; default 20. */
  readonly waitTimeSeconds?: number;
  /** The mapping's `FunctionResponseTypes: ['ReportBatchItemFailures']`; default true. */
  readonly reportBatchItemFailures?: boolean;
  /** Receive loops running side by side (Lambda starts several pollers); default 1. */
  readonly concurrency?: number;
  readonly onBatch?: (report: BatchReport) => void;
  readonly log?: RuntimeLog;
  /** How long `close()` waits for batches being processed; default 2 s. */
  readonly closeGraceMs?: number;
}

export interface BatchReport {
  readonly records: readonly SQSRecord[];
  /** Message ids left on the queue, to come back after the visibility timeout. */
  readonly failed: readonly string[];
  /** Why the whole batch failed, when it did. */
  readonly batchFailure?: string;
  readonly invocation: Invocation<unknown>;
}

export interface SqsEventSource {
  readonly eventSourceArn: string;
  /** Stops receiving (an outstanding long poll is abandoned) and waits, at most the grace, for batches in hand. */
  close(): Promise<void>;
}

export class EventSourceConfigError extends Error {
  override readonly name = 'EventSourceConfigError';
}

const RETRY_AFTER_ERROR_MS = 1_000;

export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<SqsEventSource> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 10;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const reportFailures = options.reportBatchItemFailures ?? true;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new EventSourceConfigError(`batchSize must be 1 to 10, not ${batchSize}`);
  }
  const { Attributes } = await options.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.queueUrl,
      AttributeNames: ['QueueArn', 'VisibilityTimeout'],
    }),
  );
  const eventSourceArn = Attributes?.QueueArn;
  if (!eventSourceArn) throw new EventSourceConfigError(`queue ${options.queueUrl} has no QueueArn`);
  // CreateEventSourceMapping refuses a queue whose visibility timeout is shorter than the function's
  // timeout: a batch still being processed would be delivered a second time.
  const visibilityMs = Number(Attributes?.VisibilityTimeout ?? 30) * 1000;
  if (visibilityMs < options.function.timeoutMs) {
    throw new EventSourceConfigError(
      `queue visibility timeout ${visibilityMs / 1000} s is less than ${options.function.functionName}'s timeout ${options.function.timeoutMs / 1000} s`,
    );
  }
  const awsRegion = eventSourceArn.split(':')[3] ?? '';
  const abort = new AbortController();
  let closed = false;

  async function receiveLoop(): Promise<void> {
    while (!closed) {
      let messages: Message[];
      try {
        const answer = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = answer.Messages ?? [];
      } catch (err) {
        if (closed) return;
        log(
          `${options.function.functionName} event source: ReceiveMessage failed: ${(err as Error).message}`,
        );
        await delay(RETRY_AFTER_ERROR_MS, abort.signal);
        continue;
      }
      if (messages.length > 0) await processBatch(messages);
    }
  }

  async function processBatch(messages: readonly Message[]): Promise<void> {
    const records = messages.map((m) => toRecord(m, eventSourceArn as string, awsRegion));
    const invocation = await invoke(options.handler, { Records: records }, options.function, log);
    const verdict = judge(invocation, records, reportFailures);
    const done = records.filter((r) => !verdict.failed.has(r.messageId));
    if (verdict.batchFailure && !closed) {
      log(`${options.function.functionName}: batch of ${records.length} failed (${verdict.batchFailure})`);
    }
    await deleteRecords(done);
    if (!closed) {
      options.onBatch?.({
        records,
        failed: records.filter((r) => verdict.failed.has(r.messageId)).map((r) => r.messageId),
        ...(verdict.batchFailure ? { batchFailure: verdict.batchFailure } : {}),
        invocation,
      });
    }
  }

  async function deleteRecords(records: readonly SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      const answer = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const failure of answer.Failed ?? []) {
        log(
          `${options.function.functionName} event source: delete failed: ${failure.Code} ${failure.Message ?? ''}`,
        );
      }
    } catch (err) {
      // The records come back after the visibility timeout: the consumer is idempotent on them.
      if (!closed)
        log(
          `${options.function.functionName} event source: DeleteMessageBatch failed: ${(err as Error).message}`,
        );
    }
  }

  const loops = Array.from({ length: options.concurrency ?? 1 }, () => receiveLoop());

  return {
    eventSourceArn,
    async close() {
      if (closed) return;
      closed = true;
      abort.abort();
      await Promise.race([Promise.all(loops), delay(options.closeGraceMs ?? 2_000)]);
    },
  };
}

/** The record Lambda builds from a received message (field for field). */
function toRecord(message: Message, eventSourceArn: string, awsRegion: string): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? '',
    SenderId: a.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
    ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
    ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
    ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    ...(a.AWSTraceHeader ? { AWSTraceHeader: a.AWSTraceHeader } : {}),
  };
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: toRecordAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion,
  };
}

/** Lambda's spelling of message attributes: camelCase, binary as base64, the list fields always present. */
function toRecordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(base64),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );
}

interface Verdict {
  readonly failed: ReadonlySet<string>;
  readonly batchFailure?: string;
}

/**
 * Which records failed, by Lambda's rules for ReportBatchItemFailures: no response, an empty
 * response or an empty/null list is a complete success; an identifier that is empty, missing or not
 * in the batch makes the response invalid, and an invalid response fails the whole batch.
 */
function judge(
  invocation: Invocation<unknown>,
  records: readonly SQSRecord[],
  reportFailures: boolean,
): Verdict {
  const all = new Set(records.map((r) => r.messageId));
  if (invocation.outcome === 'error')
    return { failed: all, batchFailure: `function error: ${invocation.error.message}` };
  if (invocation.outcome === 'timeout') return { failed: all, batchFailure: 'function timed out' };
  const response = invocation.result;
  if (!reportFailures || response === undefined || response === null) return { failed: new Set() };
  const invalid = (why: string): Verdict => ({ failed: all, batchFailure: `invalid response: ${why}` });
  if (typeof response !== 'object' || Array.isArray(response)) return invalid('not an object');
  const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return { failed: new Set() };
  if (!Array.isArray(list)) return invalid('batchItemFailures is not a list');
  const failed = new Set<string>();
  for (const item of list as unknown[]) {
    const id =
      typeof item === 'object' && item !== null
        ? (item as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') return invalid('an itemIdentifier is empty or missing');
    if (!all.has(id)) return invalid(`itemIdentifier ${id} is not in the batch`);
    failed.add(id);
  }
  return { failed };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
