/**
 * The inbound pipeline: `functions/consumer/handler.ts` fed by the inbound FIFO queue. It reads
 * Sessions (and takes msg_ids from its counter), reads the rules, and keeps its guards (cooldowns,
 * recent replies, reply claims, pacing) in Guards. It sends malformed records to the inbound DLQ.
 * With a OneBot bot configured, it posts each message there too, signed with a generated secret
 * (and keeps the bot's stable ids in Sessions).
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CONSUMER_MAX_CONCURRENCY, CONSUMER_TIMEOUT_SECONDS } from '../lib/state/queues.ts';
import { BotFunction, type EnvName } from './bot-function.ts';
import type { OneBotConfig } from './config.ts';
import { generatedSecret } from './generated-secret.ts';
import type { State } from './state.ts';

/** The FIFO event source's maximum, and what CONSUMER_TIMEOUT_SECONDS is sized for. */
export const CONSUMER_BATCH_SIZE = 10;

export interface InboundPipelineProps {
  readonly state: State;
  readonly environment: Readonly<Partial<Record<EnvName, string>>>;
  /** The OneBot bot to post to; without it the consumer answers by the rules alone. */
  readonly onebot?: OneBotConfig;
}

export class InboundPipeline extends Construct {
  readonly consumer: BotFunction;
  readonly eventSource: lambda.EventSourceMapping;
  /** The value the bot checks X-Signature with (its OneBot `secret`), when a bot is configured. */
  readonly onebotSecret?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: InboundPipelineProps) {
    super(scope, id);
    const { tables, queues } = props.state;
    this.consumer = new BotFunction(this, 'Consumer', {
      entry: 'functions/consumer/handler.ts',
      description: 'QQ bot consumer: answers inbound chat events by the rules',
      timeout: Duration.seconds(CONSUMER_TIMEOUT_SECONDS),
      memorySize: 512,
      environment: props.environment,
    });
    this.consumer.useTable('SESSIONS_TABLE', tables.sessions, [
      'DynamoSessionStore',
      'DynamoOneBotIds',
      // Each account's own OneBot bot is in the registry: read only.
      'DynamoAccountRegistryReader',
    ]);
    this.consumer.useTable('RULES_TABLE', tables.rules, ['DynamoRuleStore']);
    this.consumer.useTable('GUARDS_TABLE', tables.guards, [
      'DynamoCooldownStore',
      'DynamoConversationGuard',
      'DynamoIdempotencyStore',
      'DynamoMemberListReader',
      'DynamoSendPacing',
    ]);
    // What Lambda's poller needs (the AWSLambdaSQSQueueExecutionRole actions), and the visibility
    // of a failed record whose send turn is seconds away (functions/consumer/defer.ts).
    this.consumer.useQueue('INBOUND_QUEUE_URL', queues.inbound, [
      'ReceiveMessage',
      'DeleteMessage',
      'GetQueueAttributes',
      'ChangeMessageVisibility',
    ]);
    // A record that can never parse goes to the DLQ at once (functions/consumer/dead-letter.ts),
    // rather than holding its conversation back until the redrive policy moves it.
    this.consumer.useQueue('INBOUND_DLQ_URL', queues.inboundDlq, ['SendMessage']);
    if (props.onebot) {
      // The same value goes into the bot's configuration by hand, read from the secret
      // (the OneBotSecretName output); the consumer fetches it once per cold start.
      this.onebotSecret = generatedSecret(
        this,
        'OneBotSecret',
        'OneBot v11 secret (X-Signature) of the QQ bot',
      );
      this.consumer.setEnv('ONEBOT_POST_URL', props.onebot.postUrl);
      this.consumer.setEnv('ONEBOT_MODE', props.onebot.mode);
      this.consumer.setEnv('ONEBOT_POST_FORMAT', props.onebot.postFormat);
      this.consumer.useSecret('ONEBOT_SECRET_ID', this.onebotSecret);
    }
    this.eventSource = this.consumer.function.addEventSourceMapping('InboundQueue', {
      eventSourceArn: queues.inbound.queueArn,
      batchSize: CONSUMER_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: CONSUMER_MAX_CONCURRENCY,
    });
  }
}
