/**
 * The inbound FIFO queue (`QUEUES.inbound`) as the poller sees it: events go out in batches, and
 * the ones that could not be published come back to the caller (for the outbox) instead of an error.
 */
import { createHash } from 'node:crypto';
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { InboundMessage, InboundQueue, PublishResult } from '../pipeline/ports.ts';
import { encodeInboundMessage } from './message-body.ts';

export { InboundMessageError, parseInboundMessage } from './message-body.ts';

/** SendMessageBatch takes at most 10 entries... */
const BATCH_MAX_ENTRIES = 10;
/**
 * ...and at most this many bytes of bodies in all: 256 KiB, the limit AWS documented for years (it
 * is 1 MiB now), so a batch fits whichever limit an endpoint applies. A body bigger than this goes
 * alone, and only it can fail for its size.
 */
const BATCH_MAX_BYTES = 262_144;

export interface SqsInboundQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Tries per batch, the first included. */
  readonly attempts?: number;
  /** The wait before the second try; doubled before each further one. */
  readonly backoffMs?: number;
  /** Tests pass a fake to skip the waits and count them. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Publishes in order, one batch after the other (batches sent side by side could overtake each
 * other within a conversation). Each batch is tried up to `attempts` times, with exponential
 * backoff: a whole-call error (network, throttling, 5xx) retries the whole batch, a per-entry
 * failure retries that entry, unless SQS says it is the sender's fault (too big, bad characters):
 * those would fail again and are returned at once. Retrying an entry that SQS did take is harmless:
 * its deduplication id makes the queue drop the copy.
 *
 * Order: an entry retried after a partial failure lands behind the later messages of its
 * conversation that succeeded in the same batch; the consumer must not rely on strict order then.
 */
export class SqsInboundQueue implements InboundQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: SqsInboundQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#backoffMs = options.backoffMs ?? 100;
    this.#sleep = options.sleep ?? sleep;
  }

  async publish(messages: readonly InboundMessage[]): Promise<PublishResult> {
    const failed = new Set<number>();
    for (const batch of packBatches(messages.map(toEntry))) {
      for (const index of await this.#sendBatch(batch)) failed.add(index);
    }
    return { failed: messages.filter((_, index) => failed.has(index)) };
  }

  /** Sends one batch with retries; returns the indexes of the messages that still failed. */
  async #sendBatch(batch: readonly Entry[]): Promise<number[]> {
    let pending = batch;
    const failed: number[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await this.#sleep(this.#backoffMs * 2 ** (attempt - 2));
      const last = attempt >= this.#attempts;
      let errors: readonly BatchResultErrorEntry[];
      try {
        const result = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: pending.map((e) => e.request) }),
        );
        errors = result.Failed ?? [];
      } catch {
        // The whole call failed: nothing of it is known to be queued.
        if (last) return [...failed, ...pending.map((e) => e.index)];
        continue;
      }
      const byId = new Map<string | undefined, Entry>(pending.map((e) => [e.request.Id, e]));
      const retry: Entry[] = [];
      for (const error of errors) {
        const entry = byId.get(error.Id);
        if (!entry) continue;
        if (error.SenderFault || last) failed.push(entry.index);
        else retry.push(entry);
      }
      pending = retry;
    }
    return failed;
  }
}

interface Entry {
  /** The message's position in the published list. */
  readonly index: number;
  readonly request: SendMessageBatchRequestEntry & { Id: string; MessageBody: string };
  readonly bytes: number;
}

function toEntry(message: InboundMessage, index: number): Entry {
  const body = encodeInboundMessage(message);
  return {
    index,
    request: {
      Id: `m${index}`,
      MessageBody: body,
      MessageGroupId: messageGroupId(message.conversation),
      MessageDeduplicationId: deduplicationId(message.key),
    },
    bytes: Buffer.byteLength(body, 'utf8'),
  };
}

/** Consecutive batches of at most 10 entries and BATCH_MAX_BYTES (a bigger entry alone), in order. */
function packBatches(entries: readonly Entry[]): Entry[][] {
  const batches: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      current.length > 0 &&
      (current.length === BATCH_MAX_ENTRIES || bytes + entry.bytes > BATCH_MAX_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * A FIFO deduplication id for an event key: the key's SHA-256 in base64url, 43 characters of the
 * allowed alphabet (alphanumerics and punctuation, at most 128), whatever the key holds.
 */
export function deduplicationId(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** What SQS accepts as a MessageGroupId: 1–128 of alphanumerics and ASCII punctuation. */
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The FIFO message group of a conversation: the conversation itself when SQS accepts it (readable
 * in the console), else its SHA-256 (a name with spaces or Chinese characters). Either way one
 * conversation always maps to the same group.
 */
export function messageGroupId(conversation: string): string {
  return GROUP_ID.test(conversation)
    ? conversation
    : `sha256:${createHash('sha256').update(conversation).digest('base64url')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
