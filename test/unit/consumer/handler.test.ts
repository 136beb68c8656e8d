/**
 * The consumer's contract with the FIFO event source, on hand-made SQS events: what it reports in
 * `batchItemFailures` (those records come back, the rest are deleted), in which order it handles
 * records, what it does with a body that cannot parse, and what it logs. `reply` stands in for
 * `replyTo`; the logger and metrics are the real Powertools ones, their output captured.
 *
 * Every batch here holds two conversations and at least one retryable failure: a consumer that
 * swallowed reply errors (records deleted instead of retried), one that handled a conversation's
 * records side by side or after its failure, or one that handled conversations one after another
 * (a slow chat holding up the rest), fails a test.
 */
import type { SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConsumerDeps, createConsumerHandler } from '../../../functions/consumer/consumer.ts';
import { createObservability } from '../../../functions/shared/observability.ts';
import type { InboundMessage } from '../../../lib/pipeline/ports.ts';
import { RetryLaterError } from '../../../lib/pipeline/replier.ts';
import { type CapturedOutput, captureOutput, lambdaContext, sqsEvent, sqsRecord } from './support.ts';

const ACCOUNT = '20001';
const A = `${ACCOUNT}-friend-30001`;
const B = `${ACCOUNT}-group-40001`;
const C = `${ACCOUNT}-discussion-50001`;

/** A body that is JSON but not an inbound message: it can never parse. */
const MALFORMED = '{"not":"an inbound message"}';

/** A record of `conversation` whose event key is its message id. */
function record(id: string, conversation: string, text = 'ping'): SQSRecord {
  const message: InboundMessage = {
    key: id,
    account: ACCOUNT,
    conversation,
    chatType: 'friend',
    chatId: 30001,
    chatName: 'Ali',
    senderUin: 30001,
    senderName: 'Ali',
    senderNick: 'Alice',
    text,
    msgId: 1000,
    time: 1_740_000_000,
    linkedAt: 1_740_000_000_000,
    receivedAt: 1_740_000_000_000,
  };
  return sqsRecord(id, conversation, JSON.stringify(message));
}

interface Consumer {
  readonly handler: ReturnType<typeof createConsumerHandler>;
  /** What happened, in order: `start a1`, `end a1`, `fail a1`, `dead-letter p1`, `refused p1`. */
  readonly timeline: string[];
  /** The event keys `reply` was called with, in order. */
  readonly replied: string[];
  readonly deadLetters: { record: SQSRecord; reason: string }[];
  /** The visibility changes asked: record ids and seconds. */
  readonly deferred: { ids: string[]; seconds: number }[];
}

interface Behaviour {
  /** Event keys whose reply throws RetryLaterError. */
  readonly retry?: readonly string[];
  /** Event keys whose reply throws RetryLaterError for a send turn this many ms away. */
  readonly turnIn?: Readonly<Record<string, number>>;
  /** Whether SQS refuses the visibility change; default it takes it. */
  readonly deferRefused?: boolean;
  /** Event keys whose reply takes a while. */
  readonly slow?: readonly string[];
  /** Whether the DLQ takes what it is sent; default yes. */
  readonly dlqRefuses?: boolean;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function consumer(behaviour: Behaviour = {}): Consumer {
  const timeline: string[] = [];
  const replied: string[] = [];
  const deadLetters: Consumer['deadLetters'] = [];
  const deferred: Consumer['deferred'] = [];
  const { logger, metrics, counts } = createObservability('consumer');
  const deps: ConsumerDeps = {
    reply: async (message) => {
      replied.push(message.key);
      timeline.push(`start ${message.key}`);
      await tick(behaviour.slow?.includes(message.key) ? 30 : 1);
      const turnIn = behaviour.turnIn?.[message.key];
      if (turnIn !== undefined) {
        timeline.push(`fail ${message.key}`);
        throw new RetryLaterError(`next send turn is ${turnIn} ms away`, turnIn);
      }
      if (behaviour.retry?.includes(message.key)) {
        timeline.push(`fail ${message.key}`);
        throw new RetryLaterError(`session of account ${message.account} is offline`);
      }
      timeline.push(`end ${message.key}`);
      return { replies: 1, skipped: [] };
    },
    deadLetter: async (dead, reason) => {
      // SendMessage takes a moment: records handled side by side would overtake it.
      await tick(10);
      if (behaviour.dlqRefuses) {
        timeline.push(`refused ${dead.messageId}`);
        throw Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied' });
      }
      timeline.push(`dead-letter ${dead.messageId}`);
      deadLetters.push({ record: dead, reason });
    },
    defer: async (records, seconds) => {
      if (behaviour.deferRefused) throw new Error('AccessDenied');
      deferred.push({ ids: records.map((r) => r.messageId), seconds });
    },
    logger,
    metrics,
    counts,
  };
  return { handler: createConsumerHandler(deps), timeline, replied, deadLetters, deferred };
}

/** The timeline's entries about these records, in order. */
const only = (timeline: readonly string[], ...ids: string[]) =>
  timeline.filter((entry) => ids.includes(entry.split(' ')[1] ?? ''));

const failures = (...ids: string[]) => ({
  batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })),
});

let output: CapturedOutput;
beforeEach(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  output = captureOutput();
});
afterEach(() => {
  output.stop();
  vi.unstubAllEnvs();
});

describe('the consumer: one FIFO batch', () => {
  it('a retryable failure fails its record and every later record of its conversation, unhandled; the other conversation is all handled', async () => {
    const { handler, replied } = consumer({ retry: ['a1'] });
    const event = sqsEvent(
      record('a1', A),
      record('b1', B),
      record('a2', A),
      record('b2', B),
      record('a3', A),
    );
    expect(await handler(event, lambdaContext())).toEqual(failures('a1', 'a2', 'a3'));
    // a2 and a3 come back after a1, in order: answering them now would answer out of order.
    expect(replied).toEqual(['a1', 'b1', 'b2']);
  });

  it('handles the records of a conversation one at a time, in batch order, and none after its first failure', async () => {
    const { handler, timeline } = consumer({ slow: ['a1'], retry: ['a3'] });
    const event = sqsEvent(record('a1', A), record('a2', A), record('a3', A), record('a4', A));
    expect(await handler(event, lambdaContext())).toEqual(failures('a3', 'a4'));
    expect(timeline).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'fail a3']);
  });

  it('handles the conversations of a batch side by side: a slow chat does not hold up another', async () => {
    const { handler, timeline } = consumer({ slow: ['a1'] });
    const event = sqsEvent(record('a1', A), record('a2', A), record('b1', B), record('c1', C));
    expect(await handler(event, lambdaContext())).toEqual(failures());
    expect(only(timeline, 'a1', 'a2')).toEqual(['start a1', 'end a1', 'start a2', 'end a2']);
    // b1 and c1 started while a1 was still being answered, and were done before it.
    expect(timeline.indexOf('start b1')).toBeLessThan(timeline.indexOf('end a1'));
    expect(timeline.indexOf('end c1')).toBeLessThan(timeline.indexOf('end a1'));
  });

  it('a record whose send turn is after the invocation comes back then, with the rest of its conversation; others wait the visibility timeout', async () => {
    const { handler, deferred } = consumer({ turnIn: { a1: 2_500 }, retry: ['b1'] });
    const event = sqsEvent(record('a1', A), record('b1', B), record('a2', A), record('c1', C));
    expect(await handler(event, lambdaContext())).toEqual(failures('a1', 'b1', 'a2'));
    expect(deferred).toEqual([{ ids: ['a1', 'a2'], seconds: 2.5 }]);
  });

  it('a visibility change SQS refuses leaves the records to the visibility timeout: still reported failed', async () => {
    const { handler } = consumer({ turnIn: { a1: 2_500 }, deferRefused: true });
    const event = sqsEvent(record('a1', A), record('c1', C));
    expect(await handler(event, lambdaContext())).toEqual(failures('a1'));
    const warning = output.json().find((line) => line.message === 'failed records not brought back early');
    expect(warning).toMatchObject({ messageId: 'a1', records: 1, errorMessage: 'AccessDenied' });
  });

  it('sends a record that can never parse to the DLQ at once and counts it handled: its conversation goes on, unlike after a retryable failure', async () => {
    const { handler, timeline, deadLetters } = consumer({ retry: ['b1'] });
    const poison = sqsRecord('p1', A, MALFORMED);
    const event = sqsEvent(poison, record('b1', B), record('a2', A), record('b2', B));
    expect(await handler(event, lambdaContext())).toEqual(failures('b1', 'b2'));
    expect(deadLetters).toEqual([
      { record: poison, reason: expect.stringMatching(/^malformed inbound message: \S+: /) },
    ]);
    // In order: a2 is answered only once p1 is in the DLQ.
    expect(only(timeline, 'p1', 'a2')).toEqual(['dead-letter p1', 'start a2', 'end a2']);
    expect(only(timeline, 'b1', 'b2')).toEqual(['start b1', 'fail b1']);
  });

  it('a malformed record the DLQ does not take is a failure like any other: it and the rest of its conversation come back', async () => {
    const { handler, timeline, deadLetters } = consumer({ dlqRefuses: true, retry: ['b1'] });
    const event = sqsEvent(sqsRecord('p1', A, 'not json'), record('b1', B), record('a2', A), record('b2', B));
    expect(await handler(event, lambdaContext())).toEqual(failures('p1', 'b1', 'a2', 'b2'));
    expect(deadLetters).toEqual([]);
    expect(only(timeline, 'p1', 'a2')).toEqual(['refused p1']);
    expect(only(timeline, 'b1', 'b2')).toEqual(['start b1', 'fail b1']);
  });

  it('logs each failed record once, with its id, conversation and error but not its body, and each batch a line of counts', async () => {
    const { handler } = consumer({ retry: ['a1'] });
    const event = sqsEvent(
      record('a1', A, 'my password is hunter2'),
      record('b1', B),
      record('a2', A, 'hunter2 again'),
      sqsRecord('p1', C, '{"text":"hunter2"}'),
    );
    expect(await handler(event, lambdaContext())).toEqual(failures('a1', 'a2'));

    const lines = output.json().filter((line) => 'level' in line);
    const about = (id: string) => lines.filter((line) => line.messageId === id);
    expect(about('a1')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'record failed, it comes back after the visibility timeout',
        account: ACCOUNT,
        messageId: 'a1',
        messageGroupId: A,
        conversation: A,
        errorName: 'RetryLaterError',
        errorMessage: `session of account ${ACCOUNT} is offline`,
      }),
    ]);
    expect(about('a2')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        messageId: 'a2',
        conversation: A,
        errorName: 'EarlierRecordFailedError',
        errorMessage: expect.stringMatching(/previous record from this message group failed/),
      }),
    ]);
    expect(about('p1')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'malformed record moved to the dead-letter queue',
        messageId: 'p1',
        messageGroupId: C,
        errorName: 'InboundMessageError',
        errorMessage: expect.stringMatching(/^malformed inbound message: /),
      }),
    ]);
    expect(about('b1')).toEqual([]);
    expect(lines.filter((line) => line.message === 'batch processed')).toEqual([
      expect.objectContaining({ level: 'INFO', records: 4, processed: 1, deadLettered: 1, failed: 2 }),
    ]);
    expect(output.lines.join('\n')).not.toContain('hunter2');
  });
});
