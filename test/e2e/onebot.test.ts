/**
 * A bot written for OneBot v11 with a published client library (`cqhttp`, the CQHTTP/OneBot author's
 * Node SDK, used as its README shows: events by HTTP POST to its server, actions through its
 * `bot(action, params)`), unchanged, against the local runtime and the simulator: it receives
 * friend, group and discussion messages, answers by quick reply and by calling actions, and the ids
 * it is given stay the same across a new QR login (SmartQQ's own ids all change).
 */
import { createServer, type Server } from 'node:http';
import CQHttp from 'cqhttp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

const SECRET = 'onebot-signing-secret';

interface Received {
  readonly message_type: string;
  readonly user_id: number;
  readonly group_id?: number;
  readonly discuss_id?: number;
  readonly message: string;
  readonly raw_message: string;
  readonly self_id: number;
  readonly message_id: number;
  readonly sender: { readonly nickname: string; readonly card?: string };
}

let bot: E2eRuntime;
let server: Server;
let client: InstanceType<typeof CQHttp>;
const received: Received[] = [];

beforeAll(async () => {
  // The bot's own HTTP server (the SDK's Koa app), on a port chosen now: the runtime posts to it.
  const sdk = new CQHttp({ apiRoot: 'http://127.0.0.1:1/', accessToken: 'unset', secret: SECRET });
  server = createServer(sdk.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const postUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

  bot = await startE2eRuntime({
    rules: [],
    functionEnvironment: { ONEBOT_POST_URL: postUrl, ONEBOT_SECRET: SECRET, ONEBOT_MODE: 'rules_first' },
  });
  // Now the API's address and token are known: the bot as its author would write it.
  client = new CQHttp({
    apiRoot: `${bot.runtime.sendApiUrl}/onebot/v11/`,
    accessToken: bot.runtime.apiToken,
    secret: SECRET,
  });
  sdk.on('message', (context: Received) => {
    received.push(context);
    if (context.message === 'ping') return { reply: 'pong' };
    if (context.message === 'call me') {
      void client('send_msg', { ...context, message: `called back [CQ:face,id=14]` }).catch(() => {});
    }
    return undefined;
  });
  await bot.waitForSession('online', 30_000);
}, 60_000);
afterAll(async () => {
  await bot?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function receivedFor(text: string, type: string, after = 0): Promise<Received> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = received.slice(after).find((r) => r.message === text && r.message_type === type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} event "${text}"; got ${JSON.stringify(received)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('gets friend, group and discussion messages, answers by quick reply and by action; ids survive a new login', async () => {
  bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
  bot.inject({ type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: 'ping' });
  bot.inject({ type: 'discussion', discussion: 'Weekend plans', from: '小明', text: 'call me' });
  bot.inject({ type: 'friend', from: 'Dana Lee', text: 'call me' });

  const friendPing = await receivedFor('ping', 'private');
  const groupPing = await receivedFor('ping', 'group');
  const discussCall = await receivedFor('call me', 'discuss');
  const friendCall = await receivedFor('call me', 'private');
  expect(friendPing).toMatchObject({ self_id: 20_001, raw_message: 'ping', sender: { nickname: 'Alice' } });
  expect(groupPing).toMatchObject({ sender: { card: 'Bob (gear)' } });
  expect(groupPing.group_id).toBeGreaterThan(0);
  expect(discussCall.discuss_id).toBeGreaterThan(0);
  expect(friendCall.sender.nickname).toBe('Dana Lee');
  expect(friendCall.user_id).not.toBe(friendPing.user_id);

  // Quick replies (the group one names its sender, as OneBot's at_sender does by default) and the
  // replies by action, each sent once, to the right chat.
  const pong = await bot.waitForSent((m) => m.type === 'friend' && m.text === 'pong');
  expect(pong.to.name).toBe('Alice');
  const groupPong = await bot.waitForSent((m) => m.type === 'group' && m.text === '@Bob (gear) pong');
  expect(groupPong.to.name).toBe('Hiking Club');
  const discussBack = await bot.waitForSent(
    (m) => m.type === 'discussion' && m.text.startsWith('called back'),
  );
  expect(discussBack.to.name).toBe('Weekend plans');
  const friendBack = await bot.waitForSent((m) => m.type === 'friend' && m.text.startsWith('called back'));
  expect(friendBack.to.name).toBe('Dana Lee');
  expect(friendBack.content).toContain('["face",14]');

  // Actions with the library: the ids it knows are the ones in its events.
  const friends = (await client('get_friend_list')) as { user_id: number; nickname: string }[];
  expect(friends.find((f) => f.nickname === 'Alice')?.user_id).toBe(friendPing.user_id);
  const groups = (await client('get_group_list')) as { group_id: number; group_name: string }[];
  expect(groups.find((g) => g.group_name === 'Hiking Club')?.group_id).toBe(groupPing.group_id);
  const login = (await client('get_login_info')) as { user_id: number; nickname: string };
  expect(login).toEqual({ user_id: 20_001, nickname: 'DemoBot' });
  await expect(client('set_group_kick', { group_id: groupPing.group_id, user_id: 1 })).rejects.toMatchObject({
    retcode: 104,
  });

  // A new QR login: SmartQQ's uin, gid and did all change; the OneBot ids do not.
  const before = bot.sim.state().accounts.find((a) => a.qq === 20_001);
  const oldLinkedAt = (await bot.runtime.sessions.get('20001'))?.session?.linkedAt;
  bot.sim.expireSession();
  const deadline = Date.now() + 40_000;
  for (;;) {
    const record = await bot.runtime.sessions.get('20001');
    if (record?.state === 'online' && record.session?.linkedAt !== oldLinkedAt) break;
    if (Date.now() > deadline) throw new Error(`no new login: ${record?.state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(before).toBeDefined();
  const mark = received.length;
  bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
  bot.inject({ type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: 'call me' });
  const again = await receivedFor('ping', 'private', mark);
  const groupAgain = await receivedFor('call me', 'group', mark);
  expect(again.user_id).toBe(friendPing.user_id);
  expect(groupAgain.group_id).toBe(groupPing.group_id);
  expect(groupAgain.user_id).toBe(groupPing.user_id);
  // And the action sends to the new gid by the old id.
  const groupBack = await bot.waitForSent(
    (m) => m.type === 'group' && m.text.startsWith('called back') && m.to.name === 'Hiking Club',
  );
  expect(groupBack).toBeDefined();
  // The quick reply of the new login goes to the new uin; nothing was answered twice.
  const pongCount = () => bot.sim.sent().filter((m) => m.text === 'pong').length;
  await bot.waitForSent((m) => m.text === 'pong' && m.to.id !== pong.to.id);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(pongCount()).toBe(2);
}, 120_000);

it("an account's own bot, set through the API, gets its events instead of the deployment's", async () => {
  // A second bot, with its own server, for account 20001 only.
  const own: Received[] = [];
  const second = new CQHttp({ secret: SECRET });
  second.on('message', (context: Received) => {
    own.push(context);
    return { reply: 'from its own bot' };
  });
  const ownServer = createServer(second.app.callback());
  await new Promise<void>((resolve) => ownServer.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(ownServer.address() as { port: number }).port}/`;
    const set = await fetch(`${bot.runtime.sendApiUrl}/v1/accounts/20001`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${bot.runtime.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ onebot: { postUrl: url, mode: 'onebot_only' } }),
    });
    expect(set.status).toBe(200);
    // The consumer reads the registry at most every 10 s: once it has, the events go to the own bot.
    const deadline = Date.now() + 30_000;
    let n = 0;
    while (own.length === 0) {
      if (Date.now() > deadline) throw new Error('the own bot got nothing');
      bot.inject({ type: 'friend', from: 'Alice', text: `hello ${n++}` });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    const reply = await bot.waitForSent((m) => m.text === 'from its own bot');
    expect(reply.to.name).toBe('Alice');
    expect(own[0]).toMatchObject({ message_type: 'private', self_id: 20_001 });
    // Once moved, nothing more reaches the deployment's bot.
    const moved = received.length;
    bot.inject({ type: 'friend', from: 'Alice', text: 'only to the own bot' });
    await bot.waitForSent((m) => m.text === 'from its own bot' && m.msgId !== reply.msgId);
    expect(received.length).toBe(moved);
  } finally {
    await new Promise((resolve) => ownServer.close(resolve));
  }
}, 60_000);
