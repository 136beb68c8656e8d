import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lib/stores/idempotency-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
let store: DynamoIdempotencyStore;

beforeAll(async () => {
  dynamo = await startTestTables('idempotency');
  store = new DynamoIdempotencyStore({ doc: dynamo.doc, tableName: dynamo.names.guards });
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
let keyCount = 0;
const freshKey = () => `20001-group-4001|group_message|${1_000 + keyCount++}|1740830400`;

interface Reply {
  sent: number;
  texts: string[];
}

describe('idempotency', () => {
  it('claims a new key once; a second claim sees it in progress', async () => {
    const key = freshKey();
    expect(await store.claim(key, 60, T0)).toEqual({ status: 'new' });
    expect(await store.claim(key, 60, T0 + 1_000)).toEqual({ status: 'in_progress' });
  });

  it('gives a completed key its result instead of a claim, until it expires', async () => {
    const key = freshKey();
    await store.claim(key, 60, T0);
    const result: Reply = { sent: 2, texts: ['pong', '北京的天气：晴 /微笑'] };
    await store.complete(key, result, 3_600, T0 + 500);

    expect(await store.claim<Reply>(key, 60, T0 + 1_000)).toEqual({ status: 'done', result });
    expect(await store.claim<Reply>(key, 60, T0 + 3_599_000)).toEqual({ status: 'done', result });
    expect(await store.claim<Reply>(key, 60, T0 + 3_601_000)).toEqual({ status: 'new' });
  });

  it('completes with no result too', async () => {
    const key = freshKey();
    await store.claim(key, 60, T0);
    await store.complete(key, undefined, 60, T0);
    expect(await store.claim(key, 60, T0)).toEqual({ status: 'done', result: undefined });
  });

  it('lets a claim run out: after its TTL the key is claimed again, said to be lapsed (a crashed consumer)', async () => {
    const key = freshKey();
    expect(await store.claim(key, 30, T0)).toEqual({ status: 'new' });
    expect(await store.claim(key, 30, T0 + 29_999)).toEqual({ status: 'in_progress' });
    expect(await store.claim(key, 30, T0 + 30_000)).toEqual({ status: 'lapsed' });
    expect(await store.claim(key, 30, T0 + 30_001)).toEqual({ status: 'in_progress' });
  });

  it('an expired outcome is not a lapsed claim: the key is new again', async () => {
    const key = freshKey();
    await store.claim(key, 30, T0);
    await store.complete(key, 'sent', 30, T0);
    expect(await store.claim(key, 30, T0 + 30_000)).toEqual({ status: 'new' });
  });

  it('gives a released claim to the next claimer, but never releases a done key', async () => {
    const key = freshKey();
    await store.claim(key, 60, T0);
    await store.release(key);
    expect(await store.claim(key, 60, T0 + 1)).toEqual({ status: 'new' });

    await store.complete(key, { sent: 1, texts: ['hi'] }, 60, T0 + 2);
    await store.release(key);
    expect(await store.claim(key, 60, T0 + 3)).toEqual({
      status: 'done',
      result: { sent: 1, texts: ['hi'] },
    });

    await store.release(freshKey());
  });

  it('lets exactly one of many concurrent claims of a key be new', async () => {
    for (let round = 0; round < 10; round++) {
      const key = freshKey();
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.claim(key, 60, T0)));
      expect(claims.filter((c) => c.status === 'new')).toHaveLength(1);
      expect(claims.filter((c) => c.status === 'in_progress')).toHaveLength(5);
    }
  });

  it('lets exactly one of many concurrent claims of an expired key be new', async () => {
    const key = freshKey();
    await store.claim(key, 10, T0);
    const claims = await Promise.all(Array.from({ length: 6 }, () => store.claim(key, 10, T0 + 10_000)));
    expect(claims.filter((c) => c.status === 'lapsed')).toHaveLength(1);
    expect(claims.filter((c) => c.status === 'in_progress')).toHaveLength(5);
  });

  it('stores a kind-prefixed key with expiresAt in epoch seconds (the TTL attribute), rounded up', async () => {
    const key = freshKey();
    await store.claim(key, 60, T0 + 250);
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `idem#${key}`, sk: 'idem' } }),
    );
    expect(Item).toEqual({
      pk: `idem#${key}`,
      sk: 'idem',
      status: 'in_progress',
      leaseUntil: Math.ceil((T0 + 250) / 1000) + 60,
      expiresAt: Math.ceil((T0 + 250) / 1000) + 60,
    });
  });

  it('keeps a claim past its lease when asked: then it stays taken, read as lapsed, until it expires', async () => {
    const key = freshKey();
    expect(await store.claim(key, 60, T0, 3_600)).toEqual({ status: 'new' });
    expect(await store.claim(key, 60, T0 + 59_000, 3_600)).toEqual({ status: 'in_progress' });
    expect(await store.claim(key, 60, T0 + 61_000, 3_600)).toEqual({ status: 'lapsed' });
    expect(await store.claim(key, 60, T0 + 3_599_000, 3_600)).toEqual({ status: 'lapsed' });
    // Kept an hour: then the key is free again (and the claim it replaced, one that lapsed).
    expect(await store.claim(key, 60, T0 + 3_601_000, 3_600)).toEqual({ status: 'lapsed' });
    expect(await store.claim(key, 60, T0 + 3_602_000, 3_600)).toEqual({ status: 'in_progress' });
  });
});
