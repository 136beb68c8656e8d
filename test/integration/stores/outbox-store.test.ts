import type { BatchWriteCommandInput, BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../lib/pipeline/ports.ts';
import { createDynamoClients, type DynamoClients } from '../../../lib/state/dynamo.ts';
import { DynamoOutbox, OUTBOX_TTL_SECONDS } from '../../../lib/stores/outbox-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;

beforeAll(async () => {
  dynamo = await startTestTables('outbox');
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
let accountCount = 0;
const freshAccount = () => String(40_001 + accountCount++);

function message(account: string, n: number, receivedAt = T0 + n): InboundMessage {
  return {
    key: `key-${String(n).padStart(3, '0')}`,
    account,
    conversation: `${account}-group-4001`,
    chatType: 'group',
    chatId: 4001,
    chatName: 'Hiking Club',
    senderUin: 3001,
    senderName: 'Trail Boss',
    senderNick: 'Ali',
    text: `message ${n} /微笑`,
    msgId: 1_000 + n,
    time: Math.floor(receivedAt / 1000),
    linkedAt: T0 - 60_000,
    receivedAt,
  };
}

function outbox(
  options: { now?: number; pageSize?: number; clients?: DynamoClients; sleeps?: number[] } = {},
) {
  return new DynamoOutbox({
    doc: (options.clients ?? dynamo).doc,
    tableName: dynamo.names.guards,
    now: () => options.now ?? T0,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    sleep: async (ms) => {
      options.sleeps?.push(ms);
    },
  });
}

/** Scrambled, so the order `list` gives is its own. */
function shuffled<T>(items: readonly T[]): T[] {
  return items
    .map((item, i) => ({ item, rank: (i * 7919) % 101 }))
    .sort((a, b) => a.rank - b.rank)
    .map((x) => x.item);
}

describe('outbox', () => {
  it('keeps more than a batch of events and lists them, page by page, oldest first', async () => {
    const account = freshAccount();
    const messages = Array.from({ length: 60 }, (_, n) => message(account, n));
    await outbox().add(shuffled(messages));

    expect(await outbox({ pageSize: 7 }).list(account)).toStrictEqual(messages);
  });

  it('orders by receivedAt, then by key', async () => {
    const account = freshAccount();
    const late = message(account, 1, T0 + 100);
    const earlyB = message(account, 3, T0 + 5);
    const earlyA = message(account, 2, T0 + 5);
    await outbox().add([late, earlyB, earlyA]);
    expect((await outbox().list(account)).map((m) => m.key)).toEqual([earlyA.key, earlyB.key, late.key]);
  });

  it('keeps accounts apart, and an event added twice (in one call or two) once', async () => {
    const [a, b] = [freshAccount(), freshAccount()];
    await outbox().add([message(a, 1), message(b, 1), message(a, 1), message(a, 2)]);
    await outbox().add([message(a, 2)]);
    expect((await outbox().list(a)).map((m) => m.key)).toEqual(['key-001', 'key-002']);
    expect((await outbox().list(b)).map((m) => m.key)).toEqual(['key-001']);
    expect(await outbox().list(freshAccount())).toEqual([]);
  });

  it('removes more than a batch of events by key, and only those of the account', async () => {
    const [account, other] = [freshAccount(), freshAccount()];
    const messages = Array.from({ length: 60 }, (_, n) => message(account, n));
    await outbox().add([...messages, message(other, 0)]);

    await outbox().remove(
      account,
      messages.slice(0, 40).map((m) => m.key),
    );
    await outbox().remove(account, ['key-000', 'no-such-key']);

    expect(await outbox().list(account)).toStrictEqual(messages.slice(40));
    expect(await outbox().list(other)).toHaveLength(1);
    await outbox().remove(account, []);
  });

  it('stores the event as a map under outbox#<account>, expiring a week after it was added', async () => {
    const account = freshAccount();
    const m = message(account, 7);
    await outbox({ now: T0 + 250 }).add([m]);
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.guards, Key: { pk: `outbox#${account}`, sk: m.key } }),
    );
    expect(Item).toStrictEqual({
      pk: `outbox#${account}`,
      sk: m.key,
      message: m,
      expiresAt: Math.ceil((T0 + 250) / 1000) + OUTBOX_TTL_SECONDS,
    });
  });

  it('does not list events past their TTL that DynamoDB has not deleted yet', async () => {
    const account = freshAccount();
    await outbox({ now: T0 }).add([message(account, 1)]);
    expect(await outbox({ now: T0 + OUTBOX_TTL_SECONDS * 1000 - 1_000 }).list(account)).toHaveLength(1);
    expect(await outbox({ now: T0 + OUTBOX_TTL_SECONDS * 1000 }).list(account)).toEqual([]);
  });
});

describe('unprocessed items', () => {
  /** Clients whose BatchWriteItem calls leave all but `kept` requests unprocessed, `times` times. */
  function throttlingClients(times: number, kept: number): { clients: DynamoClients; calls: number[] } {
    const clients = createDynamoClients({ endpoint: dynamo.endpoint });
    const calls: number[] = [];
    let left = times;
    clients.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchWriteItemCommand') return next(args);
        const input = args.input as BatchWriteCommandInput;
        const [table, requests = []] = Object.entries(input.RequestItems ?? {})[0] ?? [];
        calls.push(requests.length);
        if (left <= 0 || table === undefined) return next(args);
        left--;
        const unprocessed = { [table]: requests.slice(kept) };
        if (kept === 0) return { output: { UnprocessedItems: unprocessed, $metadata: {} }, response: {} };
        const result = await next({
          ...args,
          input: { ...input, RequestItems: { [table]: requests.slice(0, kept) } },
        });
        (result.output as BatchWriteCommandOutput).UnprocessedItems = unprocessed;
        return result;
      },
      { step: 'initialize', name: 'leaveUnprocessed' },
    );
    return { clients, calls };
  }

  it('writes the unprocessed items again, after a wait', async () => {
    const account = freshAccount();
    const { clients, calls } = throttlingClients(2, 10);
    const sleeps: number[] = [];
    const messages = Array.from({ length: 30 }, (_, n) => message(account, n));

    await outbox({ clients, sleeps }).add(messages);

    // 25 → 10 written, 15 left → 10 written, 5 left → 5; then the last 5 of the 30.
    expect(calls).toEqual([25, 15, 5, 5]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Infinity);
    expect(await outbox().list(account)).toStrictEqual(messages);
    clients.client.destroy();
  });

  it('gives up with an error when items stay unprocessed', async () => {
    const account = freshAccount();
    const { clients, calls } = throttlingClients(100, 0);
    await expect(outbox({ clients }).add([message(account, 1), message(account, 2)])).rejects.toThrow(
      '2 outbox writes still unprocessed after 8 attempts',
    );
    expect(calls).toHaveLength(8);
    clients.client.destroy();
  });
});
