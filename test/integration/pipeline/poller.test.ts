/**
 * The poll loop against real components: the SmartQQ simulator, DynamoDB (dynalite) through the
 * session and outbox stores, and SQS FIFO (fauxqs) through the inbound queue.
 */
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPoller } from '../../../lib/pipeline/poller.ts';
import type { PollerDeps } from '../../../lib/pipeline/poller-deps.ts';
import type { InboundMessage, InboundQueue, SessionRecord } from '../../../lib/pipeline/ports.ts';
import { parseInboundMessage, SqsInboundQueue } from '../../../lib/queue/inbound-queue.ts';
import { SmartQQClient } from '../../../lib/smartqq/client.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { Session, type SessionJson } from '../../../lib/smartqq/session.ts';
import { DynamoMemberLists } from '../../../lib/stores/member-lists-store.ts';
import { DynamoOutbox } from '../../../lib/stores/outbox-store.ts';
import { DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';
import { control, counters, startSim } from '../../support/sim-control.ts';
import { startTestSqs, type TestSqs } from '../../support/sqs.ts';

const ACCOUNT = '20001';
const HOLD_MS = 300;

let sim: Simulator;
let dynamo: TestTables;
let sqs: TestSqs;

beforeAll(async () => {
  [sim, dynamo, sqs] = await Promise.all([
    startSim({ pollHoldMs: HOLD_MS }),
    startTestTables('poller'),
    startTestSqs(),
  ]);
});
afterAll(async () => {
  await Promise.all([sim.close(), dynamo.close(), sqs.close()]);
});

interface World {
  sessions: DynamoSessionStore;
  outbox: DynamoOutbox;
  queueUrl: string;
  deps: (overrides?: Partial<PollerDeps>) => PollerDeps;
  logs: string[];
}

let world: World;
beforeEach(async () => {
  await control(sim, 'DELETE', 'faults');
  const names = await dynamo.fresh();
  const { urls } = await sqs.queues('poller');
  const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: names.sessions });
  const outbox = new DynamoOutbox({ doc: dynamo.doc, tableName: names.guards });
  const logs: string[] = [];
  const log = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    logs.push(`${level} ${message} ${JSON.stringify(extra ?? {})}`);
  };
  world = {
    sessions,
    outbox,
    queueUrl: urls.inbound,
    logs,
    deps: (overrides = {}) => {
      const deadline = Date.now() + 1_500;
      return {
        account: ACCOUNT,
        sessions,
        outbox,
        memberLists: new DynamoMemberLists({ doc: dynamo.doc, tableName: names.guards }),
        queue: new SqsInboundQueue({ client: sqs.client, queueUrl: urls.inbound, sleep: async () => {} }),
        hosts: singleBaseHosts(sim.url),
        pollLimits: { maxHoldMs: HOLD_MS, marginMs: 200 },
        remainingMs: () => deadline - Date.now(),
        publishReserveMs: 200,
        linkReserveMs: 500,
        owner: `invocation-${Math.random()}`,
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
        log: { info: log('info'), warn: log('warn'), error: log('error') },
        ...overrides,
      };
    },
  };
});

/** A remainingMs that counts down from `ms` from now. */
function deadlineIn(ms: number): () => number {
  const deadline = Date.now() + ms;
  return () => deadline - Date.now();
}

async function received(client: SQSClient, queueUrl: string): Promise<InboundMessage[]> {
  const out: InboundMessage[] = [];
  for (let i = 0; i < 5; i++) {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (!Messages?.length) break;
    out.push(...Messages.map((m) => parseInboundMessage(m.Body ?? '')));
  }
  return out;
}

/** Logs in through the poller: QR shown, scanned and allowed through the simulator's control API. */
async function loginThroughPoller(): Promise<void> {
  const first = await runPoller(world.deps());
  expect(first).toMatchObject({ status: 'done', state: 'scan_pending' });
  const pending = await world.sessions.get(ACCOUNT);
  expect(pending?.qr?.pngBase64.length).toBeGreaterThan(100);
  await control(sim, 'POST', 'qr', { action: 'scan' });
  await control(sim, 'POST', 'qr', { action: 'allow' });
  const second = await runPoller(world.deps());
  expect(second).toMatchObject({ status: 'done', state: 'online' });
}

describe('the poller', () => {
  it('logs in by QR across invocations, then publishes every polled message to the FIFO queue', async () => {
    await loginThroughPoller();
    const record = await world.sessions.get(ACCOUNT);
    expect(record?.qr).toBeUndefined();
    expect(record?.contacts?.groups.map((g) => g.name).sort()).toEqual(['Hiking Club', 'Tea & Code']);
    expect(record?.contacts?.selfNick).toBe('DemoBot');

    await control(sim, 'POST', 'messages', { type: 'friend', from: 'Alice', text: 'one' });
    await control(sim, 'POST', 'messages', {
      type: 'group',
      group: 'Hiking Club',
      from: 'Alice',
      text: 'two',
    });
    await control(sim, 'POST', 'messages', {
      type: 'discussion',
      discussion: 'Weekend plans',
      from: 'Bob & Co',
      text: 'three',
    });
    const report = await runPoller(world.deps());
    expect(report).toMatchObject({ status: 'done', state: 'online', published: 3 });
    const messages = await received(sqs.client, world.queueUrl);
    expect(messages.map((m) => `${m.chatType}|${m.chatName}|${m.senderName}|${m.text}`).sort()).toEqual([
      'discussion|Weekend plans|Bob & Co|three',
      'friend|Ali|Ali|one',
      'group|Hiking Club|Trail Boss|two',
    ]);
    expect((await counters(sim)).eventsLost).toBe(0);
  });

  it('never starts a poll it cannot finish: with too little time left it polls nothing', async () => {
    await loginThroughPoller();
    const before = (await counters(sim)).polls;
    const report = await runPoller(world.deps({ remainingMs: () => 600 }));
    expect(report).toMatchObject({ status: 'done', polls: 0 });
    expect((await counters(sim)).polls).toBe(before);
  });

  it('two pollers racing for one account: one polls, the other exits at once', async () => {
    await loginThroughPoller();
    const [a, b] = await Promise.all([runPoller(world.deps()), runPoller(world.deps())]);
    expect([a.status, b.status].sort()).toEqual(['done', 'lease_busy']);
  });

  it('a poller started near the holder’s end waits and takes over; one started early exits at once', async () => {
    await loginThroughPoller();
    // A holder whose lease ends in 1.5 s (it is about to stop) …
    expect(await world.sessions.acquireLease(ACCOUNT, 'holder', Date.now() + 1_500, Date.now())).toBe(true);
    setTimeout(() => void world.sessions.releaseLease(ACCOUNT, 'holder'), 700);
    const deadline = Date.now() + 3_000;
    const waiter = await runPoller(
      world.deps({
        scheduleRateMs: 1_000,
        remainingMs: () => deadline - Date.now(),
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))),
      }),
    );
    expect(waiter).toMatchObject({ status: 'done', state: 'online' });
    if (waiter.status === 'done') expect(waiter.polls).toBeGreaterThan(0);
    // … and one whose lease runs far beyond the next tick: no waiting.
    expect(await world.sessions.acquireLease(ACCOUNT, 'long-holder', Date.now() + 600_000, Date.now())).toBe(
      true,
    );
    let waits = 0;
    const busy = await runPoller(
      world.deps({
        scheduleRateMs: 1_000,
        sleep: async () => {
          waits++;
        },
      }),
    );
    expect(busy).toEqual({ status: 'lease_busy' });
    expect(waits).toBe(0);
    await world.sessions.releaseLease(ACCOUNT, 'long-holder');
  });

  it('a poller that died blocks the account for one short lease, not for its whole invocation', async () => {
    await loginThroughPoller();
    // Its invocation had 10 minutes left, but it renewed nothing after taking a 300 ms lease.
    const t = Date.now();
    await world.sessions.acquireLease(ACCOUNT, 'dead-poller', t + 300, t, t + 600_000);

    expect(await runPoller(world.deps())).toEqual({ status: 'lease_busy' });
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await runPoller(world.deps())).toMatchObject({ status: 'done', state: 'online' });
  });

  it('a live poller renews its short lease, so nobody takes it over while it polls', async () => {
    await loginThroughPoller();
    const holder = runPoller(world.deps({ leaseMs: 300, remainingMs: deadlineIn(2_000) }));
    await new Promise((resolve) => setTimeout(resolve, 900));

    // Three leases later: without renewals the account would look free.
    const second = await runPoller(world.deps({ leaseMs: 300 }));

    expect(second).toEqual({ status: 'lease_busy' });
    expect(await holder).toMatchObject({ status: 'done', state: 'online' });
  });

  it('absorbs a 116 mid-run: the new ptwebqq is saved, and a later relink uses it', async () => {
    await loginThroughPoller();
    const p = 'b'.repeat(64);
    await control(sim, 'POST', 'faults', { endpoint: 'poll2', retcode: 116, p });
    await runPoller(world.deps());
    const record = await world.sessions.get(ACCOUNT);
    expect(record?.state).toBe('online');
    expect(record?.session?.ptwebqq).toBe(p);
    // A relink now only works with the new ptwebqq: force one with a 121.
    await control(sim, 'POST', 'faults', { endpoint: 'poll2', retcode: 121 });
    await runPoller(world.deps());
    expect((await world.sessions.get(ACCOUNT))?.state).toBe('online');
  });

  it('takes a group sender still in no member list after a refresh for the bot’s own echo, once', async () => {
    await loginThroughPoller();
    const online = (await world.sessions.get(ACCOUNT)) as SessionRecord;
    const bot = new SmartQQClient({
      hosts: singleBaseHosts(sim.url),
      session: Session.fromJSON(online.session as SessionJson),
    });
    const hiking = online.contacts?.groups.find((g) => g.name === 'Hiking Club');
    const tea = online.contacts?.groups.find((g) => g.name === 'Tea & Code');
    const { echoUin } = await control<{ echoUin: number }>(sim, 'GET', 'contacts');

    await bot.send({ kind: 'group', gid: hiking?.gid ?? 0 }, 'hello, club /微笑');
    await runPoller(world.deps());
    const first = await received(sqs.client, world.queueUrl);
    // Another group (a FIFO receive gives one conversation's messages one at a time): same echo uin.
    await bot.send({ kind: 'group', gid: tea?.gid ?? 0 }, 'again /微笑');
    await runPoller(world.deps());
    const second = await received(sqs.client, world.queueUrl);
    bot.close();

    expect((await world.sessions.get(ACCOUNT))?.contacts?.selfUins).toContain(echoUin);
    // The first echo was published before the lookup that told it apart (publish first, always).
    expect(first.map((m) => [m.text, m.fromBot ?? false])).toEqual([['hello, club [微笑]', false]]);
    // Once known, the bot's own echo is not queued at all: there is nothing to answer.
    expect(second).toEqual([]);
    expect(world.logs.filter((l) => l.includes('taken for the bot’s own echo'))).toHaveLength(1);
  });

  it('publishes a poll answer before looking up an unknown sender, however slow the lookup', async () => {
    await loginThroughPoller();
    const online = (await world.sessions.get(ACCOUNT)) as SessionRecord;
    const bot = new SmartQQClient({
      hosts: singleBaseHosts(sim.url),
      session: Session.fromJSON(online.session as SessionJson),
    });
    const tea = online.contacts?.groups.find((g) => g.name === 'Tea & Code');
    await bot.send({ kind: 'group', gid: tea?.gid ?? 0 }, 'echo me');
    bot.close();
    // Every group detail answers 2 s late: a refresh takes longer than the invocation has left.
    await control(sim, 'POST', 'faults', { endpoint: 'get_group_info_ext2', delayMs: 2_000, count: 10 });
    const published: string[] = [];
    const spy: InboundQueue = {
      publish: async (messages) => {
        published.push(...messages.map((m) => m.text));
        return { failed: [] };
      },
    };

    const faultsBefore = (await counters(sim)).faultsApplied;
    const run = runPoller(world.deps({ queue: spy, linkReserveMs: 100 }));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(published).toEqual(['echo me']);
    await run;
    // And the lookup stopped at the invocation's end (1.5 s): one slow group detail, not both.
    expect((await counters(sim)).faultsApplied - faultsBefore).toBe(1);
  });

  it('a relink that fails for the network is retried in the same invocation, without a new login', async () => {
    await loginThroughPoller();
    await control(sim, 'POST', 'faults', {
      faults: [
        { endpoint: 'poll2', retcode: 121 },
        { endpoint: 'getvfwebqq', http: 502 },
        { endpoint: 'getvfwebqq', http: 502 },
      ],
    });

    const report = await runPoller(world.deps({ linkReserveMs: 0, remainingMs: deadlineIn(8_000) }));

    // Online again without a QR: the same login, relinked on the third try.
    expect(report).toMatchObject({ state: 'online' });
    expect(world.logs.filter((l) => l.includes('relinking the session'))).toHaveLength(1);
    expect(world.logs.filter((l) => l.includes('session relinked'))).toHaveLength(1);
    expect((await world.sessions.get(ACCOUNT))?.qr).toBeUndefined();
  });

  it('a contacts error after a relink never ends the session: the earlier contacts are kept', async () => {
    await loginThroughPoller();
    const before = (await world.sessions.get(ACCOUNT))?.contacts;
    await control(sim, 'POST', 'faults', {
      faults: [
        { endpoint: 'poll2', retcode: 121 },
        { endpoint: 'get_group_info_ext2', http: 502, count: 10 },
      ],
    });

    const report = await runPoller(world.deps());

    expect(report).toMatchObject({ state: 'online' });
    const after = (await world.sessions.get(ACCOUNT))?.contacts;
    expect(after?.groups.map((g) => g.name)).toEqual(before?.groups.map((g) => g.name));
    expect(world.logs.some((l) => l.includes('contacts not loaded after the relink'))).toBe(true);
  });

  it('when neither the queue nor the outbox takes the events, says which, counts them, and stops polling', async () => {
    await loginThroughPoller();
    const failing: InboundQueue = { publish: async (messages) => ({ failed: messages }) };
    const broken = {
      add: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      list: async () => [],
      remove: async () => undefined,
    };
    const counted: Record<string, number> = {};
    await control(sim, 'POST', 'messages', { type: 'friend', from: 'Alice', text: 'keep me' });

    const report = await runPoller(
      world.deps({
        queue: failing,
        outbox: broken,
        metrics: {
          count: (name, value = 1) => {
            counted[name] = (counted[name] ?? 0) + value;
          },
        },
      }),
    );

    expect(report).toMatchObject({ state: 'online', polls: 1 });
    expect(counted.events_unsaved).toBe(1);
    const line = world.logs.find((l) => l.includes('events neither published nor kept'));
    expect(line).toMatch(/"keys":\["[0-9a-f]{64}"\]/);
  });

  it('a session that expires needs a QR, says why once, and shows the new QR in the same invocation', async () => {
    await loginThroughPoller();
    const before = await world.sessions.get(ACCOUNT);
    await control(sim, 'POST', 'expire-session', {});
    const report = await runPoller(world.deps());
    expect(report).toMatchObject({ state: 'scan_pending' });
    const record = await world.sessions.get(ACCOUNT);
    expect(record?.reason).toMatch(/scan a new QR code/);
    expect(record?.session).toBeUndefined();
    expect(record?.qr?.fetchedAt).toBeGreaterThan(before?.stateSince ?? Number.POSITIVE_INFINITY);
    expect(world.logs.filter((l) => l.startsWith('error session needs a new QR scan'))).toHaveLength(1);
  });

  it('cuts a message too big for the queue or the outbox: published at once, with a note', async () => {
    await loginThroughPoller();
    await control(sim, 'POST', 'messages', { type: 'friend', from: 'Alice', text: 'x'.repeat(600_000) });

    await runPoller(world.deps());

    const [message] = await received(sqs.client, world.queueUrl);
    expect(message?.text.length).toBeLessThan(21_000);
    expect(message?.text).toMatch(/^x{20000}… \[cut: 600000 characters in all\]$/);
    expect(await world.outbox.list(ACCOUNT)).toEqual([]);
  });

  it('keeps what SQS would not take in the outbox, and publishes it on the next cycle', async () => {
    await loginThroughPoller();
    const failing: InboundQueue = { publish: async (messages) => ({ failed: messages }) };
    await control(sim, 'POST', 'messages', { type: 'friend', from: 'Alice', text: 'kept' });
    await runPoller(world.deps({ queue: failing }));
    expect((await world.outbox.list(ACCOUNT)).map((m) => m.text)).toEqual(['kept']);
    await runPoller(world.deps());
    expect(await world.outbox.list(ACCOUNT)).toEqual([]);
    expect((await received(sqs.client, world.queueUrl)).map((m) => m.text)).toEqual(['kept']);
  });
});
