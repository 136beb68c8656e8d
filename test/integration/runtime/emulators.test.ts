import { connect } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../lib/state/dynamo.ts';
import { createTables, localTableNames } from '../../../lib/state/tables.ts';
import { localSqsClient, startEmulators } from '../../../local/runtime/emulators.ts';

function refused(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startEmulators', () => {
  it('serves DynamoDB and SQS on loopback ports until closed', async () => {
    const emulators = await startEmulators();
    const dynamo = createDynamoClients({ endpoint: emulators.dynamodbEndpoint });
    const sqs = localSqsClient(emulators.sqsEndpoint);
    try {
      expect(emulators.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulators.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulators.dynamodbEndpoint).not.toBe(emulators.sqsEndpoint);

      const names = localTableNames('emu');
      await createTables(dynamo.client, names);
      const { TableNames } = await dynamo.client.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(expect.arrayContaining(Object.values(names)));

      // The queue URL names a host that need not resolve; the explicit endpoint carries the calls.
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'emu-queue' }));
      expect(QueueUrl).toMatch(/^http:\/\/sqs\.us-east-1\.localhost:\d+\/000000000000\/emu-queue$/);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      expect(Messages?.map((m) => m.Body)).toEqual(['hello']);
    } finally {
      dynamo.client.destroy();
      sqs.destroy();
      await emulators.close();
    }

    expect(await refused(emulators.dynamodbEndpoint)).toBe(true);
    expect(await refused(emulators.sqsEndpoint)).toBe(true);
  });

  it('ends a held long poll when it closes', async () => {
    const emulators = await startEmulators();
    const sqs = localSqsClient(emulators.sqsEndpoint);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'held' }));
    const held = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 })).catch(() => 'ended');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();

    await emulators.close();
    await held;

    expect(Date.now() - started).toBeLessThan(5_000);
    sqs.destroy();
  });
});
