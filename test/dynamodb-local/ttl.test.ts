/**
 * What only the official DynamoDB Local can check (dynalite has no TTL API). Runs in
 * `npm run test:dynamodb-local`, which starts it and sets DYNAMODB_ENDPOINT.
 */
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '../../lib/state/tables.ts';
import { startTestTables, type TestTables } from '../support/dynamo.ts';

let dynamo: TestTables;
beforeAll(async () => {
  if (!process.env.DYNAMODB_ENDPOINT)
    throw new Error('run with `npm run test:dynamodb-local` (DYNAMODB_ENDPOINT unset)');
  dynamo = await startTestTables('ttl');
});
afterAll(async () => {
  await dynamo?.close();
});

describe('tables on DynamoDB Local', () => {
  it('turns on TTL for the guards table when asked, twice without error', async () => {
    await createTables(dynamo.client, dynamo.names, { timeToLive: true });
    await createTables(dynamo.client, dynamo.names, { timeToLive: true });
    const { TimeToLiveDescription } = await dynamo.client.send(
      new DescribeTimeToLiveCommand({ TableName: dynamo.names.guards }),
    );
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});
