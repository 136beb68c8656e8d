/**
 * What the owner is told about, by email through an SNS topic: events set aside in the DLQ, function
 * errors, and a session that needs a new QR scan. One alarm each, whatever the number of accounts:
 * the poller's counts are alarmed on without their `account` dimension, and its log names the account.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../functions/shared/observability.ts';

/** The poller's Powertools service name (functions/poller/handler.ts), a dimension of its metrics. */
export const POLLER_SERVICE = 'poller';

/** The metric the poller counts when SmartQQ refuses a relink (lib/pipeline/poller.ts). */
export const NEEDS_QR_METRIC = 'session_needs_qr';
/** Events neither the queue nor the outbox took: maybe lost (lib/pipeline/poller.ts). */
export const UNSAVED_EVENTS_METRIC = 'events_unsaved';
/** A group's member list too large for one item, saved cut (contacts-cache.ts). */
export const CONTACTS_TOO_LARGE_METRIC = 'contacts_too_large';

const PERIOD = Duration.minutes(5);

export interface AlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  /** Functions whose errors (crashes and timeouts: handled failures are not errors) alarm, by name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly email?: string;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    // A key of our own: CloudWatch cannot publish to a topic encrypted with the AWS managed key
    // (aws/sns), whose policy we cannot change to let it in.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the QQ bot alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      // The stack, not an account: a deployment may serve several.
      displayName: `${Stack.of(this).stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces the default one: let this
    // account's alarms in again, and only them.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    this.add('DeadLetters', {
      alarmDescription: 'Inbound events failed three times and wait in the DLQ: look at them and redrive',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`${name}Errors`, {
        alarmDescription: `The ${name.toLowerCase()} function failed (an error or a timeout): see its log group`,
        metric: fn.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    const pollerCount = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        // Each count is also published with `service` alone (functions/shared/observability.ts): one
        // alarm covers every account, those added at run time too.
        dimensionsMap: { service: POLLER_SERVICE },
        period: PERIOD,
        statistic: cloudwatch.Stats.SUM,
      });
    const atLeastOnce = {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    };
    this.add('SessionNeedsQr', {
      alarmDescription:
        'SmartQQ refused to relink a session: scan a new QR code (GET /v1/session/qr?account=…); the poller log names the account (field `account`)',
      metric: pollerCount(NEEDS_QR_METRIC),
      ...atLeastOnce,
    });
    this.add('EventsUnsaved', {
      alarmDescription:
        'Polled events that neither SQS nor the outbox took: the poller log names each event key and the account (field `account`)',
      metric: pollerCount(UNSAVED_EVENTS_METRIC),
      ...atLeastOnce,
    });
    this.add('ContactsTooLarge', {
      alarmDescription:
        'A member list too large for one DynamoDB item was cut: some group senders are named by uin; the poller log names the account (field `account`)',
      metric: pollerCount(CONTACTS_TOO_LARGE_METRIC),
      ...atLeastOnce,
    });
  }

  private add(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods' | 'treatMissingData'>) {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      evaluationPeriods: 1,
      // No data is no failure: a quiet queue and an idle function send no data points.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
