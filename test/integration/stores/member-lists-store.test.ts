import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoMemberListReader,
  DynamoMemberLists,
  MAX_MEMBER_LIST_BYTES,
  MEMBER_LISTS_TTL_SECONDS,
} from '../../../lib/stores/member-lists-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;

beforeAll(async () => {
  dynamo = await startTestTables('member-lists');
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const options = () => ({ doc: dynamo.doc, tableName: dynamo.names.guards });

describe('DynamoMemberLists', () => {
  it('keeps each chat of a login in its own item, read back by the consumer’s reader', async () => {
    const lists = new DynamoMemberLists(options());
    const { cut } = await lists.save(
      '20001',
      T0,
      { g1: { '11': 'Ali', '12': '明明' }, d2: { '13': 'Bob' } },
      T0,
    );
    expect(cut).toEqual([]);
    const reader = new DynamoMemberListReader(options());
    expect(await reader.get('20001', T0, 'g1')).toEqual({ '11': 'Ali', '12': '明明' });
    expect(await lists.get('20001', T0, 'd2')).toEqual({ '13': 'Bob' });
    // Another login's, another account's, another chat's: none.
    expect(await reader.get('20001', T0 + 1, 'g1')).toBeUndefined();
    expect(await reader.get('20002', T0, 'g1')).toBeUndefined();
    expect(await reader.get('20001', T0, 'g9')).toBeUndefined();
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `members#20001#${T0}`, sk: 'g1' } }),
    );
    expect(Item?.expiresAt).toBe(T0 / 1000 + MEMBER_LISTS_TTL_SECONDS);
  });

  it('saves more than one batch of chats (25 per BatchWriteItem)', async () => {
    const lists = new DynamoMemberLists(options());
    const many = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`g${i}`, { [String(i)]: `m${i}` }]),
    );
    await lists.save('20003', T0, many, T0);
    expect(await lists.get('20003', T0, 'g59')).toEqual({ '59': 'm59' });
    expect(await lists.get('20003', T0, 'g0')).toEqual({ '0': 'm0' });
  });

  it('cuts a list too large for one item, keeping its first members, and says which', async () => {
    const lists = new DynamoMemberLists(options());
    const card = 'x'.repeat(300);
    const huge = Object.fromEntries(
      Array.from({ length: 2_000 }, (_, i) => [String(100_000 + i), `${card}${i}`]),
    );
    const { cut } = await lists.save('20004', T0, { g1: huge, g2: { '1': 'small' } }, T0);
    expect(cut).toEqual(['g1']);
    const kept = (await lists.get('20004', T0, 'g1')) ?? {};
    expect(Object.keys(kept).length).toBeGreaterThan(1_000);
    expect(Object.keys(kept).length).toBeLessThan(2_000);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(MAX_MEMBER_LIST_BYTES);
    expect(kept['100000']).toBe(`${card}0`);
    expect(await lists.get('20004', T0, 'g2')).toEqual({ '1': 'small' });
  });
});
