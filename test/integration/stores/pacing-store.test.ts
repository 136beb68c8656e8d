import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSendPacing } from '../../../lib/stores/pacing-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
let pacing: DynamoSendPacing;

beforeAll(async () => {
  dynamo = await startTestTables('pacing');
  pacing = new DynamoSendPacing({ doc: dynamo.doc, tableName: dynamo.names.guards });
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const INTERVAL = 3_000;
let accountCount = 0;
const freshAccount = () => String(30_001 + accountCount++);

async function storedItem(account: string) {
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `pace#${account}`, sk: 'pace' } }),
  );
  return Item;
}

describe('tryNow', () => {
  it('takes a free slot, then says how long to wait until the interval has passed', async () => {
    const account = freshAccount();
    expect(await pacing.tryNow(account, INTERVAL, T0)).toEqual({ ok: true });
    expect(await pacing.tryNow(account, INTERVAL, T0 + 1_000)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(await pacing.tryNow(account, INTERVAL, T0 + 2_999)).toEqual({ ok: false, retryAfterMs: 1 });
    expect(await pacing.tryNow(account, INTERVAL, T0 + 3_000)).toEqual({ ok: true });
    expect(await pacing.tryNow(account, INTERVAL, T0 + 3_001)).toEqual({ ok: false, retryAfterMs: 2_999 });
  });

  it('paces accounts apart', async () => {
    const [a, b] = [freshAccount(), freshAccount()];
    expect(await pacing.tryNow(a, INTERVAL, T0)).toEqual({ ok: true });
    expect(await pacing.tryNow(b, INTERVAL, T0)).toEqual({ ok: true });
  });

  it('lets exactly one of two (or five) concurrent senders through', async () => {
    for (let round = 0; round < 10; round++) {
      const account = freshAccount();
      const results = await Promise.all(
        Array.from({ length: round % 2 === 0 ? 2 : 5 }, () => pacing.tryNow(account, INTERVAL, T0)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, retryAfterMs: INTERVAL });
    }
  });

  it('writes nextAt in ms, and expiresAt (epoch seconds, the TTL attribute) a minute after it', async () => {
    const account = freshAccount();
    await pacing.tryNow(account, INTERVAL, T0 + 250);
    expect(await storedItem(account)).toEqual({
      pk: `pace#${account}`,
      sk: 'pace',
      nextAt: T0 + 3_250,
      expiresAt: Math.ceil((T0 + 3_250) / 1000) + 60,
    });
  });
});

describe('reserve', () => {
  it('gives the next free slot, now or later', async () => {
    const account = freshAccount();
    expect(await pacing.reserve(account, INTERVAL, T0)).toBe(T0);
    expect(await pacing.reserve(account, INTERVAL, T0 + 500)).toBe(T0 + 3_000);
    expect(await pacing.reserve(account, INTERVAL, T0 + 1_000)).toBe(T0 + 6_000);
    expect(await pacing.reserve(account, INTERVAL, T0 + 60_000)).toBe(T0 + 60_000);
  });

  it('gives 5 concurrent senders 5 distinct slots an interval apart', async () => {
    for (let round = 0; round < 5; round++) {
      const account = freshAccount();
      const slots = await Promise.all(Array.from({ length: 5 }, () => pacing.reserve(account, INTERVAL, T0)));
      expect([...slots].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * INTERVAL));
      expect((await storedItem(account))?.nextAt).toBe(T0 + 5 * INTERVAL);
    }
  });

  it('and tryNow see the same slots', async () => {
    const account = freshAccount();
    expect(await pacing.reserve(account, INTERVAL, T0)).toBe(T0);
    expect(await pacing.tryNow(account, INTERVAL, T0 + 1_000)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(await pacing.tryNow(account, INTERVAL, T0 + 3_000)).toEqual({ ok: true });
    expect(await pacing.reserve(account, INTERVAL, T0 + 3_000)).toBe(T0 + 6_000);
  });
});

describe('an interval of 0', () => {
  it('is no pacing: always now, nothing written', async () => {
    const account = freshAccount();
    expect(await pacing.tryNow(account, 0, T0)).toEqual({ ok: true });
    expect(await pacing.tryNow(account, 0, T0)).toEqual({ ok: true });
    expect(await pacing.reserve(account, 0, T0)).toBe(T0);
    expect(await pacing.reserve(account, 0, T0)).toBe(T0);
    expect(await storedItem(account)).toBeUndefined();
  });
});
