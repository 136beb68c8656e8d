/**
 * The bot's state: the DynamoDB tables of `lib/state/tables.ts` and the SQS queues of
 * `lib/state/queues.ts`, built from those definitions so that the stack and the local runtime
 * cannot drift.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUES, type QueueDefinition, type QueueKey } from '../lib/state/queues.ts';
import { type KeyAttribute, TABLES, type TableDefinition, type TableKey } from '../lib/state/tables.ts';

/**
 * Sessions (the login: losing it means scanning a new QR) and Rules (what the owner wrote) outlive
 * the stack. Guards goes with it: cooldowns, reply claims, pacing and idempotency records live
 * minutes to a day, and the outbox only holds events for a bot that is being torn down.
 */
export const TABLE_REMOVAL: Readonly<Record<TableKey, RemovalPolicy>> = {
  sessions: RemovalPolicy.RETAIN,
  rules: RemovalPolicy.RETAIN,
  guards: RemovalPolicy.DESTROY,
};

export class State extends Construct {
  readonly tables: Readonly<Record<TableKey, dynamodb.Table>>;
  readonly queues: Readonly<Record<QueueKey, sqs.Queue>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.tables = {
      sessions: this.table(TABLES.sessions, TABLE_REMOVAL.sessions),
      rules: this.table(TABLES.rules, TABLE_REMOVAL.rules),
      guards: this.table(TABLES.guards, TABLE_REMOVAL.guards),
    };
    // Dead-letter queues first: the inbound queue's redrive policy names its DLQ.
    const inboundDlq = this.queue('InboundDlq', QUEUES.inboundDlq, undefined);
    const inbound = this.queue('Inbound', QUEUES.inbound, inboundDlq);
    this.queues = { inbound, inboundDlq };
  }

  private table(definition: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.Table {
    return new dynamodb.Table(this, definition.nameSuffix, {
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      billingMode: BILLING[definition.billing],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS managed key (aws/dynamodb) rather than an AWS owned one: nothing to manage or grant,
      // and its use shows in CloudTrail (Sessions holds cookies and tokens). KMS request charges
      // stay small: DynamoDB caches the table key.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
  }

  private queue(id: string, definition: QueueDefinition, deadLetter: sqs.IQueue | undefined): sqs.Queue {
    if (definition.deadLetter && !deadLetter) {
      throw new Error(`queue ${definition.nameSuffix} needs its dead-letter queue`);
    }
    return new sqs.Queue(this, id, {
      ...(definition.fifo
        ? {
            fifo: true,
            contentBasedDeduplication: definition.contentBasedDeduplication,
            // As queueAttributes() spells them out: per-queue deduplication, not high throughput.
            deduplicationScope: sqs.DeduplicationScope.QUEUE,
            fifoThroughputLimit: sqs.FifoThroughputLimit.PER_QUEUE,
          }
        : {}),
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      maxMessageSizeBytes: definition.maxMessageBytes,
      ...(definition.deadLetter && deadLetter
        ? { deadLetterQueue: { queue: deadLetter, maxReceiveCount: definition.deadLetter.maxReceiveCount } }
        : {}),
      // SQS-managed keys: encrypted at rest with no KMS key to pay for, and no kms:Decrypt or
      // kms:GenerateDataKey for the poller, the consumer and the event source mapping to hold.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

const BILLING: Readonly<Record<TableDefinition['billing'], dynamodb.BillingMode>> = {
  PAY_PER_REQUEST: dynamodb.BillingMode.PAY_PER_REQUEST,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}
