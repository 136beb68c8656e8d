import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables, localTableNames, TABLES, type TableDefinition } from '../../../lib/state/tables.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
beforeAll(async () => {
  dynamo = await startTestTables('tables');
});
afterAll(() => dynamo.close());

describe('createTables', () => {
  it('creates each table with the declared keys and on-demand billing', async () => {
    for (const [key, definition] of Object.entries(TABLES) as [keyof typeof TABLES, TableDefinition][]) {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: dynamo.names[key] }));
      const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual(
        keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      );
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining(keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type }))),
      );
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('names tables <prefix>-<suffix>', () => {
    expect(localTableNames('local')).toEqual({
      sessions: 'local-Sessions',
      rules: 'local-Rules',
      guards: 'local-Guards',
    });
  });

  it('is idempotent: tables that exist are left as they are', async () => {
    await expect(createTables(dynamo.client, dynamo.names)).resolves.toBeUndefined();
  });
});
