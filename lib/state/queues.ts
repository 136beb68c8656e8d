/**
 * The SQS queues of the whole system, declared once: the CDK stack and the local runtime both build
 * their queues from these descriptions, so the two cannot drift (like `tables.ts`).
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The consumer function's timeout. Its batch is at most 10 messages (the FIFO event source's
 * limit), each a rule match and a reply paced at SEND_INTERVAL_MS (3 s by default) per account: ~30 s
 * of pacing in the worst case, so 60 s leaves room for slow QQ answers.
 */
export const CONSUMER_TIMEOUT_SECONDS = 60;

/**
 * Concurrent consumer invocations. SQS hands a FIFO batch as many messages of one conversation
 * (message group) as it can, and Lambda scales FIFO consumers by the active groups up to this: a
 * burst over many chats is answered chat by chat side by side. Each chat stays in order; the
 * account's send pace (SEND_INTERVAL_MS) is kept in DynamoDB whatever the concurrency.
 */
export const CONSUMER_MAX_CONCURRENCY = 10;

/**
 * AWS: the queue's visibility timeout must be at least the function timeout (Lambda refuses the
 * event source mapping otherwise), and 6x is recommended "to allow Lambda to retry if your function
 * is throttled while processing a previous batch" (Lambda developer guide, "Configuring a queue to
 * use with Lambda"). We take the 6x: a batch that waits out throttling past the visibility timeout
 * comes back with its receive count raised and can reach the DLQ without ever being processed.
 * The price: a message the consumer reports failed is retried only after this long, and in a FIFO
 * queue its conversation waits behind it meanwhile; so the consumer retries short transient
 * failures itself, and SQS redelivery is for crashes and timeouts.
 */
export const INBOUND_VISIBILITY_TIMEOUT_SECONDS = 6 * CONSUMER_TIMEOUT_SECONDS;

export type QueueKey = 'inbound' | 'inboundDlq';
export type QueueNames = Readonly<Record<QueueKey, string>>;
export type QueueUrls = Readonly<Record<QueueKey, string>>;

export interface QueueDefinition {
  /** The end of the queue's name: the local runtime names a queue `<prefix>-<nameSuffix>`. */
  readonly nameSuffix: string;
  readonly fifo: boolean;
  /** FIFO: deduplicate on the MessageDeduplicationId we send (never on the body). */
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly maxMessageBytes: number;
  /** The queue that receives messages received this many times without being deleted. */
  readonly deadLetter?: { readonly queue: QueueKey; readonly maxReceiveCount: number };
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * 256 KiB, below SQS's 1 MiB maximum: an inbound event is a few KB, and a full batch of 10 stays far
 * under Lambda's 6 MB invocation payload. A bigger message is a bug, refused at publish.
 */
const INBOUND_MAX_MESSAGE_BYTES = 262_144;

export const QUEUES = {
  /**
   * Chat events from the poller to the consumer. FIFO: one conversation's messages (one message
   * group) are answered in order, and the event key deduplicates a poller that publishes twice
   * (DESIGN.md invariant 2) within SQS's 5-minute deduplication window.
   */
  inbound: {
    nameSuffix: 'inbound.fifo',
    fifo: true,
    contentBasedDeduplication: false,
    visibilityTimeoutSeconds: INBOUND_VISIBILITY_TIMEOUT_SECONDS,
    // SQS's default: an outage over a weekend is still answered (the consumer may skip stale chat).
    retentionSeconds: 4 * DAY_SECONDS,
    maxMessageBytes: INBOUND_MAX_MESSAGE_BYTES,
    // Three tries, a visibility timeout apart, before a message is set aside (alarm on DLQ depth).
    deadLetter: { queue: 'inboundDlq', maxReceiveCount: 3 },
  },
  /**
   * Events the consumer failed on three times. A FIFO queue's DLQ must be FIFO. Kept for SQS's
   * maximum, longer than the source queue as AWS advises, so there is time to look and redrive.
   */
  inboundDlq: {
    nameSuffix: 'inbound-dlq.fifo',
    fifo: true,
    contentBasedDeduplication: false,
    visibilityTimeoutSeconds: 30,
    retentionSeconds: 14 * DAY_SECONDS,
    maxMessageBytes: INBOUND_MAX_MESSAGE_BYTES,
  },
} as const satisfies Record<QueueKey, QueueDefinition>;

/** The local runtime's (and the tests') queue names: `<prefix>-inbound.fifo` and so on. */
export function localQueueNames(prefix: string): QueueNames {
  return {
    inbound: `${prefix}-${QUEUES.inbound.nameSuffix}`,
    inboundDlq: `${prefix}-${QUEUES.inboundDlq.nameSuffix}`,
  };
}

/** The CreateQueue attributes of a definition, given its dead-letter queue's ARN if it has one. */
export function queueAttributes(definition: QueueDefinition, deadLetterArn?: string): Record<string, string> {
  if (definition.deadLetter && !deadLetterArn) {
    throw new Error(`queue ${definition.nameSuffix} needs the ARN of its dead-letter queue`);
  }
  return {
    ...(definition.fifo
      ? {
          FifoQueue: 'true',
          ContentBasedDeduplication: String(definition.contentBasedDeduplication),
          // Spelled out (they are SQS's defaults): not the high-throughput mode, whose per-group
          // deduplication would let the same event through twice in two groups.
          DeduplicationScope: 'queue',
          FifoThroughputLimit: 'perQueue',
        }
      : {}),
    VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(definition.retentionSeconds),
    MaximumMessageSize: String(definition.maxMessageBytes),
    ...(definition.deadLetter && deadLetterArn
      ? {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterArn,
            maxReceiveCount: definition.deadLetter.maxReceiveCount,
          }),
        }
      : {}),
  };
}

/**
 * Creates the queues from their definitions, dead-letter queues first, for the local runtime and the
 * tests (in AWS the CDK stack does it); returns their URLs. Idempotent: CreateQueue with the same
 * name and attributes returns the existing queue (with different attributes it fails, naming one).
 */
export async function createQueues(client: SQSClient, names: QueueNames): Promise<QueueUrls> {
  const keys = (Object.keys(QUEUES) as QueueKey[]).sort(
    (a, b) => Number(hasDeadLetter(a)) - Number(hasDeadLetter(b)),
  );
  const urls: Partial<Record<QueueKey, string>> = {};
  const arns: Partial<Record<QueueKey, string>> = {};
  for (const key of keys) {
    const definition: QueueDefinition = QUEUES[key];
    const deadLetterArn = definition.deadLetter ? arns[definition.deadLetter.queue] : undefined;
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({
        QueueName: names[key],
        Attributes: queueAttributes(definition, deadLetterArn),
      }),
    );
    if (!QueueUrl) throw new Error(`CreateQueue ${names[key]} answered without a QueueUrl`);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!Attributes?.QueueArn) throw new Error(`queue ${names[key]} has no QueueArn`);
    urls[key] = QueueUrl;
    arns[key] = Attributes.QueueArn;
  }
  return { inbound: required(urls, 'inbound'), inboundDlq: required(urls, 'inboundDlq') };
}

function hasDeadLetter(key: QueueKey): boolean {
  const definition: QueueDefinition = QUEUES[key];
  return definition.deadLetter !== undefined;
}

function required(urls: Partial<Record<QueueKey, string>>, key: QueueKey): string {
  const url = urls[key];
  if (url === undefined) throw new Error(`queue ${key} was not created`);
  return url;
}
