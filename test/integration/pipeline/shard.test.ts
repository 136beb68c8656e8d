/**
 * One poller invocation holding ten accounts (lib/pipeline/shard.ts): each account polled and
 * published on its own, side by side; an account whose server never answers and one whose storage
 * fails delay none of the others, and are reported alone.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PollerDeps } from '../../../lib/pipeline/poller-deps.ts';
import type { SessionStore } from '../../../lib/pipeline/ports.ts';
import { pollShard, runShard, shardOf } from '../../../lib/pipeline/shard.ts';
import { SqsInboundQueue } from '../../../lib/queue/inbound-queue.ts';
import { parseInboundMessage } from '../../../lib/queue/message-body.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { DynamoAccountRegistry, DynamoAccountRegistryReader } from '../../../lib/stores/account-registry.ts';
import { DynamoMemberLists } from '../../../lib/stores/member-lists-store.ts';
import { DynamoOutbox } from '../../../lib/stores/outbox-store.ts';
import { DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import { logInThroughSimulator } from '../../../local/runtime/sim-login.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';
import { limitsFor } from '../../support/sim-control.ts';
import { startTestSqs, type TestSqs } from '../../support/sqs.ts';

const ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(20_001 + i));
/** Its SmartQQ server takes the connection and never answers. */
const HANGING = '20004';
/** Its session storage fails. */
const BROKEN = '20007';
const HOLD_MS = 600;

const world = {
  people: [{ qq: 10_001, nick: 'Alice' }],
  accounts: ACCOUNTS.map((qq) => ({
    qq: Number(qq),
    nick: `Bot ${qq}`,
    friends: [{ qq: 10_001 }],
    groups: [{ name: `Room ${qq}`, members: [{ qq: 10_001 }] }],
    discussions: [],
  })),
};

let sim: Simulator;
let dynamo: TestTables;
let sqs: TestSqs;
let blackHole: Server;
const held = new Set<Socket>();

beforeAll(async () => {
  [sim, dynamo, sqs] = await Promise.all([
    startSimulator({ world, pollHoldMs: HOLD_MS }),
    startTestTables('shard'),
    startTestSqs(),
  ]);
  blackHole = createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
}, 60_000);
afterAll(async () => {
  for (const socket of held) socket.destroy();
  blackHole.close();
  await Promise.all([sim.close(), dynamo.close(), sqs.close()]);
});

it('polls ten accounts in one invocation; a hanging and a failing account delay none of the others', async () => {
  const names = await dynamo.fresh();
  const { urls } = await sqs.queues('shard');
  const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: names.sessions });
  const memberLists = new DynamoMemberLists({ doc: dynamo.doc, tableName: names.guards });
  for (const account of ACCOUNTS) {
    await logInThroughSimulator(sim, account, { sessions, memberLists }, limitsFor(HOLD_MS));
  }

  const brokenSessions: SessionStore = {
    ...sessions,
    get: sessions.get.bind(sessions),
    update: sessions.update.bind(sessions),
    acquireLease: sessions.acquireLease.bind(sessions),
    releaseLease: sessions.releaseLease.bind(sessions),
    leaseEndsBy: sessions.leaseEndsBy.bind(sessions),
    ensure: async () => {
      throw new Error('ProvisionedThroughputExceededException (injected)');
    },
  };
  const logs: string[] = [];
  const deadline = Date.now() + 6_000;
  const depsFor = (account: string): PollerDeps => ({
    account,
    sessions: account === BROKEN ? brokenSessions : sessions,
    queue: new SqsInboundQueue({ client: sqs.client, queueUrl: urls.inbound, sleep: async () => {} }),
    outbox: new DynamoOutbox({ doc: dynamo.doc, tableName: names.guards }),
    memberLists,
    hosts: singleBaseHosts(
      account === HANGING ? `http://127.0.0.1:${(blackHole.address() as { port: number }).port}` : sim.url,
    ),
    pollLimits: limitsFor(HOLD_MS),
    remainingMs: () => deadline - Date.now(),
    publishReserveMs: 200,
    linkReserveMs: 500,
    owner: 'one-invocation',
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
    log: {
      info: () => {},
      warn: (message) => logs.push(`${account} warn ${message}`),
      error: (message, extra) => logs.push(`${account} error ${message} ${JSON.stringify(extra ?? {})}`),
    },
  });

  let shardDone = false;
  const shard = runShard(ACCOUNTS, depsFor).finally(() => {
    shardDone = true;
  });
  for (const account of ACCOUNTS) {
    sim.injectMessage({ type: 'friend', from: 'Alice', text: `hello ${account}`, account: Number(account) });
    sim.injectMessage({
      type: 'group',
      group: `Room ${account}`,
      from: 'Alice',
      text: `room ${account}`,
      account: Number(account),
    });
  }

  // Every healthy account's messages reach the queue while the hanging one still waits.
  const healthy = ACCOUNTS.filter((a) => a !== HANGING && a !== BROKEN);
  const published = new Map<string, string[]>();
  const got = () => healthy.every((a) => (published.get(a) ?? []).length === 2);
  while (!got() && !shardDone) {
    const { Messages } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: urls.inbound, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages ?? []) {
      const message = parseInboundMessage(m.Body ?? '');
      published.set(message.account, [...(published.get(message.account) ?? []), message.text].sort());
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: urls.inbound, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
  expect(shardDone, 'the shard ended before the healthy accounts were published').toBe(false);
  for (const account of healthy) {
    expect(published.get(account), account).toEqual([`hello ${account}`, `room ${account}`]);
  }
  expect(published.has(HANGING)).toBe(false);

  const reports = await shard;
  for (const account of healthy)
    expect(reports.get(account), account).toMatchObject({ status: 'done', state: 'online' });
  expect(reports.get(BROKEN)).toEqual({
    status: 'failed',
    reason: 'ProvisionedThroughputExceededException (injected)',
  });
  expect(reports.get(HANGING)).toMatchObject({ status: 'done', published: 0 });
  expect(logs.filter((line) => line.startsWith(`${BROKEN} error`))).toHaveLength(1);
  // Each healthy account held its own lease and released it at the end.
  for (const account of healthy) expect(await sessions.leaseEndsBy(account)).toBeUndefined();
}, 60_000);

it('polls the active accounts of its shard from the registry, and lets a paused one go within a cycle', async () => {
  const names = await dynamo.fresh();
  const { urls } = await sqs.queues('shard-registry');
  const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: names.sessions });
  const memberLists = new DynamoMemberLists({ doc: dynamo.doc, tableName: names.guards });
  const registry = new DynamoAccountRegistry({ doc: dynamo.doc, tableName: names.sessions });
  // Configured: the first five; added through the registry: two more; one configured is paused.
  const configured = ACCOUNTS.slice(0, 5);
  for (const added of ACCOUNTS.slice(5, 7)) await registry.change(configured, 'add', added, Date.now());
  await registry.change(configured, 'pause', configured[1] as string, Date.now());
  const active = [...configured.filter((a) => a !== configured[1]), ...ACCOUNTS.slice(5, 7)];
  const shard = { shard: shardOf(active[0] as string, 2), shards: 2 };
  const mine = active.filter((a) => shardOf(a, 2) === shard.shard);
  expect(mine.length).toBeGreaterThanOrEqual(2);
  for (const account of mine) {
    await logInThroughSimulator(sim, account, { sessions, memberLists }, limitsFor(HOLD_MS));
  }
  const [pausedLater, ...others] = mine as [string, ...string[]];
  const deadline = Date.now() + 8_000;
  const polledBy = new Map<string, number>();
  const running = pollShard({
    configured,
    registry: new DynamoAccountRegistryReader({ doc: dynamo.doc, tableName: names.sessions }),
    shard,
    remainingMs: () => deadline - Date.now(),
    recheckMs: 100,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    depsFor: (account, remainingMs) => {
      polledBy.set(account, Date.now());
      return {
        account,
        sessions,
        queue: new SqsInboundQueue({ client: sqs.client, queueUrl: urls.inbound, sleep: async () => {} }),
        outbox: new DynamoOutbox({ doc: dynamo.doc, tableName: names.guards }),
        memberLists,
        hosts: singleBaseHosts(sim.url),
        pollLimits: limitsFor(HOLD_MS),
        remainingMs,
        publishReserveMs: 200,
        linkReserveMs: 500,
        owner: 'registry-invocation',
        log: { info: () => {}, warn: () => {}, error: () => {} },
      };
    },
  });
  let ended = false;
  void running.finally(() => {
    ended = true;
  });
  // Exactly the active accounts of this shard are polled: not the paused one, not the other shard's.
  while (polledBy.size < mine.length && Date.now() < deadline - 6_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect([...polledBy.keys()].sort()).toEqual([...mine].sort());
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await registry.change(configured, 'pause', pausedLater, Date.now());
  const pausedAt = Date.now();
  while ((await sessions.leaseEndsBy(pausedLater)) !== undefined) {
    expect(Date.now() - pausedAt, 'the paused account was still polled').toBeLessThan(3 * HOLD_MS + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The others go on polling, their leases held, until the invocation's time is up.
  expect(ended).toBe(false);
  for (const account of others) expect(await sessions.leaseEndsBy(account)).toBeDefined();
  const reports = await running;
  expect([...reports.keys()].sort()).toEqual([...mine].sort());
  for (const account of mine) expect(reports.get(account), account).toMatchObject({ status: 'done' });
  expect(Date.now()).toBeGreaterThanOrEqual(deadline - 2 * HOLD_MS - 1_000);
}, 60_000);

it('spreads accounts over shards by a stable hash of the number', () => {
  const many = Array.from({ length: 1_000 }, (_, i) => String(100_000 + i * 7));
  const sizes = [0, 0, 0, 0];
  for (const account of many) sizes[shardOf(account, 4)] = (sizes[shardOf(account, 4)] ?? 0) + 1;
  for (const size of sizes) expect(size).toBeGreaterThan(200);
  expect(many.map((a) => shardOf(a, 4))).toEqual(many.map((a) => shardOf(a, 4)));
  expect(shardOf('20001', 1)).toBe(0);
});
