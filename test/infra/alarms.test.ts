import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/shared/observability.ts';
import { CONTACTS_TOO_LARGE_METRIC, NEEDS_QR_METRIC, UNSAVED_EVENTS_METRIC } from '../../infra/alarms.ts';
import { RULES_TABLE_OUTPUT } from '../../lib/cli/table-location.ts';
import { type CfnResource, resourcesOf, type Synthesized, synthesize, TEST_ACCOUNT } from './synth.ts';

let synth: Synthesized;
let topicId: string;

beforeAll(() => {
  synth = synthesize({ context: { alarmEmail: 'owner@example.com' } });
  topicId = id(synth.stack.alarms.topic);
});

function id(construct: { node: { defaultChild?: unknown } }): string {
  return synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function alarms(): CfnResource[] {
  return Object.values(resourcesOf(synth.template, 'AWS::CloudWatch::Alarm'));
}

function alarmOn(metricName: string, dimensions: unknown): CfnResource {
  const found = alarms().filter(
    (a) =>
      a.Properties.MetricName === metricName &&
      JSON.stringify(a.Properties.Dimensions) === JSON.stringify(dimensions),
  );
  if (found.length !== 1)
    throw new Error(`${found.length} alarms on ${metricName} ${JSON.stringify(dimensions)}`);
  return found[0] as CfnResource;
}

describe('alarm topic', () => {
  it('is encrypted with a rotating key of its own that CloudWatch may use', () => {
    const keyId = id(synth.stack.alarms.node.findChild('TopicKey'));
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]),
      },
    });
  });

  it('takes TLS publishes only, from this account’s alarms', () => {
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('subscribes the alarmEmail of the context', () => {
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'owner@example.com',
      TopicArn: { Ref: topicId },
    });
  });

  it('is named after the stack, not an account: a deployment may serve several', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: `QQBot-${TEST_ACCOUNT} alarms` });
  });

  it('has no subscription without an alarmEmail', () => {
    expect(Object.keys(resourcesOf(synthesize().template, 'AWS::SNS::Subscription'))).toHaveLength(0);
  });
});

describe('alarms', () => {
  it('every alarm notifies the topic when it fires and when it clears, and no data is no alarm', () => {
    // DLQ, three functions' errors, needs QR, events unsaved, contacts too large.
    expect(alarms()).toHaveLength(7);
    for (const alarm of alarms()) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 1,
      });
      expect(alarm.Properties.AlarmDescription).toEqual(expect.any(String));
    }
  });

  it('the DLQ is not empty', () => {
    const dlqName = { 'Fn::GetAtt': [id(synth.stack.state.queues.inboundDlq), 'QueueName'] };
    expect(
      alarmOn('ApproximateNumberOfMessagesVisible', [{ Name: 'QueueName', Value: dlqName }]).Properties,
    ).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it.each([
    ['poller', () => synth.stack.poller.handler.function],
    ['consumer', () => synth.stack.inbound.consumer.function],
    ['send', () => synth.stack.sendApi.handler.function],
  ])('the %s function fails', (_name, fn) => {
    expect(alarmOn('Errors', [{ Name: 'FunctionName', Value: { Ref: id(fn()) } }]).Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });

  it('the session needs a QR scan: the poller’s EMF metric, by service alone (every account)', () => {
    const dimensions = [{ Name: 'service', Value: 'poller' }];
    expect(alarmOn(NEEDS_QR_METRIC, dimensions).Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'session_needs_qr',
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });
});

describe('the poller’s own alarms', () => {
  it.each([
    [UNSAVED_EVENTS_METRIC, 'events_unsaved'],
    [CONTACTS_TOO_LARGE_METRIC, 'contacts_too_large'],
  ])('%s: any, in five minutes, tells the owner', (metric, name) => {
    const dimensions = [{ Name: 'service', Value: 'poller' }];
    expect(alarmOn(metric, dimensions).Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: name,
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });
});

describe('one alarm per problem, whatever the accounts', () => {
  const POLLER_METRICS = [NEEDS_QR_METRIC, UNSAVED_EVENTS_METRIC, CONTACTS_TOO_LARGE_METRIC];

  it.each(POLLER_METRICS)(
    '%s: no `account` dimension, and the description says where the account is',
    (metric) => {
      const alarm = alarmOn(metric, [{ Name: 'service', Value: 'poller' }]);
      expect(alarm.Properties.AlarmDescription).toMatch(
        /the poller log names .*the account \(field `account`\)/,
      );
    },
  );

  it('the same alarms, on the same metrics, for a deployment of several accounts and shards', () => {
    const several = synthesize({ context: { accounts: '20002,20003', shards: '3' } });
    const all = Object.values(resourcesOf(several.template, 'AWS::CloudWatch::Alarm'));
    expect(all).toHaveLength(7);
    for (const alarm of all) {
      expect(JSON.stringify(alarm.Properties.Dimensions)).not.toMatch(/account|2000[123]/);
    }
    const poller = all.filter((a) => POLLER_METRICS.includes(String(a.Properties.MetricName)));
    expect(poller.map((a) => a.Properties.Dimensions)).toEqual(
      POLLER_METRICS.map(() => [{ Name: 'service', Value: 'poller' }]),
    );
  });
});

describe('outputs', () => {
  it('name everything an operator needs, RulesTableName for `npm run rules -- --stack`', () => {
    expect(RULES_TABLE_OUTPUT).toBe('RulesTableName');
    const { tables, queues } = synth.stack.state;
    expect(synth.template.findOutputs('*')).toEqual({
      ApiUrl: expect.anything(),
      ApiTokenSecretName: expect.anything(),
      SessionsTableName: expect.objectContaining({ Value: { Ref: id(tables.sessions) } }),
      RulesTableName: expect.objectContaining({ Value: { Ref: id(tables.rules) } }),
      GuardsTableName: expect.objectContaining({ Value: { Ref: id(tables.guards) } }),
      InboundQueueUrl: expect.objectContaining({ Value: { Ref: id(queues.inbound) } }),
      InboundDlqUrl: expect.objectContaining({ Value: { Ref: id(queues.inboundDlq) } }),
      AlarmTopicArn: expect.objectContaining({ Value: { Ref: topicId } }),
      PollerLogGroupName: expect.objectContaining({
        Value: { Ref: id(synth.stack.poller.handler.logGroup) },
      }),
      ConsumerLogGroupName: expect.objectContaining({
        Value: { Ref: id(synth.stack.inbound.consumer.logGroup) },
      }),
      SendLogGroupName: expect.objectContaining({ Value: { Ref: id(synth.stack.sendApi.handler.logGroup) } }),
      SendFunctionName: expect.objectContaining({ Value: { Ref: id(synth.stack.sendApi.handler.function) } }),
    });
  });
});
