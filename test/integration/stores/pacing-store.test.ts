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
const ONE_BY_ONE = { intervalMs: INTERVAL, burst: 1 };
const BURST_3 = { intervalMs: INTERVAL, burst: 3 };
let accountCount = 0;
const freshAccount = () => String(30_001 + accountCount++);

async function storedItem(account: string) {
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `pace#${account}`, sk: 'pace' } }),
  );
  return Item;
}

describe('take, now or never (the send API)', () => {
  it('takes a free turn, then says how long to wait until the interval has passed', async () => {
    const account = freshAccount();
    expect(await pacing.take(account, ONE_BY_ONE, T0, 0)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 1_000, 0)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 2_999, 0)).toEqual({ ok: false, retryAfterMs: 1 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 3_000, 0)).toEqual({ ok: true, atMs: T0 + 3_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 3_001, 0)).toEqual({
      ok: false,
      retryAfterMs: 2_999,
    });
  });

  it('allows a burst at once, then one per interval, and refills while idle', async () => {
    const account = freshAccount();
    for (let i = 0; i < 3; i++)
      expect(await pacing.take(account, BURST_3, T0, 0)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(account, BURST_3, T0 + 1_000, 0)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(await pacing.take(account, BURST_3, T0 + 3_000, 0)).toEqual({ ok: true, atMs: T0 + 3_000 });
    expect(await pacing.take(account, BURST_3, T0 + 3_000, 0)).toEqual({ ok: false, retryAfterMs: 3_000 });
    // Idle long enough to refill the whole bucket: a full burst again, not more.
    const later = T0 + 60_000;
    for (let i = 0; i < 3; i++) expect((await pacing.take(account, BURST_3, later, 0)).ok).toBe(true);
    expect((await pacing.take(account, BURST_3, later, 0)).ok).toBe(false);
  });

  it('paces accounts apart', async () => {
    const [a, b] = [freshAccount(), freshAccount()];
    expect(await pacing.take(a, ONE_BY_ONE, T0, 0)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(b, ONE_BY_ONE, T0, 0)).toEqual({ ok: true, atMs: T0 });
  });

  it('lets exactly `burst` of many concurrent senders through', async () => {
    for (let round = 0; round < 10; round++) {
      const account = freshAccount();
      const pace = round % 2 === 0 ? ONE_BY_ONE : BURST_3;
      const results = await Promise.all(Array.from({ length: 6 }, () => pacing.take(account, pace, T0, 0)));
      expect(results.filter((r) => r.ok)).toHaveLength(pace.burst);
      for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, retryAfterMs: INTERVAL });
    }
  });

  it('holds nothing when it refuses: the next free turn is unchanged', async () => {
    const account = freshAccount();
    await pacing.take(account, ONE_BY_ONE, T0, 0);
    const before = await storedItem(account);
    for (let i = 0; i < 5; i++) expect((await pacing.take(account, ONE_BY_ONE, T0 + 100, 0)).ok).toBe(false);
    expect(await storedItem(account)).toEqual(before);
  });

  it('writes nextAt in ms, and expiresAt (epoch seconds, the TTL attribute) an hour on', async () => {
    const account = freshAccount();
    await pacing.take(account, ONE_BY_ONE, T0 + 250, 0);
    expect(await storedItem(account)).toEqual({
      pk: `pace#${account}`,
      sk: 'pace',
      nextAt: T0 + 3_250,
      expiresAt: Math.ceil((T0 + 250) / 1000) + 3_600,
    });
  });
});

describe('take with a wait (the replies)', () => {
  it('gives the next free turn when it comes within the wait', async () => {
    const account = freshAccount();
    expect(await pacing.take(account, ONE_BY_ONE, T0, 10_000)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 500, 10_000)).toEqual({ ok: true, atMs: T0 + 3_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 1_000, 10_000)).toEqual({
      ok: true,
      atMs: T0 + 6_000,
    });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 60_000, 10_000)).toEqual({
      ok: true,
      atMs: T0 + 60_000,
    });
  });

  it('refuses, holding nothing, a turn further away than the wait', async () => {
    const account = freshAccount();
    await pacing.take(account, ONE_BY_ONE, T0, 10_000);
    await pacing.take(account, ONE_BY_ONE, T0, 10_000);
    expect(await pacing.take(account, ONE_BY_ONE, T0, 5_000)).toEqual({ ok: false, retryAfterMs: 6_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0, 6_000)).toEqual({ ok: true, atMs: T0 + 6_000 });
  });

  it('gives 5 concurrent senders 5 distinct turns: the burst at once, the rest an interval apart', async () => {
    for (let round = 0; round < 5; round++) {
      const account = freshAccount();
      const turns = await Promise.all(
        Array.from({ length: 5 }, () => pacing.take(account, BURST_3, T0, 60_000)),
      );
      const at = turns.map((t) => (t.ok ? t.atMs : Number.NaN)).sort((a, b) => a - b);
      expect(at).toEqual([T0, T0, T0, T0 + INTERVAL, T0 + 2 * INTERVAL]);
      expect((await storedItem(account))?.nextAt).toBe(T0 + 5 * INTERVAL);
    }
  });

  it('shares the turns with the now-or-never takes', async () => {
    const account = freshAccount();
    expect(await pacing.take(account, ONE_BY_ONE, T0, 10_000)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 1_000, 0)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 3_000, 0)).toEqual({ ok: true, atMs: T0 + 3_000 });
    expect(await pacing.take(account, ONE_BY_ONE, T0 + 3_000, 10_000)).toEqual({
      ok: true,
      atMs: T0 + 6_000,
    });
  });
});

describe('holdOff (the circuit breaker)', () => {
  it('refuses every turn for the hold, said once by the call that started it', async () => {
    const bucket = `conversation#${freshAccount()}`;
    for (let i = 0; i < 3; i++) expect((await pacing.take(bucket, BURST_3, T0, 0)).ok).toBe(true);
    expect((await pacing.take(bucket, BURST_3, T0, 0)).ok).toBe(false);

    expect(await pacing.holdOff(bucket, BURST_3, T0, 300_000)).toBe(true);
    expect(await pacing.holdOff(bucket, BURST_3, T0 + 10_000, 300_000)).toBe(false);

    expect(await pacing.take(bucket, BURST_3, T0 + 299_000, 0)).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect((await pacing.take(bucket, BURST_3, T0 + 300_000, 0)).ok).toBe(true);
  });
});

describe('an interval of 0', () => {
  it('is no pacing: always now, nothing written', async () => {
    const account = freshAccount();
    const off = { intervalMs: 0, burst: 1 };
    expect(await pacing.take(account, off, T0, 0)).toEqual({ ok: true, atMs: T0 });
    expect(await pacing.take(account, off, T0, 0)).toEqual({ ok: true, atMs: T0 });
    expect(await storedItem(account)).toBeUndefined();
  });
});
