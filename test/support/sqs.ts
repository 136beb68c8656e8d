/**
 * An SQS for queue tests: fauxqs in this process on a loopback port chosen at run time, and a real
 * AWS SDK v3 client for it.
 *
 * fauxqs is built with `buildApp` and listened on 127.0.0.1 ourselves: `startFauxqs` listens on
 * 0.0.0.0. Its queue URLs name `sqs.<region>.localhost:<port>`, which need not resolve; the client is
 * given `endpoint`, so the SDK sends every call there whatever host a queue URL names (without it,
 * the SDK would send each call to the queue URL's host). fauxqs finds a queue by its exact URL, so
 * use the URLs as CreateQueue returned them.
 */
import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createQueues, localQueueNames, type QueueNames, type QueueUrls } from '../../lib/state/queues.ts';

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
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
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
      await app.close();
    },
  };
}
