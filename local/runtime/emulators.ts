/**
 * The AWS stand-ins of the local runtime, embedded in this process on loopback ports: dynalite
 * (DynamoDB, in memory or in a LevelDB folder) and fauxqs (SQS, in memory). Pure npm packages: no
 * Docker, no Java.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

/** The region the emulators' ARNs and URLs name, and the one the local clients sign for. */
export const LOCAL_REGION = 'us-east-1';
/** fauxqs's fixed account id in queue ARNs and URLs; the local Lambda ARNs use it too. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface Emulator {
  /** `http://127.0.0.1:PORT`: pass it to the SDK client as `endpoint`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  /** Stops SQS first (it ends its long polls), then DynamoDB. */
  close(): Promise<void>;
}

export interface EmulatorPorts {
  /** 0 (the default) picks a free port. */
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  /** A folder where DynamoDB keeps its tables (created if missing); default in memory. */
  readonly dynamodbPath?: string;
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

/**
 * dynalite, in memory or in the LevelDB folder `path`. Tables are ACTIVE at once (dynalite's default
 * keeps them CREATING for 500 ms).
 */
export async function startDynamoEmulator(port = 0, path?: string): Promise<Emulator> {
  if (path !== undefined) mkdirSync(path, { recursive: true });
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path !== undefined ? { path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * fauxqs, built with `buildApp` rather than `startFauxqs`: the latter listens on 0.0.0.0, and the
 * local runtime stays on loopback. Queue URLs keep fauxqs's form (`http://sqs.<region>.localhost:
 * <port>/000000000000/<name>`), which need not resolve: every SQS client of the runtime is given
 * `endpoint` explicitly, and then the SDK sends each call there whatever host the queue URL names.
 * fauxqs finds a queue by its exact URL, so a URL must be used as CreateQueue returned it.
 */
export async function startSqsEmulator(port = 0, region = LOCAL_REGION): Promise<Emulator> {
  const app = buildApp({ logger: false, defaultRegion: region });
  const listening = await app.listen({ port, host: '127.0.0.1' });
  return {
    endpoint: listening,
    // fauxqs ends its held long polls on close, and forceCloseConnections drops idle sockets.
    close: () => app.close(),
  };
}

/**
 * An SQS client for the emulator. fauxqs accepts any signature, but the SDK wants credentials to
 * sign with, and a laptop may have none; the region is explicit so that the ARNs fauxqs derives from
 * the signature match the runtime's, whatever AWS_REGION the shell has.
 */
export function localSqsClient(endpoint: string, region = LOCAL_REGION): SQSClient {
  return new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export async function startEmulators(ports: EmulatorPorts = {}): Promise<Emulators> {
  const dynamo = await startDynamoEmulator(ports.dynamodbPort, ports.dynamodbPath);
  let sqs: Emulator;
  try {
    sqs = await startSqsEmulator(ports.sqsPort);
  } catch (err) {
    await dynamo.close();
    throw err;
  }
  return {
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    region: LOCAL_REGION,
    async close() {
      await sqs.close();
      await dynamo.close();
    },
  };
}
