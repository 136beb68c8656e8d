import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../../lib/pipeline/ports.ts';
import {
  deduplicationId,
  parseInboundMessage,
  SqsInboundQueue,
  type SqsInboundQueueOptions,
} from '../../../lib/queue/inbound-queue.ts';
import type { QueueUrls } from '../../../lib/state/queues.ts';
import { startTestSqs, type TestSqs } from '../../support/sqs.ts';

let sqs: TestSqs;

beforeAll(async () => {
  sqs = await startTestSqs();
});
afterAll(() => sqs.close());
afterEach(() => {
  vi.useRealTimers();
});

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const CONVERSATIONS = ['20001-friend-3001', '20001-group-4001', '20001-discussion-6001'] as const;

function message(n: number, overrides: Partial<InboundMessage> = {}): InboundMessage {
  const conversation = CONVERSATIONS[n % CONVERSATIONS.length] ?? CONVERSATIONS[0];
  return {
    key: `key-${n}`,
    account: '20001',
    conversation,
    chatType: 'group',
    chatId: 4001,
    chatName: 'Hiking Club',
    senderUin: 3001,
    senderName: 'Trail Boss',
    senderNick: 'Ali',
    text: `message ${n}`,
    msgId: 1_000 + n,
    time: Math.floor(T0 / 1000) + n,
    linkedAt: T0 - 60_000,
    receivedAt: T0 + n,
    ...overrides,
  };
}

interface Received {
  readonly message: InboundMessage;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: bigint;
}

/** Receives and deletes everything on the queue, in sequence-number (= enqueue) order. */
async function drain(queueUrl: string): Promise<Received[]> {
  const received: Received[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber'],
      }),
    );
    if (Messages.length === 0) break;
    received.push(...Messages.map(toReceived));
    await sqs.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return received.sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1));
}

function toReceived(m: Message): Received {
  return {
    message: parseInboundMessage(m.Body ?? ''),
    groupId: m.Attributes?.MessageGroupId,
    deduplicationId: m.Attributes?.MessageDeduplicationId,
    sequenceNumber: BigInt(m.Attributes?.SequenceNumber ?? '0'),
  };
}

type Tamper = (
  input: SendMessageBatchCommandInput,
  send: (input: SendMessageBatchCommandInput) => Promise<SendMessageBatchCommandOutput>,
) => Promise<SendMessageBatchCommandOutput>;

/** A client whose SendMessageBatch calls go through `tamper` (which may call SQS or not); records each call's entry ids. */
function tamperedClient(tamper: Tamper): { client: SQSClient; calls: string[][] } {
  const client = sqs.newClient();
  const calls: string[][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      const input = args.input as SendMessageBatchCommandInput;
      calls.push((input.Entries ?? []).map((e) => e.Id ?? ''));
      const output = await tamper(
        input,
        async (changed) => (await next({ ...args, input: changed })).output as SendMessageBatchCommandOutput,
      );
      return { output, response: {} };
    },
    { step: 'initialize', name: 'tamper' },
  );
  return { client, calls };
}

const passThrough: Tamper = (input, send) => send(input);

async function setUp(
  label: string,
  options: Partial<SqsInboundQueueOptions> = {},
): Promise<{ urls: QueueUrls; queue: SqsInboundQueue; sleeps: number[]; calls: string[][] }> {
  const { urls } = await sqs.queues(label);
  const sleeps: number[] = [];
  const { client, calls } = tamperedClient(passThrough);
  const queue = new SqsInboundQueue({
    client,
    queueUrl: urls.inbound,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { urls, queue, sleeps, calls };
}

describe('publish', () => {
  it('sends 25 events in batches of 10, one message group per conversation, deduplicated by key', async () => {
    const { urls, queue, calls } = await setUp('publish');
    const messages = Array.from({ length: 25 }, (_, n) => message(n));

    expect(await queue.publish(messages)).toEqual({ failed: [] });

    expect(calls.map((ids) => ids.length)).toEqual([10, 10, 5]);
    const received = await drain(urls.inbound);
    expect(received.map((r) => r.message)).toStrictEqual(messages);
    for (const r of received) {
      expect(r.groupId).toBe(r.message.conversation);
      expect(r.deduplicationId).toBe(deduplicationId(r.message.key));
      expect(r.deduplicationId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    // Each conversation's events come out in the order they were published.
    for (const conversation of CONVERSATIONS) {
      const keys = received.filter((r) => r.groupId === conversation).map((r) => r.message.key);
      expect(keys).toEqual(messages.filter((m) => m.conversation === conversation).map((m) => m.key));
    }
  });

  it('publishes nothing for no events', async () => {
    const { queue, calls } = await setUp('empty');
    expect(await queue.publish([])).toEqual({ failed: [] });
    expect(calls).toEqual([]);
  });

  it('is deduplicated by FIFO when the same event (same key) is published again', async () => {
    const { urls, queue } = await setUp('dedup');
    const messages = [message(1), message(2), message(3)];
    await queue.publish(messages);
    const again = await queue.publish([message(2, { text: 'the same event, polled twice' }), message(4)]);

    expect(again).toEqual({ failed: [] });
    expect((await drain(urls.inbound)).map((r) => r.message)).toStrictEqual([...messages, message(4)]);
  });

  it('deduplicates only within the 5-minute window (fauxqs keeps it, as SQS does)', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { urls, queue } = await setUp('window');
    await queue.publish([message(1)]);
    vi.setSystemTime(Date.now() + 4 * 60_000);
    await queue.publish([message(1)]);
    expect(await drain(urls.inbound)).toHaveLength(1);

    vi.setSystemTime(Date.now() + 60_000 + 1_000);
    await queue.publish([message(1)]);
    expect(await drain(urls.inbound)).toHaveLength(1);
  });

  it('carries any chat text: emoji, U+FFFE/U+FFFF, lone surrogates, control characters', async () => {
    const { urls, queue } = await setUp('text');
    const texts = [
      '👍 好的 [微笑]',
      'a\uFFFEb\uFFFFc',
      'half \uD83D pair',
      'tab\tbell\u0007nul\u0000',
      '\r\n&lt;',
    ];
    const messages = texts.map((text, n) => message(n, { text }));

    expect(await queue.publish(messages)).toEqual({ failed: [] });
    expect((await drain(urls.inbound)).map((r) => r.message.text)).toEqual(texts);
  });
});

describe('failures', () => {
  it('returns an event SQS refuses for good (over 256 KiB) at once, and delivers the others', async () => {
    const { urls, queue, sleeps, calls } = await setUp('too-big');
    const big = message(4, { text: 'x'.repeat(300_000) });
    const messages = [message(0), message(1), message(2), message(3), big, message(5), message(6)];

    const result = await queue.publish(messages);

    expect(result.failed).toEqual([big]);
    expect(sleeps).toEqual([]);
    // The big one goes in a batch of its own, so it cannot sink the others.
    expect(calls).toEqual([['m0', 'm1', 'm2', 'm3'], ['m4'], ['m5', 'm6']]);
    expect((await drain(urls.inbound)).map((r) => r.message.key)).toEqual([
      'key-0',
      'key-1',
      'key-2',
      'key-3',
      'key-5',
      'key-6',
    ]);
  });

  it('retries an entry that failed for a passing reason; FIFO drops the copy if SQS had taken it', async () => {
    const { urls } = await sqs.queues('entry-retry');
    let first = true;
    const { client, calls } = tamperedClient(async (input, send) => {
      const output = await send(input);
      if (!first) return output;
      first = false;
      // SQS queued m3 but said it failed: what a retry must survive without a duplicate.
      return {
        ...output,
        Successful: (output.Successful ?? []).filter((s) => s.Id !== 'm3'),
        Failed: [{ Id: 'm3', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
      };
    });
    const sleeps: number[] = [];
    const queue = new SqsInboundQueue({
      client,
      queueUrl: urls.inbound,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const messages = Array.from({ length: 5 }, (_, n) => message(n));

    expect(await queue.publish(messages)).toEqual({ failed: [] });

    expect(calls).toEqual([['m0', 'm1', 'm2', 'm3', 'm4'], ['m3']]);
    expect(sleeps).toEqual([100]);
    expect((await drain(urls.inbound)).map((r) => r.message)).toStrictEqual(messages);
  });

  it('retries a batch whose whole call failed, with growing waits', async () => {
    const { urls } = await sqs.queues('call-retry');
    let failures = 2;
    const { client, calls } = tamperedClient(async (input, send) => {
      if (failures-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return send(input);
    });
    const sleeps: number[] = [];
    const queue = new SqsInboundQueue({
      client,
      queueUrl: urls.inbound,
      backoffMs: 50,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    expect(await queue.publish([message(1), message(2)])).toEqual({ failed: [] });

    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
    expect(await drain(urls.inbound)).toHaveLength(2);
  });

  it('gives the events back, never throwing, when every try of a batch fails', async () => {
    const { urls } = await sqs.queues('gone');
    const sleeps: number[] = [];
    const queue = new SqsInboundQueue({
      client: sqs.client,
      queueUrl: `${urls.inbound}-does-not-exist`,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const messages = Array.from({ length: 12 }, (_, n) => message(n));

    expect(await queue.publish(messages)).toEqual({ failed: messages });
    // Two batches, three tries each.
    expect(sleeps).toEqual([100, 200, 100, 200]);
  });

  it('gives back an entry that keeps failing after its tries, in the order published', async () => {
    const { urls } = await sqs.queues('keeps-failing');
    const { client, calls } = tamperedClient(async (input, send) => {
      const others = (input.Entries ?? []).filter((e) => e.Id !== 'm1');
      const output =
        others.length > 0 ? await send({ ...input, Entries: others }) : { Successful: [], $metadata: {} };
      return { ...output, Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError' }] };
    });
    const queue = new SqsInboundQueue({ client, queueUrl: urls.inbound, attempts: 2, sleep: async () => {} });
    const messages = [message(0), message(1), message(2)];

    expect(await queue.publish(messages)).toEqual({ failed: [message(1)] });
    expect(calls).toEqual([['m0', 'm1', 'm2'], ['m1']]);
    expect((await drain(urls.inbound)).map((r) => r.message.key)).toEqual(['key-0', 'key-2']);
  });
});
