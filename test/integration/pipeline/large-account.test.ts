/**
 * An account too large for the session item (issue: contacts are stored in it, DynamoDB items hold
 * 400 KB): the login is saved, bounded and loud — member lists left out, one error and a metric —
 * instead of a write that fails and a QR login retried forever.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_CONTACTS_BYTES } from '../../../lib/pipeline/contacts-cache.ts';
import { runPoller } from '../../../lib/pipeline/poller.ts';
import { SqsInboundQueue } from '../../../lib/queue/inbound-queue.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { DynamoOutbox } from '../../../lib/stores/outbox-store.ts';
import { DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';
import { startTestSqs, type TestSqs } from '../../support/sqs.ts';

const ACCOUNT = 30001;
const GROUPS = 12;
const MEMBERS = 2_000;

/** One account in twelve groups of 2,000 people each (QQ groups had up to 2,000 members). */
function largeWorld() {
  const people = Array.from({ length: MEMBERS }, (_, i) => ({ qq: 100_000 + i, nick: `member-${i}-名字` }));
  return {
    people,
    accounts: [
      {
        qq: ACCOUNT,
        nick: 'BigBot',
        friends: people.slice(0, 50).map((p) => ({ qq: p.qq })),
        groups: Array.from({ length: GROUPS }, (_, g) => ({
          name: `Group ${g}`,
          members: people.map((p) => ({ qq: p.qq, card: `card ${p.qq}` })),
        })),
        discussions: [],
      },
    ],
  };
}

let sim: Simulator;
let dynamo: TestTables;
let sqs: TestSqs;

beforeAll(async () => {
  [sim, dynamo, sqs] = await Promise.all([
    startSimulator({ world: largeWorld(), pollHoldMs: 200 }),
    startTestTables('large-account'),
    startTestSqs(),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([sim.close(), dynamo.close(), sqs.close()]);
});

it('logs in an account whose contacts exceed the session item: members left out, said once, still online', async () => {
  const names = await dynamo.fresh();
  const { urls } = await sqs.queues('large');
  const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: names.sessions });
  const logs: string[] = [];
  const counted: Record<string, number> = {};
  const deps = (deadlineMs: number) => {
    const deadline = Date.now() + deadlineMs;
    return {
      account: String(ACCOUNT),
      sessions,
      outbox: new DynamoOutbox({ doc: dynamo.doc, tableName: names.guards }),
      queue: new SqsInboundQueue({ client: sqs.client, queueUrl: urls.inbound }),
      hosts: singleBaseHosts(sim.url),
      pollLimits: { maxHoldMs: 200, marginMs: 200 },
      remainingMs: () => deadline - Date.now(),
      publishReserveMs: 200,
      linkReserveMs: 500,
      owner: `invocation-${Math.random()}`,
      log: {
        info: () => undefined,
        warn: (m: string) => logs.push(`warn ${m}`),
        error: (m: string) => logs.push(`error ${m}`),
      },
      metrics: {
        count: (name: string, value = 1) => {
          counted[name] = (counted[name] ?? 0) + value;
        },
      },
    };
  };
  await runPoller(deps(1_000));
  sim.qr('allow', ACCOUNT);

  const report = await runPoller(deps(20_000));

  expect(report).toMatchObject({ state: 'online' });
  const record = await sessions.get(String(ACCOUNT));
  expect(record?.contacts?.membersOmitted).toBe(true);
  expect(record?.contacts?.groups).toHaveLength(GROUPS);
  expect(Buffer.byteLength(JSON.stringify(record?.contacts))).toBeLessThan(MAX_CONTACTS_BYTES);
  expect(logs.filter((l) => l.startsWith('error contacts too large'))).toHaveLength(1);
  expect(counted.contacts_too_large).toBe(1);
  // A group message is still published, its sender named by uin, with no refresh storm.
  sim.injectMessage({ type: 'group', group: 'Group 3', from: 'member-7-名字', text: 'hi', account: ACCOUNT });
  const again = await runPoller(deps(3_000));
  expect(again).toMatchObject({ state: 'online', published: 1 });
  expect(logs.filter((l) => l.startsWith('error contacts too large'))).toHaveLength(1);
}, 60_000);
