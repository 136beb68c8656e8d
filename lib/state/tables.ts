/**
 * The DynamoDB tables of the whole system, declared once: the CDK stack and the local runtime both
 * build their tables from these descriptions, so the two cannot drift.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export type KeyAttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface TableDefinition {
  /** The end of the table's name: the local runtime names a table `<prefix>-<nameSuffix>`. */
  readonly nameSuffix: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** An epoch-seconds attribute DynamoDB deletes expired items by (late: code never relies on it). */
  readonly timeToLiveAttribute?: string;
  readonly billing: 'PAY_PER_REQUEST';
}

export const TABLES = {
  /** One item per bot account: the SmartQQ session state. */
  sessions: {
    nameSuffix: 'Sessions',
    partitionKey: { name: 'account', type: 'S' },
    billing: 'PAY_PER_REQUEST',
  },
  /** One item per auto-reply rule (`account` is a QQ number or `*`), plus the `#meta` change marker. */
  rules: {
    nameSuffix: 'Rules',
    partitionKey: { name: 'account', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    billing: 'PAY_PER_REQUEST',
  },
  /**
   * Short-lived records that keep the bot from answering twice or flooding: cooldowns, recent
   * replies, idempotency records, leases. `pk` starts with the kind (`cooldown#…`, `recent#…`).
   */
  guards: {
    nameSuffix: 'Guards',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
    billing: 'PAY_PER_REQUEST',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;
export type TableNames = Readonly<Record<TableKey, string>>;

/** The local runtime's (and the tests') table names: `<prefix>-Rules` and so on. */
export function localTableNames(prefix: string): TableNames {
  return {
    sessions: `${prefix}-${TABLES.sessions.nameSuffix}`,
    rules: `${prefix}-${TABLES.rules.nameSuffix}`,
    guards: `${prefix}-${TABLES.guards.nameSuffix}`,
  };
}

export interface CreateTablesOptions {
  /**
   * Turn on the TTL attribute too. Off by default: dynalite has no TTL API, and the code never
   * relies on TTL deletion anyway (DynamoDB deletes expired items up to days late).
   */
  readonly timeToLive?: boolean;
  /** How long to wait for a new table to become ACTIVE (dynalite keeps it CREATING for a while). */
  readonly activeTimeoutMs?: number;
}

/**
 * Creates the tables from their definitions, for the local runtime and the tests (in AWS the CDK
 * stack does it). Idempotent: a table that already exists is left as it is.
 */
export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  options: CreateTablesOptions = {},
): Promise<void> {
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const definition: TableDefinition = TABLES[key];
    const tableName = names[key];
    await createTable(client, tableName, definition);
    await waitUntilActive(client, tableName, options.activeTimeoutMs ?? 10_000);
    if (options.timeToLive && definition.timeToLiveAttribute) {
      await enableTimeToLive(client, tableName, definition.timeToLiveAttribute);
    }
  }
}

async function createTable(client: DynamoDBClient, tableName: string, definition: TableDefinition) {
  const keys = definition.sortKey ? [definition.partitionKey, definition.sortKey] : [definition.partitionKey];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        BillingMode: definition.billing,
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is still ${Table?.TableStatus ?? 'unknown'} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string, attribute: string) {
  const { TimeToLiveDescription } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  // Asking again while enabled (or enabling) is a ValidationException, not a no-op.
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    }),
  );
}
