/**
 * The whole deployment: one stack of constructs named after what they do — the state, the poller,
 * the inbound pipeline, the send API and the alarms — and the outputs an operator needs (and a
 * OneBot bot's owner, when one is configured).
 */
import { type App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { RULES_TABLE_OUTPUT } from '../lib/cli/table-location.ts';
import { Alarms } from './alarms.ts';
import type { EnvName } from './bot-function.ts';
import { type BotConfig, readBotConfig } from './config.ts';
import { InboundPipeline } from './inbound-pipeline.ts';
import { acknowledgeFindings } from './nag-findings.ts';
import { Poller } from './poller.ts';
import { ONEBOT_API_PATH, SendApi } from './send-api.ts';
import { State } from './state.ts';

export interface QQBotStackProps extends StackProps {
  readonly config: BotConfig;
}

export class QQBotStack extends Stack {
  readonly state: State;
  readonly poller: Poller;
  readonly inbound: InboundPipeline;
  readonly sendApi: SendApi;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: QQBotStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common: Partial<Record<EnvName, string>> = { ACCOUNT: config.account, ...config.smartqq };
    const paced: Partial<Record<EnvName, string>> = {
      ...common,
      SEND_INTERVAL_MS: String(config.sendIntervalMs),
      SEND_BURST: String(config.sendBurst),
    };
    // Those that poll and send for several accounts; the consumer answers for the account each
    // event names.
    const served: Partial<Record<EnvName, string>> = { ACCOUNTS: config.accounts.join(',') };

    this.state = new State(this, 'State');
    this.poller = new Poller(this, 'Poller', {
      state: this.state,
      rateMinutes: config.pollerRateMinutes,
      shards: config.shards,
      memoryMb: config.pollerMemoryMb,
      environment: { ...common, ...served },
    });
    this.inbound = new InboundPipeline(this, 'InboundPipeline', {
      state: this.state,
      environment: {
        ...paced,
        CONVERSATION_REPLIES_PER_MINUTE: String(config.conversationRepliesPerMinute),
      },
      ...(config.onebot ? { onebot: config.onebot } : {}),
    });
    this.sendApi = new SendApi(this, 'SendApi', {
      state: this.state,
      environment: { ...paced, ...served },
    });
    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueue: this.state.queues.inboundDlq,
      functions: {
        Poller: this.poller.handler.function,
        Consumer: this.inbound.consumer.function,
        Send: this.sendApi.handler.function,
      },
      ...(config.alarmEmail ? { email: config.alarmEmail } : {}),
    });

    const { tables, queues } = this.state;
    const outputs: Record<string, [value: string, description: string]> = {
      // The $default stage answers at the API's endpoint itself (no trailing slash: `$API/v1/session`).
      ApiUrl: [this.sendApi.api.apiEndpoint, 'Send API base URL (add /v1/messages, /v1/session/qr, ...)'],
      ApiTokenSecretName: [
        this.sendApi.token.secretName,
        'Secrets Manager secret holding the send API bearer token',
      ],
      SessionsTableName: [tables.sessions.tableName, 'DynamoDB table of the SmartQQ session (retained)'],
      // The rules CLI finds the table of `--stack NAME` by this output's key (lib/cli/table-location.ts).
      [RULES_TABLE_OUTPUT]: [tables.rules.tableName, 'DynamoDB table of the auto-reply rules (retained)'],
      GuardsTableName: [tables.guards.tableName, 'DynamoDB table of cooldowns, claims, pacing, outbox'],
      InboundQueueUrl: [queues.inbound.queueUrl, 'SQS FIFO queue of inbound chat events'],
      InboundDlqUrl: [queues.inboundDlq.queueUrl, 'SQS FIFO dead-letter queue of inbound chat events'],
      AlarmTopicArn: [this.alarms.topic.topicArn, 'SNS topic of the alarms: subscribe an email to it'],
      PollerLogGroupName: [this.poller.handler.logGroup.logGroupName, 'Poller logs (login, QR, polls)'],
      ConsumerLogGroupName: [this.inbound.consumer.logGroup.logGroupName, 'Consumer logs (replies)'],
      SendLogGroupName: [this.sendApi.handler.logGroup.logGroupName, 'Send API function logs'],
      // Updating its configuration starts fresh instances, which read a rotated token.
      SendFunctionName: [this.sendApi.handler.function.functionName, 'Send API function'],
    };
    const { onebotSecret } = this.inbound;
    if (onebotSecret) {
      outputs.OneBotSecretName = [
        onebotSecret.secretName,
        "Secrets Manager secret to set as the bot's OneBot secret (X-Signature)",
      ];
      // The root with one account served; with several, the bot of account N takes `<root>N/`.
      outputs.OneBotApiRoot = [
        `${this.sendApi.api.apiEndpoint}${ONEBOT_API_PATH}`,
        "The bot's OneBot v11 API root (access token: the send API's)",
      ];
    }
    for (const [key, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, key, { value, description });
    }
  }
}

/**
 * The stack's name, after the deployment's first account (`account`): another first account is
 * another deployment, which never updates this one; the accounts served besides it do not change it.
 */
export function stackName(account: string): string {
  return `QQBot-${account}`;
}

/**
 * The app's stack from its context, with the cdk-nag AwsSolutions checks run at synth (a finding
 * that is not acknowledged with a reason fails `cdk synth` and `cdk deploy`).
 */
export function defineApp(app: App): QQBotStack {
  const config = readBotConfig((key) => app.node.tryGetContext(key));
  const stack = new QQBotStack(app, stackName(config.account), {
    description: `QQ auto-reply bot and send API for QQ ${config.account}`,
    config,
  });
  acknowledgeFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
