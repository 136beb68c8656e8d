/**
 * The consumer's handling of one SQS FIFO batch, given its collaborators (`handler.ts` wires the
 * real ones from the environment; the unit tests pass fakes).
 *
 * - Records are handled one at a time, in batch order (Powertools' SqsFifoPartialProcessorAsync).
 * - A record whose handling throws is reported in `batchItemFailures`, and so is every later record
 *   of its conversation (message group) in the batch, unprocessed: they come back together, in
 *   order, after the visibility timeout. The other conversations go on (skipGroupOnError).
 * - A body that does not parse can never succeed: it goes to the inbound DLQ at once and counts as
 *   handled, so its conversation does not wait 3 × the visibility timeout for the redrive. If the
 *   DLQ does not take it, it is reported failed like any other record (nothing is lost).
 * - Every failed record gets one log line saying why, and every batch a line of counts.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { PipelineMetrics } from '../../lib/pipeline/poller.ts';
import type { InboundMessage } from '../../lib/pipeline/ports.ts';
import type { ReplyReport } from '../../lib/pipeline/replier.ts';
import { InboundMessageError, parseInboundMessage } from '../../lib/queue/inbound-queue.ts';
import type { DeadLetterSender } from './dead-letter.ts';

export interface ConsumerDeps {
  /** Answers one message (`replyTo` with the stores); throws to have the record retried. */
  readonly reply: (message: InboundMessage, remainingMs: () => number) => Promise<ReplyReport>;
  /** Sets a record that cannot parse aside in the inbound DLQ. */
  readonly deadLetter: DeadLetterSender;
  readonly logger: Logger;
  /** Published after each invocation (logMetrics). */
  readonly metrics: Metrics;
  /** The pipeline's port onto `metrics`. */
  readonly counts: PipelineMetrics;
}

export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Error messages are cut in log lines: they say why, they are not a dump. */
const MAX_LOGGED_MESSAGE = 500;

/** A malformed record the DLQ did not take: reported failed, so it comes back and is tried again. */
export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
  constructor(problem: InboundMessageError, cause: unknown) {
    super(`${problem.message}; the dead-letter queue did not take it: ${describe(cause)}`, { cause });
  }
}

export function createConsumerHandler(deps: ConsumerDeps) {
  const { logger, counts } = deps;

  const consume = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    counts.count('records_received', event.Records.length);
    // FIFO: after a failure, the rest of that conversation in the batch fails too, so it stays in order.
    const processor = new SqsFifoPartialProcessorAsync();
    /** The conversation of each record parsed, for the failure lines. */
    const conversations = new Map<string, string>();
    let deadLettered = 0;

    const moveToDeadLetterQueue = async (record: SQSRecord, problem: InboundMessageError) => {
      try {
        await deps.deadLetter(record, problem.message);
      } catch (err) {
        throw new DeadLetterError(problem, err);
      }
      deadLettered++;
      logger.error('malformed record moved to the dead-letter queue', {
        ...recordFields(record),
        ...errorFields(problem),
      });
    };

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      let message: InboundMessage;
      try {
        message = parseInboundMessage(record.body);
      } catch (err) {
        if (!(err instanceof InboundMessageError)) throw err;
        await moveToDeadLetterQueue(record, err);
        return;
      }
      conversations.set(record.messageId, message.conversation);
      logger.appendKeys({ conversation: message.conversation, eventKey: message.key });
      try {
        const report = await deps.reply(message, () => context.getRemainingTimeInMillis());
        logger.info('message handled', { replies: report.replies, skipped: report.skipped });
      } finally {
        logger.removeKeys(['conversation', 'eventKey']);
      }
    };

    // skipGroupOnError: a failed conversation waits, the others in the batch go on.
    const response = await processPartialResponse(event, recordHandler, processor, {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });

    // The processor keeps each failed record with its error, side by side (skipped ones included).
    const failed = processor.failureMessages as SQSRecord[];
    failed.forEach((record, index) => {
      const error = processor.errors[index];
      const retryable =
        error?.name === 'RetryLaterError' || error?.name === 'SqsFifoMessageGroupShortCircuitError';
      const line = {
        ...recordFields(record, conversations.get(record.messageId) ?? conversationOf(record.body)),
        ...errorFields(error),
      };
      if (retryable) logger.warn('record failed, it comes back after the visibility timeout', line);
      else logger.error('record failed, it comes back after the visibility timeout', line);
    });
    logger.info('batch processed', {
      records: event.Records.length,
      processed: event.Records.length - failed.length - deadLettered,
      deadLettered,
      failed: failed.length,
    });
    return response;
  };

  return middy(consume).use(injectLambdaContext(logger)).use(logMetrics(deps.metrics));
}

/** What identifies a record in a log line: never its body. */
function recordFields(record: SQSRecord, conversation?: string) {
  return {
    messageId: record.messageId,
    messageGroupId: record.attributes.MessageGroupId,
    ...(conversation !== undefined ? { conversation } : {}),
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  };
}

function errorFields(error: unknown) {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message.slice(0, MAX_LOGGED_MESSAGE) }
    : { errorName: 'unknown', errorMessage: describe(error) };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_LOGGED_MESSAGE);
}

/** The conversation of a record that was never parsed (skipped after an earlier failure), if it parses. */
function conversationOf(body: string): string | undefined {
  try {
    return parseInboundMessage(body).conversation;
  } catch {
    return undefined;
  }
}
