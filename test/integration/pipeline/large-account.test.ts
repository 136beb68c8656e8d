/**
 * An account of realistic size (issue 12: 500 friends, 200 groups of 200–2,000 members, 50
 * discussions) logs in and is answered in each kind of chat, through the whole local runtime. The
 * member lists are kept apart from the session item (one item per chat), so the session item stays
 * small: at most SESSION_ITEM_MAX_BYTES, checked by what DynamoDB charges to read it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { groupKey } from '../../../lib/pipeline/contacts-cache.ts';
import { DynamoMemberLists } from '../../../lib/stores/member-lists-store.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime/index.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { E2E_DEFAULTS } from '../../e2e/harness.ts';

const ACCOUNT = 30001;
const FRIENDS = 500;
const GROUPS = 200;
const DISCUSSIONS = 50;
const LARGEST_GROUP = 2_000;
/** The session item of such an account: its directory of chats, no member list. */
const SESSION_ITEM_MAX_BYTES = 64 * 1024;

/** Group g has 200 to 2,000 members; the last group the most. */
const groupSize = (g: number) => (g === GROUPS - 1 ? LARGEST_GROUP : 200 + ((g * 97) % 1_801));

function largeWorld() {
  const people = Array.from({ length: FRIENDS + LARGEST_GROUP }, (_, i) => ({
    qq: 100_000 + i,
    nick: `person-${i}-名字`,
  }));
  return {
    people,
    accounts: [
      {
        qq: ACCOUNT,
        nick: 'BigBot',
        friends: people
          .slice(0, FRIENDS)
          .map((p, i) => ({ qq: p.qq, ...(i % 3 === 0 ? { markname: `mark-${i}` } : {}) })),
        groups: Array.from({ length: GROUPS }, (_, g) => ({
          name: `Group ${g}`,
          members: people
            .slice(FRIENDS, FRIENDS + groupSize(g))
            .map((p) => ({ qq: p.qq, card: `card-${p.qq}` })),
        })),
        discussions: Array.from({ length: DISCUSSIONS }, (_, d) => ({
          name: `Discussion ${d}`,
          members: people.slice(d * 10, d * 10 + 12).map((p) => p.qq),
        })),
      },
    ],
  };
}

let sim: Simulator;
let runtime: LocalRuntime;

beforeAll(async () => {
  sim = await startSimulator({
    world: largeWorld(),
    pollHoldMs: E2E_DEFAULTS.pollHoldMs,
    autoScanAfterMs: 300,
  });
  runtime = await startLocalRuntime({
    ...E2E_DEFAULTS,
    smartqqUrl: sim.url,
    account: String(ACCOUNT),
    // A login of this size takes a while: the first invocation has the time for it.
    pollerTimeoutMs: 120_000,
    rules: [
      {
        account: '*',
        id: 'big',
        chatTypes: ['friend', 'group', 'discussion'],
        match: 'regex',
        pattern: '^big (\\S+)$',
        replies: ['ok {$1} {sender}'],
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await runtime?.close();
  await sim?.close();
});

async function online(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await runtime.sessions.get(String(ACCOUNT));
    if (record?.state === 'online' && record.contacts) return record;
    if (Date.now() > deadline) throw new Error(`not online after ${timeoutMs} ms: ${record?.state}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function answered(text: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sim.sent().find((m) => m.text.startsWith(text));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no answer "${text}…" after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('logs in 500 friends, 200 groups of up to 2,000 and 50 discussions, answers in each kind of chat, and keeps the session item small', async () => {
  const record = await online(90_000);
  expect(record.contacts?.friends).toHaveLength(FRIENDS);
  expect(record.contacts?.groups).toHaveLength(GROUPS);
  expect(record.contacts?.discussions).toHaveLength(DISCUSSIONS);

  // What DynamoDB charges for a consistent read of the session item: 1 unit per 4 KB.
  const { ConsumedCapacity } = await runtime.doc.send(
    new GetCommand({
      TableName: runtime.tables.sessions,
      Key: { account: String(ACCOUNT) },
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  expect(ConsumedCapacity?.CapacityUnits).toBeGreaterThan(0);
  expect((ConsumedCapacity?.CapacityUnits ?? 0) * 4096).toBeLessThanOrEqual(SESSION_ITEM_MAX_BYTES);

  // Every member list is in its own item: the largest group's has all 2,000, and the bot.
  const largest = record.contacts?.groups.find((g) => g.name === `Group ${GROUPS - 1}`);
  const lists = new DynamoMemberLists({ doc: runtime.doc, tableName: runtime.tables.guards });
  const members = await lists.get(
    String(ACCOUNT),
    record.contacts?.linkedAt ?? 0,
    groupKey(largest?.gid ?? 0),
  );
  expect(Object.keys(members ?? {})).toHaveLength(LARGEST_GROUP + 1);

  const lastMember = 100_000 + FRIENDS + LARGEST_GROUP - 1;
  sim.injectMessage({ type: 'friend', from: 'mark-300', text: 'big friend' });
  sim.injectMessage({ type: 'group', group: `Group ${GROUPS - 1}`, from: lastMember, text: 'big group' });
  sim.injectMessage({
    type: 'discussion',
    discussion: `Discussion ${DISCUSSIONS - 1}`,
    from: 'person-495-名字',
    text: 'big discussion',
  });

  // Named from the member lists the poller read back from their own items.
  expect((await answered('ok friend')).text).toBe('ok friend mark-300');
  expect((await answered('ok group')).text).toBe(`ok group card-${lastMember}`);
  expect((await answered('ok discussion')).text).toBe('ok discussion person-495-名字');
}, 150_000);
