/**
 * Two QQ accounts in one local runtime (issue 12): one poller invocation holds both long polls
 * (ACCOUNTS), both log in by QR side by side (the simulator keeps a QR per browser), and each
 * is answered as itself by the same consumer and rules, independently.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import demoWorld from '../../local/demo-world.json' with { type: 'json' };
import { type E2eRuntime, startE2eRuntime, WHO_ARE_YOU_RULE } from './harness.ts';

const FIRST = 20_001;
const SECOND = 20_002;
/** The demo world: its second bot account (BookBot) shares a friend with the first and has its own group. */
const WORLD = demoWorld;

let bot: E2eRuntime;

beforeAll(async () => {
  bot = await startE2eRuntime({
    world: WORLD,
    account: String(FIRST),
    functionEnvironment: { ACCOUNTS: `${FIRST},${SECOND}` },
    rules: [WHO_ARE_YOU_RULE],
  });
}, 60_000);
afterAll(async () => {
  await bot?.close();
});

async function online(account: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = await bot.runtime.sessions.get(String(account));
    if (record?.state === 'online') return record;
    if (Date.now() > deadline) throw new Error(`account ${account} not online: ${record?.state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('logs in two accounts in one poller invocation and answers each as itself', async () => {
  await Promise.all([online(FIRST), online(SECOND)]);

  bot.inject({ type: 'friend', from: 10_001, text: 'who are you', account: FIRST });
  bot.inject({ type: 'friend', from: 10_001, text: 'who are you', account: SECOND });
  bot.inject({ type: 'group', group: 'Book Club', from: 'Alice', text: 'who are you', account: SECOND });

  const first = await bot.waitForSent((m) => m.account === FIRST && m.type === 'friend');
  const second = await bot.waitForSent((m) => m.account === SECOND && m.type === 'friend');
  const room = await bot.waitForSent((m) => m.account === SECOND && m.type === 'group');
  expect(first.text).toBe('I am DemoBot');
  expect(second.text).toBe('I am BookBot');
  expect(room.to.name).toBe('Book Club');
  // One poller invocation holds both long polls: the same owner holds both accounts' leases.
  const owners = await Promise.all(
    [FIRST, SECOND].map(async (account) => {
      const { Item } = await bot.runtime.doc.send(
        new GetCommand({ TableName: bot.runtime.tables.sessions, Key: { account: String(account) } }),
      );
      return Item?.leaseOwner as string | undefined;
    }),
  );
  expect(owners[0]).toBeDefined();
  expect(owners[1]).toBe(owners[0]);
  // The send API serves both: `account` is then required, and names the sender.
  const missing = await bot.sendApi({ type: 'friend', to: { name: 'Alice R.' }, text: 'from the API' });
  expect(missing.status).toBe(400);
  expect(await missing.json()).toMatchObject({
    field: 'account',
    reason: 'required: this deployment serves 20001, 20002',
  });
  const named = await bot.sendApi({
    type: 'friend',
    to: { name: 'Alice R.' },
    text: 'from the API',
    account: String(SECOND),
  });
  expect(await named.json()).toMatchObject({ status: 'sent' });
  expect((await bot.waitForSent((m) => m.text === 'from the API')).account).toBe(SECOND);
  // Nothing answered twice, nothing answered by the other account.
  const answers = bot.sim.sent().filter((m) => m.text.startsWith('I am'));
  expect(answers.map((m) => `${m.account}:${m.type}:${m.text}`).sort()).toEqual([
    `${FIRST}:friend:I am DemoBot`,
    `${SECOND}:friend:I am BookBot`,
    `${SECOND}:group:I am BookBot`,
  ]);
}, 60_000);
