/**
 * A DynamoDB for storage tests: dynalite in memory on a loopback port, or — when DYNAMODB_ENDPOINT
 * is set — that endpoint (the official DynamoDB Local in CI, `scripts/dynamodb-local.sh`). Each test
 * file makes its own uniquely named tables, so files never see each other's items.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClients, type DynamoClients } from '../../lib/state/dynamo.ts';
import { createTables, localTableNames, type TableNames } from '../../lib/state/tables.ts';
import { startDynamoEmulator } from '../../local/runtime/emulators.ts';

export interface TestDynamo {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  const external = process.env.DYNAMODB_ENDPOINT;
  if (external) return { endpoint: external, close: async () => {} };
  return startDynamoEmulator();
}

export interface TestTables extends DynamoClients {
  readonly endpoint: string;
  /** This file's tables. */
  readonly names: TableNames;
  /** Another set of tables on the same emulator, for a test that wants an empty table. */
  fresh(): Promise<TableNames>;
  /** Deletes the tables (a shared DynamoDB Local stays tidy), closes the clients and the emulator. */
  close(): Promise<void>;
}

/** An emulator (or DYNAMODB_ENDPOINT), clients for it, and this file's own tables. */
export async function startTestTables(label: string): Promise<TestTables> {
  const dynamo = await startTestDynamo();
  const clients = createDynamoClients({ endpoint: dynamo.endpoint });
  const created: TableNames[] = [];
  const fresh = async () => {
    const names = localTableNames(`test-${label}-${randomBytes(4).toString('hex')}`);
    await createTables(clients.client, names);
    created.push(names);
    return names;
  };
  return {
    ...clients,
    endpoint: dynamo.endpoint,
    names: await fresh(),
    fresh,
    async close() {
      for (const tableName of created.flatMap((names) => Object.values(names))) {
        await clients.client.send(new DeleteTableCommand({ TableName: tableName }));
      }
      clients.client.destroy();
      await dynamo.close();
    },
  };
}
