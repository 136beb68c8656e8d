import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AccountChangeError, activeAccounts } from '../../../lib/pipeline/accounts.ts';
import {
  DynamoAccountRegistry,
  DynamoAccountRegistryReader,
  REGISTRY_KEY,
} from '../../../lib/stores/account-registry.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
const T = Date.parse('2025-03-01T12:00:00.000Z');
const CONFIGURED = ['20001'];

beforeAll(async () => {
  dynamo = await startTestTables('registry');
});
afterAll(() => dynamo.close());

async function stores() {
  const names = await dynamo.fresh();
  const options = { doc: dynamo.doc, tableName: names.sessions };
  return {
    names,
    registry: new DynamoAccountRegistry(options),
    reader: new DynamoAccountRegistryReader(options),
  };
}

it('an empty table is an empty registry; changes are stored in one item the reader sees', async () => {
  const { registry, reader, names } = await stores();
  expect(await reader.read()).toEqual({});
  await registry.change(CONFIGURED, 'add', '30001', T);
  await registry.change(CONFIGURED, 'pause', '20001', T + 1);
  expect(await reader.read()).toEqual({
    '30001': { status: 'active', since: T },
    '20001': { status: 'paused', since: T + 1 },
  });
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: names.sessions, Key: { account: REGISTRY_KEY } }),
  );
  // No `version`: whatever lists sessions (items with a version) never takes it for one.
  expect(Item).toEqual({ account: REGISTRY_KEY, entries: expect.any(Object), revision: 2 });
});

it('a change that changes nothing writes nothing; a refused one changes nothing', async () => {
  const { registry, names } = await stores();
  await registry.change(CONFIGURED, 'add', '30001', T);
  await registry.change(CONFIGURED, 'add', '30001', T + 1);
  await expect(registry.change(CONFIGURED, 'remove', '40001', T + 2)).rejects.toBeInstanceOf(
    AccountChangeError,
  );
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: names.sessions, Key: { account: REGISTRY_KEY } }),
  );
  expect(Item).toMatchObject({ revision: 1, entries: { '30001': { status: 'active', since: T } } });
});

it('concurrent changes all land: each write is conditional on the revision it read, and retried', async () => {
  const { registry, reader } = await stores();
  const added = Array.from({ length: 8 }, (_, i) => String(30_001 + i));
  await Promise.all(added.map((account, i) => registry.change(CONFIGURED, 'add', account, T + i)));
  expect(activeAccounts(CONFIGURED, await reader.read())).toEqual(['20001', ...added]);
});

it('a malformed item is an error naming where, not an empty registry', async () => {
  const { reader, names } = await stores();
  await dynamo.doc.send(
    new PutCommand({
      TableName: names.sessions,
      Item: { account: REGISTRY_KEY, entries: { '30001': { status: 'sleeping', since: T } }, revision: 1 },
    }),
  );
  await expect(reader.read()).rejects.toThrow(/entries\.30001\.status/);
});

it("an entry's OneBot bot that does not read back is dropped, not the registry (every account's polling reads it)", async () => {
  const { reader, registry, names } = await stores();
  await dynamo.doc.send(
    new PutCommand({
      TableName: names.sessions,
      Item: {
        account: REGISTRY_KEY,
        entries: {
          '30001': { status: 'active', since: T, onebot: { postUrl: 'http://bot.local:80800/' } },
          '30002': { status: 'paused', since: T, onebot: { postUrl: 'https://ok.example/' } },
        },
        revision: 1,
      },
    }),
  );
  expect(await reader.read()).toEqual({
    '30001': { status: 'active', since: T },
    '30002': { status: 'paused', since: T, onebot: { postUrl: 'https://ok.example/' } },
  });
  // And it can be repaired through the store.
  await registry.setOneBot(CONFIGURED, '30001', { postUrl: 'https://fixed.example/' }, T + 1);
  expect((await reader.read())['30001']?.onebot).toEqual({ postUrl: 'https://fixed.example/' });
});
