import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIRST_ID } from '../../../lib/onebot/ids.ts';
import { DynamoOneBotIds } from '../../../lib/stores/onebot-ids-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
beforeAll(async () => {
  dynamo = await startTestTables('onebot-ids');
});
afterAll(() => dynamo.close());

it('keeps each account its ids: a name gets one id, the same after any later read', async () => {
  const names = await dynamo.fresh();
  const store = new DynamoOneBotIds({ doc: dynamo.doc, tableName: names.sessions });
  const first = await store.ensure('20001', { people: ['Alice', 'Sam', 'Sam#2'], groups: ['Club'] });
  expect(first.people).toEqual({ Alice: FIRST_ID, Sam: FIRST_ID + 1, 'Sam#2': FIRST_ID + 2 });
  expect(first.groups).toEqual({ Club: FIRST_ID + 3 });
  // Another instance, later: the same ids, and new ones after them.
  const again = new DynamoOneBotIds({ doc: dynamo.doc, tableName: names.sessions });
  expect(await again.read('20001')).toEqual(first);
  expect((await again.ensure('20001', { people: ['Bob', 'Alice'] })).people.Bob).toBe(FIRST_ID + 4);
  // Accounts are apart.
  expect((await again.ensure('20002', { people: ['Alice'] })).people.Alice).toBe(FIRST_ID);
});

it('concurrent additions all land, each name once', async () => {
  const names = await dynamo.fresh();
  const store = new DynamoOneBotIds({ doc: dynamo.doc, tableName: names.sessions });
  const people = Array.from({ length: 6 }, (_, i) => `P${i}`);
  await Promise.all(people.map((p) => store.ensure('20001', { people: [p, 'Shared'] })));
  const table = await store.read('20001');
  expect(Object.keys(table.people).sort()).toEqual([...people, 'Shared'].sort());
  expect(new Set(Object.values(table.people)).size).toBe(7);
  expect(table.next).toBe(FIRST_ID + 7);
});
