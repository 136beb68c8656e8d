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

  // fauxqs 1.9.2 answered every waiting receive empty when one message came (patches/): ten
  // pollers made ten receives per message. SQS answers a long poll empty only when its wait is over.
  it('keeps a long poll waiting when another receive took the message that woke it', async () => {
    const emulators = await startEmulators();
    const sqs = localSqsClient(emulators.sqsEndpoint);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'two-pollers' }));
      const answers: string[] = [];
      const poll = (name: string) =>
        sqs
          .send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }))
          .then(({ Messages }) => answers.push(`${name}:${Messages?.[0]?.Body ?? 'empty'}`));
      const polls = [poll('a'), poll('b')];
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // One poll has the message; the other still waits (its 3 s are not over).
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatch(/^[ab]:one$/);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'two' }));
      await Promise.all(polls);
      expect(answers.sort()).toEqual(
        expect.arrayContaining([expect.stringMatching(/:one$/), expect.stringMatching(/:two$/)]),
      );
    } finally {
      sqs.destroy();
      await emulators.close();
    }
  });

  it("gives a FIFO group's messages in one receive, in order, and none of them again while in flight", async () => {
    const emulators = await startEmulators();
    const sqs = localSqsClient(emulators.sqsEndpoint);
    try {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({
          QueueName: 'runs.fifo',
          Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
        }),
      );
      for (const body of ['a1', 'a2', 'a3', 'b1'])
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: body[0] }));
      const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 3 }));
      expect(first.Messages?.map((m) => m.Body)).toEqual(['a1', 'a2', 'a3']);
      const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(second.Messages?.map((m) => m.Body)).toEqual(['b1']);
    } finally {
      sqs.destroy();
      await emulators.close();
    }
  });
});
