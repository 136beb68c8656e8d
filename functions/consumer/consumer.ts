/**
 * The consumer's handling of one SQS FIFO batch, given its collaborators (`handler.ts` wires the
 * real ones from the environment; the unit tests pass fakes).
 *
 * - The conversations (message groups) of a batch are handled side by side, each one's records one
 *   at a time in batch order: a slow or failing chat never holds up another, and a chat's replies
 *   keep its order.
 * - A record whose handling throws is reported in `batchItemFailures`, and so is every later record
 *   of its conversation in the batch, unprocessed: they come back together, in order, after the
 *   visibility timeout — or, when the failure says when it can succeed (a send turn after the invocation),
 *   then (`defer`). The other conversations go on.
 * - A body that does not parse can never succeed: it goes to the inbound DLQ at once and counts as
 *   handled, so its conversation does not wait 3 × the visibility timeout for the redrive. If the
 *   DLQ does not take it, it is reported failed like any other record (nothing is lost).
 * - Every failed record gets one log line saying why, and every batch a line of counts.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { InboundMessage, PipelineMetrics } from '../../lib/pipeline/ports.ts';
import { type ReplyReport, RetryLaterError } from '../../lib/pipeline/replier.ts';
import { InboundMessageError, parseInboundMessage } from '../../lib/queue/inbound-queue.ts';
import type { DeadLetterSender } from './dead-letter.ts';
import type { RecordDeferrer } from './defer.ts';

export interface ConsumerDeps {
  /** Answers one message (`replyTo` with the stores); throws to have the record retried. */
  readonly reply: (message: InboundMessage, remainingMs: () => number) => Promise<ReplyReport>;
  /** Sets a record that cannot parse aside in the inbound DLQ. */
  readonly deadLetter: DeadLetterSender;
  /** Brings failed records back sooner than the visibility timeout (a send turn after the invocation). */
  readonly defer: RecordDeferrer;
  readonly logger: Logger;
  /** Published after each invocation (logMetrics). */
  readonly metrics: Metrics;
  /** The pipeline's port onto `metrics`. */
  readonly counts: PipelineMetrics;
}

export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Error messages are cut in log lines: they say why, they are not a dump. */
const MAX_LOGGED_MESSAGE = 500;

/** A record not handled because an earlier record of its conversation failed in this batch. */
export class EarlierRecordFailedError extends Error {
  override readonly name = 'EarlierRecordFailedError';
  constructor(readonly firstFailedId: string) {
    super(
      `a previous record from this message group failed (${firstFailedId}): this one comes back after it`,
    );
  }
}

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
    /** The conversation of each record parsed, for the failure lines. */
    const conversations = new Map<string, string>();
    /** Each parsed record's account: its failure line names it (one batch may hold several). */
    const accounts = new Map<string, string>();
    const failed = new Map<string, unknown>();
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

    const handleRecord = async (record: SQSRecord): Promise<void> => {
      let message: InboundMessage;
      try {
        message = parseInboundMessage(record.body);
      } catch (err) {
        if (!(err instanceof InboundMessageError)) throw err;
        await moveToDeadLetterQueue(record, err);
        return;
      }
      conversations.set(record.messageId, message.conversation);
      accounts.set(record.messageId, message.account);
      const report = await deps.reply(message, () => context.getRemainingTimeInMillis());
      logger.info('message handled', {
        account: message.account,
        conversation: message.conversation,
        eventKey: message.key,
        replies: report.replies,
        skipped: report.skipped,
      });
    };

    /**
     * A conversation that failed for a send turn after the invocation comes back when the turn is due: its
     * failed record and the later ones failed with it (they hold the conversation while in flight).
     */
    const deferDue = async (failedRecords: readonly SQSRecord[]) => {
      const byGroup = new Map<string, { records: SQSRecord[]; retryAfterMs?: number }>();
      for (const record of failedRecords) {
        const group = record.attributes.MessageGroupId ?? record.messageId;
        const entry = byGroup.get(group) ?? { records: [] };
        const error = failed.get(record.messageId);
        if (
          entry.records.length === 0 &&
          error instanceof RetryLaterError &&
          error.retryAfterMs !== undefined
        ) {
          entry.retryAfterMs = error.retryAfterMs;
        }
        entry.records.push(record);
        byGroup.set(group, entry);
      }
      for (const { records, retryAfterMs } of byGroup.values()) {
        if (retryAfterMs === undefined) continue;
        try {
          await deps.defer(records, retryAfterMs / 1000);
        } catch (err) {
          // They come back after the visibility timeout instead: later, never lost.
          logger.warn('failed records not brought back early', {
            ...recordFields(records[0] as SQSRecord),
            records: records.length,
            ...errorFields(err),
          });
        }
      }
    };

    // One conversation: in order, and nothing after its first failure (FIFO).
    const handleConversation = async (records: readonly SQSRecord[]): Promise<void> => {
      for (const [index, record] of records.entries()) {
        try {
          await handleRecord(record);
        } catch (err) {
          failed.set(record.messageId, err);
          for (const later of records.slice(index + 1)) {
            failed.set(later.messageId, new EarlierRecordFailedError(record.messageId));
          }
          return;
        }
      }
    };
    await Promise.all([...byConversation(event.Records).values()].map(handleConversation));

    // In batch order, each failed record with its reason.
    const failedRecords = event.Records.filter((record) => failed.has(record.messageId));
    await deferDue(failedRecords);
    for (const record of failedRecords) {
      const error = failed.get(record.messageId);
      const retryable =
        error instanceof Error &&
        (error.name === 'RetryLaterError' || error instanceof EarlierRecordFailedError);
      const line = {
        ...recordFields(record, conversations.get(record.messageId) ?? conversationOf(record.body)),
        ...(accounts.has(record.messageId) ? { account: accounts.get(record.messageId) } : {}),
        ...errorFields(error),
      };
      if (retryable) logger.warn('record failed, it comes back after the visibility timeout', line);
      else logger.error('record failed, it comes back after the visibility timeout', line);
    }
    logger.info('batch processed', {
      records: event.Records.length,
      processed: event.Records.length - failedRecords.length - deadLettered,
      deadLettered,
      failed: failedRecords.length,
    });
    return { batchItemFailures: failedRecords.map((record) => ({ itemIdentifier: record.messageId })) };
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

/** The records of each message group, in batch order. */
function byConversation(records: readonly SQSRecord[]): Map<string, SQSRecord[]> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const list = groups.get(group);
    if (list) list.push(record);
    else groups.set(group, [record]);
  }
  return groups;
}

/** The conversation of a record that was never parsed (skipped after an earlier failure), if it parses. */
function conversationOf(body: string): string | undefined {
  try {
    return parseInboundMessage(body).conversation;
  } catch {
    return undefined;
  }
}
