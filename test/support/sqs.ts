/**
 * An SQS for queue tests: fauxqs in this process on a loopback port chosen at run time, and a real
 * AWS SDK v3 client for it.
 *
 * The same fauxqs the local runtime starts (`local/runtime/emulators.ts`, which says why the client
 * needs `endpoint` and why queue URLs are used exactly as CreateQueue returned them).
 */
import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createQueues, localQueueNames, type QueueNames, type QueueUrls } from '../../lib/state/queues.ts';
import { startSqsEmulator } from '../../local/runtime/emulators.ts';

export interface TestSqs {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly client: SQSClient;
  /** Another client for the same endpoint, for a test that adds middleware to it. */
  newClient(): SQSClient;
  /** A new set of this system's queues (`createQueues`), uniquely named. */
  queues(label: string): Promise<{ names: QueueNames; urls: QueueUrls }>;
  close(): Promise<void>;
}

export async function startTestSqs(): Promise<TestSqs> {
  const emulator = await startSqsEmulator();
  const { endpoint } = emulator;
  const clients: SQSClient[] = [];
  const newClient = () => {
    const client = new SQSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      // The tests count calls and retries themselves.
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    endpoint,
    client,
    newClient,
    async queues(label) {
      const names = localQueueNames(`test-${label}-${randomBytes(4).toString('hex')}`);
      return { names, urls: await createQueues(client, names) };
    },
    async close() {
      for (const c of clients) c.destroy();
      await emulator.close();
    },
  };
}
