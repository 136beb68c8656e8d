/**
 * Ten QQ accounts in one local runtime (issue 12): one poller invocation holds all ten long polls,
 * the consumer answers each account as itself in friend and group chats, and an account paused
 * through the send API stops being polled (its messages wait at the server, nothing lost) while the
 * other nine go on; resumed, its waiting message is answered.
 *
 * The ten log in before the runtime starts (the simulator shows one QR at a time to a person; ten
 * pollers asking at once would each need the right phone), into the DynamoDB the runtime then uses.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoClients, type DynamoClients } from '../../lib/state/dynamo.ts';
import { createTables, localTableNames } from '../../lib/state/tables.ts';
import { DynamoMemberLists } from '../../lib/stores/member-lists-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { type Emulators, startEmulators } from '../../local/runtime/emulators.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { logInThroughSimulator } from '../../local/runtime/sim-login.ts';
import { type SentRecord, type Simulator, startSimulator } from '../../local/simulator/index.ts';
import { limitsFor } from '../support/sim-control.ts';
import { E2E_DEFAULTS, WHO_ARE_YOU_RULE } from './harness.ts';

const ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(20_001 + i));
const WORLD = {
  people: [
    { qq: 10_001, nick: 'Alice' },
    { qq: 10_002, nick: 'Bob' },
  ],
  accounts: ACCOUNTS.map((qq) => ({
    qq: Number(qq),
    nick: `Bot${qq.slice(-2)}`,
    friends: [{ qq: 10_001 }, { qq: 10_002 }],
    groups: [{ name: `Room ${qq}`, members: [{ qq: 10_001 }, { qq: 10_002 }, { qq: Number(qq) }] }],
    discussions: [],
  })),
};

let emulators: Emulators;
let dynamo: DynamoClients;
let sim: Simulator;
let runtime: LocalRuntime;
const notices: string[] = [];

beforeAll(async () => {
  [emulators, sim] = await Promise.all([
    startEmulators(),
    startSimulator({ world: WORLD, pollHoldMs: E2E_DEFAULTS.pollHoldMs }),
  ]);
  dynamo = createDynamoClients({ endpoint: emulators.dynamodbEndpoint, region: emulators.region });
  const tables = localTableNames('local');
  await createTables(dynamo.client, tables);
  const stores = {
    sessions: new DynamoSessionStore({ doc: dynamo.doc, tableName: tables.sessions }),
    memberLists: new DynamoMemberLists({ doc: dynamo.doc, tableName: tables.guards }),
  };
  for (const account of ACCOUNTS) {
    await logInThroughSimulator(sim, account, stores, limitsFor(E2E_DEFAULTS.pollHoldMs));
  }
  const { autoScanAfterMs: _nobodyScans, ...defaults } = E2E_DEFAULTS;
  runtime = await startLocalRuntime({
    ...defaults,
    smartqqUrl: sim.url,
    account: ACCOUNTS[0],
    accounts: ACCOUNTS,
    dynamodbEndpoint: emulators.dynamodbEndpoint,
    sqsEndpoint: emulators.sqsEndpoint,
    log: (line) => notices.push(line),
    rules: [WHO_ARE_YOU_RULE],
  });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
  await sim?.close();
  dynamo?.client.destroy();
  await emulators?.close();
});

const answers = () => sim.sent().filter((m) => m.text.startsWith('I am '));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; notices: ${notices.join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function leaseOwner(account: string): Promise<string | undefined> {
  const { Item } = await runtime.doc.send(
    new GetCommand({ TableName: runtime.tables.sessions, Key: { account } }),
  );
  return Item && typeof Item.leaseUntil === 'number' && Item.leaseUntil > Date.now()
    ? (Item.leaseOwner as string)
    : undefined;
}

function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${runtime.sendApiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const label = (m: SentRecord) => `${m.account}:${m.type}:${m.to.name}:${m.text}`;

it('answers ten accounts, each as itself, with one poller invocation holding all ten', async () => {
  // One invocation holds every lease.
  const owners = await until('all ten leases held', async () => {
    const all = await Promise.all(ACCOUNTS.map(leaseOwner));
    return all.every((owner) => owner !== undefined) ? all : undefined;
  });
  expect(new Set(owners).size).toBe(1);

  for (const account of ACCOUNTS) {
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'who are you', account: Number(account) });
    sim.injectMessage({
      type: 'group',
      group: `Room ${account}`,
      from: 'Bob',
      text: 'who are you',
      account: Number(account),
    });
  }
  await until('twenty answers', () => (answers().length >= 20 ? true : undefined), 60_000);
  const expected = ACCOUNTS.flatMap((account) => [
    `${account}:friend:Alice:I am Bot${account.slice(-2)}`,
    `${account}:group:Room ${account}:I am Bot${account.slice(-2)}`,
  ]);
  expect(answers().map(label).sort()).toEqual(expected.sort());
}, 90_000);

it('a paused account is let go and not answered while the nine go on; resumed, nothing was lost', async () => {
  const paused = ACCOUNTS[3] as string;
  const before = answers().length;
  const answer = await api('PATCH', `/v1/accounts/${paused}`, { status: 'paused' });
  expect(answer.status).toBe(200);
  // Its poller lets it go within a poll cycle (the registry is read again every 30 s at most).
  await until(
    `the lease of ${paused} given back`,
    async () => ((await leaseOwner(paused)) === undefined ? true : undefined),
    45_000,
  );

  sim.injectMessage({ type: 'friend', from: 'Alice', text: 'who are you', account: Number(paused) });
  sim.injectMessage({ type: 'friend', from: 'Bob', text: 'who are you', account: Number(ACCOUNTS[4]) });
  const other = await until('the answer of an active account', () =>
    answers()
      .slice(before)
      .find((m) => m.account === Number(ACCOUNTS[4])),
  );
  expect(other.text).toBe(`I am Bot${(ACCOUNTS[4] as string).slice(-2)}`);
  // Sending for it through the API is refused while paused.
  const refused = await api('POST', '/v1/messages', {
    account: paused,
    type: 'friend',
    to: { name: 'Alice' },
    text: 'x',
  });
  expect(refused.status).toBe(409);
  expect(
    answers()
      .slice(before)
      .some((m) => m.account === Number(paused)),
  ).toBe(false);

  expect((await api('PATCH', `/v1/accounts/${paused}`, { status: 'active' })).status).toBe(200);
  // The next tick (every 10 s here) finds its lease free and polls it: the waiting message is answered.
  const late = await until(
    'the paused account answering once resumed',
    () =>
      answers()
        .slice(before)
        .find((m) => m.account === Number(paused)),
    45_000,
  );
  expect(late.to.name).toBe('Alice');
  expect(answers().filter((m) => m.account === Number(paused))).toHaveLength(3);
}, 120_000);
