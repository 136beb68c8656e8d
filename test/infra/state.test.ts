import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_REMOVAL } from '../../infra/state.ts';
import { CONSUMER_TIMEOUT_SECONDS, QUEUES, type QueueKey, queueAttributes } from '../../lib/state/queues.ts';
import { TABLES, type TableKey } from '../../lib/state/tables.ts';
import { type CfnResource, resourcesOf, type Synthesized, synthesize } from './synth.ts';

let synth: Synthesized;
let tableIds: Record<TableKey, string>;
let queueIds: Record<QueueKey, string>;

beforeAll(() => {
  synth = synthesize();
  const { stack } = synth;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const { tables, queues } = stack.state;
  tableIds = { sessions: id(tables.sessions), rules: id(tables.rules), guards: id(tables.guards) };
  queueIds = { inbound: id(queues.inbound), inboundDlq: id(queues.inboundDlq) };
});

function resource(logicalId: string): CfnResource {
  const found = synth.template.toJSON().Resources[logicalId] as CfnResource | undefined;
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

describe('tables (lib/state/tables.ts)', () => {
  it('are exactly the declared ones', () => {
    expect(Object.keys(resourcesOf(synth.template, 'AWS::DynamoDB::Table')).sort()).toEqual(
      Object.values(tableIds).sort(),
    );
    expect(Object.keys(TABLES).sort()).toEqual(Object.keys(tableIds).sort());
  });

  it.each(Object.keys(TABLES) as TableKey[])('%s: keys, TTL and billing from its definition', (key) => {
    const definition = TABLES[key];
    const keys =
      'sortKey' in definition ? [definition.partitionKey, definition.sortKey] : [definition.partitionKey];
    const props = resource(tableIds[key]).Properties;
    expect(props.KeySchema).toEqual(
      keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    );
    expect(props.AttributeDefinitions).toEqual(
      keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    );
    expect(props.BillingMode).toBe(definition.billing);
    expect(props.TimeToLiveSpecification).toEqual(
      'timeToLiveAttribute' in definition
        ? { AttributeName: definition.timeToLiveAttribute, Enabled: true }
        : undefined,
    );
  });

  it('Guards expires its items by expiresAt', () => {
    expect(resource(tableIds.guards).Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  it.each(Object.keys(TABLES) as TableKey[])('%s: point-in-time recovery and encryption at rest', (key) => {
    expect(resource(tableIds[key]).Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without a key of our own: the AWS managed key aws/dynamodb.
      SSESpecification: { SSEEnabled: true },
    });
    expect(resource(tableIds[key]).Properties.SSESpecification).not.toHaveProperty('KMSMasterKeyId');
  });

  it('keeps Sessions and Rules when the stack goes, not Guards', () => {
    expect(TABLE_REMOVAL).toEqual({ sessions: 'retain', rules: 'retain', guards: 'destroy' });
    for (const key of ['sessions', 'rules'] as const) {
      expect(resource(tableIds[key])).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
    expect(resource(tableIds.guards)).toMatchObject({ DeletionPolicy: 'Delete' });
  });
});

describe('queues (lib/state/queues.ts)', () => {
  it('are exactly the declared ones', () => {
    expect(Object.keys(resourcesOf(synth.template, 'AWS::SQS::Queue')).sort()).toEqual(
      Object.values(queueIds).sort(),
    );
    expect(Object.keys(QUEUES).sort()).toEqual(Object.keys(queueIds).sort());
  });

  it.each(Object.keys(QUEUES) as QueueKey[])(
    '%s: the attributes the local runtime creates it with (queueAttributes)',
    (key) => {
      const definition = QUEUES[key];
      const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:dlq.fifo';
      const expected = queueAttributes(definition, 'deadLetter' in definition ? dlqArn : undefined);
      const props = resource(queueIds[key]).Properties;
      const asCreated = Object.fromEntries(
        Object.keys(expected).map((name) => [name, createQueueValue(name, props[name], dlqArn)]),
      );
      expect(asCreated).toEqual(expected);
    },
  );

  it('inbound: FIFO, three receives then the FIFO DLQ', () => {
    expect(resource(queueIds.inbound).Properties).toMatchObject({
      FifoQueue: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [queueIds.inboundDlq, 'Arn'] },
        maxReceiveCount: 3,
      },
    });
    expect(resource(queueIds.inboundDlq).Properties).toMatchObject({ FifoQueue: true });
  });

  it('inbound: a visibility timeout longer than the consumer may run', () => {
    const visibility = resource(queueIds.inbound).Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThan(CONSUMER_TIMEOUT_SECONDS);
    expect(visibility).toBe(6 * CONSUMER_TIMEOUT_SECONDS);
  });

  it.each(Object.keys(QUEUES) as QueueKey[])('%s: SQS-managed encryption, TLS only', (key) => {
    expect(resource(queueIds[key]).Properties.SqsManagedSseEnabled).toBe(true);
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueIds[key] }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

/** A CloudFormation property as the CreateQueue attribute string the local runtime passes. */
function createQueueValue(name: string, value: unknown, dlqArn: string): string | undefined {
  if (value === undefined) return undefined;
  if (name === 'RedrivePolicy') {
    const policy = value as { maxReceiveCount: number };
    return JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: policy.maxReceiveCount });
  }
  return String(value);
}
