import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asReceived } from '../../../lib/rules/index.ts';
import { DynamoCooldownStore, DynamoRecentReplies } from '../../../lib/stores/guard-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
let cooldowns: DynamoCooldownStore;
let recent: DynamoRecentReplies;

beforeAll(async () => {
  dynamo = await startTestTables('guards');
  const options = { doc: dynamo.doc, tableName: dynamo.names.guards };
  cooldowns = new DynamoCooldownStore(options);
  recent = new DynamoRecentReplies(options);
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

describe('recent replies', () => {
  const chat = '20001|group|Hiking Club';

  it('knows a reply it was told, in that conversation only, until it expires', async () => {
    await recent.remember(chat, 'Alice, the trail is waiting', 600, T0);
    expect(await recent.isRecent(chat, 'Alice, the trail is waiting', T0 + 1_000)).toBe(true);
    expect(await recent.isRecent(chat, 'Alice, the trail is waiting!', T0 + 1_000)).toBe(false);
    expect(await recent.isRecent('20001|group|Tea & Code', 'Alice, the trail is waiting', T0)).toBe(false);
    expect(await recent.isRecent(chat, 'Alice, the trail is waiting', T0 + 600_000)).toBe(false);
  });

  it('recognizes the echo of a reply in the asReceived form: faces as markers or names, spacing changed', async () => {
    await recent.remember(chat, asReceived('北京的天气：晴 /微笑'), 600, T0);
    expect(await recent.isRecent(chat, asReceived('北京的天气：晴 [微笑]'), T0)).toBe(true);
    expect(await recent.isRecent(chat, asReceived('北京的天气：晴\u00a0[表情] '), T0)).toBe(true);
    expect(await recent.isRecent(chat, asReceived('北京的天气：雨 [微笑]'), T0)).toBe(false);
  });

  it('remembers several replies of one conversation side by side', async () => {
    const conversation = '20001|friend|Ali';
    await recent.remember(conversation, 'one', 60, T0);
    await recent.remember(conversation, 'two', 60, T0);
    expect(await recent.isRecent(conversation, 'one', T0)).toBe(true);
    expect(await recent.isRecent(conversation, 'two', T0)).toBe(true);
  });

  it('says whether the bot replied in a conversation within a window, and only there', async () => {
    const conversation = '20001|discussion|Weekend plans';
    expect(await recent.repliedWithin(conversation, 120, T0)).toBe(false);
    await recent.remember(conversation, 'hello', 600, T0);
    expect(await recent.repliedWithin(conversation, 120, T0 + 119_000)).toBe(true);
    expect(await recent.repliedWithin(conversation, 120, T0 + 121_000)).toBe(false);
    expect(await recent.repliedWithin('20001|discussion|Other', 120, T0)).toBe(false);
  });
});
