/**
 * A DynamoDB for storage tests: dynalite in memory on a loopback port, or — when DYNAMODB_ENDPOINT
 * is set — that endpoint (the official DynamoDB Local in CI, `scripts/dynamodb-local.sh`). Each test
 * file makes its own uniquely named tables, so files never see each other's items.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClients, type DynamoClients } from '../../lib/state/dynamo.ts';
import { createTables, localTableNames, type TableNames } from '../../lib/state/tables.ts';

export interface TestDynamo {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

export async function startTestDynamo(): Promise<TestDynamo> {
  const external = process.env.DYNAMODB_ENDPOINT;
  if (external) return { endpoint: external, close: async () => {} };
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
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
