/**
 * Hand-made SQS FIFO events as Lambda's event source mapping delivers them, a Lambda context, and
 * the process output captured line by line (Powertools writes logs and metrics to stdout).
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:QQBot-20001-inbound.fifo';

let sequence = 0;

/** A record of a FIFO queue: `group` is its MessageGroupId. */
export function sqsRecord(messageId: string, group: string, body: string): SQSRecord {
  sequence++;
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1740000000000',
      SenderId: 'AROAEXAMPLE:poller',
      ApproximateFirstReceiveTimestamp: '1740000000100',
      SequenceNumber: String(18_000_000_000_000_000_000n + BigInt(sequence)),
      MessageGroupId: group,
      MessageDeduplicationId: `dedup-${messageId}`,
    },
    messageAttributes: {},
    md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function lambdaContext(functionName = 'consumer'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/03/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => 55_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export { type CapturedOutput, captureOutput } from '../../support/capture-output.ts';
