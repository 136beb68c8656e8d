import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Admission, asReceived } from '../../../lib/rules/index.ts';
import { DynamoConversationGuard, DynamoCooldownStore } from '../../../lib/stores/guard-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
let cooldowns: DynamoCooldownStore;
let guard: DynamoConversationGuard;

beforeAll(async () => {
  dynamo = await startTestTables('guards');
  const options = { doc: dynamo.doc, tableName: dynamo.names.guards };
  cooldowns = new DynamoCooldownStore(options);
  guard = new DynamoConversationGuard(options);
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
let keyCount = 0;
const freshKey = () => `20001|group|Hiking Club|rule-${keyCount++}`;

describe('cooldowns', () => {
  it('release frees a key at once', async () => {
    const key = freshKey();
    expect(await cooldowns.tryAcquire(key, 600, T0)).toBe(true);
    await cooldowns.release(key);
    expect(await cooldowns.tryAcquire(key, 600, T0 + 1_000)).toBe(true);
    expect(await cooldowns.tryAcquire(key, 600, T0 + 2_000)).toBe(false);
  });

  it('takes a free key, refuses it while it cools down, and gives it again after', async () => {
    const key = freshKey();
    expect(await cooldowns.tryAcquire(key, 60, T0)).toBe(true);
    expect(await cooldowns.tryAcquire(key, 60, T0 + 1_000)).toBe(false);
    expect(await cooldowns.tryAcquire(key, 60, T0 + 59_999)).toBe(false);
    expect(await cooldowns.tryAcquire(key, 60, T0 + 60_000)).toBe(true);
    expect(await cooldowns.tryAcquire(key, 60, T0 + 61_000)).toBe(false);
  });

  it('lasts at least the cooldown when it starts mid-second (expiresAt is rounded up)', async () => {
    const key = freshKey();
    expect(await cooldowns.tryAcquire(key, 10, T0 + 900)).toBe(true);
    expect(await cooldowns.tryAcquire(key, 10, T0 + 10_000)).toBe(false);
    expect(await cooldowns.tryAcquire(key, 10, T0 + 10_900)).toBe(false);
    expect(await cooldowns.tryAcquire(key, 10, T0 + 11_000)).toBe(true);
  });

  it('lets exactly one of many concurrent callers take a free key', async () => {
    for (let round = 0; round < 5; round++) {
      const key = freshKey();
      const results = await Promise.all(Array.from({ length: 8 }, () => cooldowns.tryAcquire(key, 30, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    }
  });

  it('lets exactly one of two concurrent callers take an expired key', async () => {
    const key = freshKey();
    expect(await cooldowns.tryAcquire(key, 5, T0)).toBe(true);
    const later = T0 + 5_000;
    const [a, b] = await Promise.all([
      cooldowns.tryAcquire(key, 5, later),
      cooldowns.tryAcquire(key, 5, later),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('keeps keys apart, and a cooldown of 0 is no cooldown', async () => {
    const [k1, k2] = [freshKey(), freshKey()];
    expect(await cooldowns.tryAcquire(k1, 60, T0)).toBe(true);
    expect(await cooldowns.tryAcquire(k2, 60, T0)).toBe(true);
    expect(await cooldowns.tryAcquire(k1, 0, T0)).toBe(true);
    expect(await cooldowns.tryAcquire(k1, 0, T0)).toBe(true);
  });

  it('stores a kind-prefixed key with expiresAt in epoch seconds (the TTL attribute)', async () => {
    const key = freshKey();
    await cooldowns.tryAcquire(key, 60, T0 + 250);
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `cooldown#${key}`, sk: 'cooldown' } }),
    );
    expect(Item?.expiresAt).toBe(Math.ceil((T0 + 250) / 1000) + 60);
  });
});

describe('the conversation guard', () => {
  const off = { intervalMs: 0, burst: 1 };
  let keys = 0;
  const admission = (conversation: string, over: Partial<Admission> = {}): Admission => ({
    conversation,
    messageKey: `m${keys++}`,
    incoming: 'hi',
    replies: ['hello'],
    senderListed: true,
    pace: off,
    holdMs: 300_000,
    nowMs: T0,
    ...over,
  });
  let n = 0;
  const fresh = () => `20001|group|Chat ${n++}`;

  it('refuses a message that is one of its recent replies there, in its received form, for 10 minutes', async () => {
    const chat = fresh();
    expect(await guard.admit(admission(chat, { replies: [asReceived('北京的天气：晴 /微笑')] }))).toEqual({
      admitted: true,
    });
    const echo = asReceived('北京的天气：晴\u00a0[表情] ');
    expect(await guard.admit(admission(chat, { incoming: echo, nowMs: T0 + 1_000 }))).toEqual({
      admitted: false,
      reason: 'echo_of_recent_reply',
    });
    // Elsewhere, or 10 minutes on, the same words are a person talking.
    expect(await guard.admit(admission(fresh(), { incoming: echo }))).toEqual({ admitted: true });
    expect(await guard.admit(admission(chat, { incoming: echo, nowMs: T0 + 600_001 }))).toEqual({
      admitted: true,
    });
  });

  it('refuses an unlisted sender within 2 minutes of a reply there (the server’s echo), a listed one not', async () => {
    const chat = fresh();
    await guard.admit(admission(chat));
    const stranger = { incoming: 'who?', senderListed: false };
    expect(await guard.admit(admission(chat, { ...stranger, nowMs: T0 + 119_000 }))).toMatchObject({
      reason: 'own_echo',
    });
    expect(await guard.admit(admission(chat, { incoming: 'who?', nowMs: T0 + 119_000 }))).toEqual({
      admitted: true,
    });
    const later = fresh();
    await guard.admit(admission(later));
    expect(await guard.admit(admission(later, { ...stranger, nowMs: T0 + 121_000 }))).toEqual({
      admitted: true,
    });
  });

  it('admits the same message again (a retry after a failed send), never taking its own reply for an echo', async () => {
    const chat = fresh();
    const newcomer = admission(chat, { incoming: 'hi all', senderListed: false, replies: ['welcome'] });
    expect(await guard.admit(newcomer)).toEqual({ admitted: true });
    expect(await guard.admit({ ...newcomer, nowMs: T0 + 1_000 })).toEqual({ admitted: true });
    // Another message from an unlisted sender just after the reply is still the echo.
    expect(
      await guard.admit(admission(chat, { incoming: 'hi all', senderListed: false, nowMs: T0 + 2_000 })),
    ).toMatchObject({
      reason: 'own_echo',
    });
  });

  it('the breaker: its burst, then silence for the hold, tripped once; other chats go on', async () => {
    const chat = fresh();
    const pace = { intervalMs: 10_000, burst: 3 };
    const at = (ms: number, text: string) =>
      guard.admit(admission(chat, { pace, nowMs: T0 + ms, incoming: text }));
    expect(await at(0, 'a')).toEqual({ admitted: true });
    expect(await at(1, 'b')).toEqual({ admitted: true });
    expect(await at(2, 'c')).toEqual({ admitted: true });
    expect(await at(3, 'd')).toEqual({ admitted: false, reason: 'circuit_breaker', tripped: true });
    expect(await at(4, 'e')).toEqual({ admitted: false, reason: 'circuit_breaker', tripped: false });
    expect(await guard.admit(admission(fresh(), { pace }))).toEqual({ admitted: true });
    // Held for 5 minutes from the trip, then the bucket is full again.
    expect(await at(290_000, 'f')).toMatchObject({ admitted: false });
    expect(await at(330_000, 'g')).toEqual({ admitted: true });
  });

  it('keeps the newest replies only, so a busy chat’s item stays small', async () => {
    const chat = fresh();
    for (let i = 0; i < 60; i++) {
      await guard.admit(admission(chat, { incoming: `q${i}`, replies: [`a${i}`], nowMs: T0 + i }));
    }
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `chat#${chat}`, sk: 'guard' } }),
    );
    const recent = Object.keys(Item ?? {}).filter((name) => name.startsWith('r_'));
    expect(recent.length).toBeGreaterThanOrEqual(20);
    expect(recent.length).toBeLessThanOrEqual(25);
    // The newest are the ones kept: the last reply's echo is still refused.
    expect(await guard.admit(admission(chat, { incoming: 'a59', nowMs: T0 + 100 }))).toMatchObject({
      reason: 'echo_of_recent_reply',
    });
  });

  it('decides in one write when the container guessed right, and a second container agrees', async () => {
    const chat = fresh();
    const pace = { intervalMs: 10_000, burst: 6 };
    const other = new DynamoConversationGuard({ doc: dynamo.doc, tableName: dynamo.names.guards });
    const results = [];
    for (let i = 0; i < 8; i++) {
      const which = i % 2 === 0 ? guard : other;
      results.push((await which.admit(admission(chat, { pace, nowMs: T0 + i, incoming: `m${i}` }))).admitted);
    }
    expect(results).toEqual([true, true, true, true, true, true, false, false]);
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `chat#${chat}`, sk: 'guard' } }),
    );
    expect(Item?.expiresAt).toBeGreaterThan(T0 / 1000);
  });
});
