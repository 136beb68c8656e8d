/**
 * The DynamoDB clients (AWS SDK v3). Created once per process and passed to the stores; tests and
 * the local runtime pass an endpoint, the same code path as in AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoConfig {
  /** e.g. `http://127.0.0.1:8000` for an emulator; absent in AWS. */
  readonly endpoint?: string;
  /** Defaults to the SDK's (AWS_REGION); `us-east-1` for a loopback endpoint without one. */
  readonly region?: string;
}

export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

/**
 * Emulators (dynalite, DynamoDB Local) accept any signature but the SDK still wants credentials
 * to sign with; a laptop often has none, so loopback endpoints get these placeholders unless the
 * environment has real ones.
 */
const LOOPBACK_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function createDynamoClients(config: DynamoConfig = {}): DynamoClients {
  const loopback = config.endpoint !== undefined && isLoopback(config.endpoint);
  const client = new DynamoDBClient({
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.region
      ? { region: config.region }
      : loopback && !process.env.AWS_REGION
        ? { region: 'us-east-1' }
        : {}),
    ...(loopback && !process.env.AWS_ACCESS_KEY_ID ? { credentials: LOOPBACK_CREDENTIALS } : {}),
  });
  const doc = DynamoDBDocumentClient.from(client, {
    // Optional rule fields are left out of the item rather than failing the write.
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, doc };
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}
