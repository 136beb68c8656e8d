/**
 * The consumer's work against real components: rules and guards in DynamoDB (dynalite), the
 * session from the store, replies sent to the SmartQQ simulator.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventPoster, QuickOperation } from '../../../lib/onebot/post.ts';
import type { OneBotMode } from '../../../lib/onebot/quick-reply.ts';
import { keepMembersApart, loadContactsCache } from '../../../lib/pipeline/contacts-cache.ts';
import { toInboundMessage } from '../../../lib/pipeline/inbound-message.ts';
import type { ContactsCache, InboundMessage, SessionRecord } from '../../../lib/pipeline/ports.ts';
import {
  conversationPace,
  type ReplierDeps,
  RetryLaterError,
  replyTo,
  replyWithRetries,
} from '../../../lib/pipeline/replier.ts';
import {
  MemberListCache,
  SentHere,
  SessionCache,
  SmartQQClients,
} from '../../../lib/pipeline/session-clients.ts';
import { RuleCache } from '../../../lib/rules/rule-cache.ts';
import type { SmartQQClient } from '../../../lib/smartqq/client.ts';
import { parseFaceMarkers, plainText, splitForSending } from '../../../lib/smartqq/content.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { meterDynamoCalls } from '../../../lib/state/call-meter.ts';
import { createDynamoClients } from '../../../lib/state/dynamo.ts';
import { DynamoConversationGuard, DynamoCooldownStore } from '../../../lib/stores/guard-store.ts';
import { DynamoIdempotencyStore } from '../../../lib/stores/idempotency-store.ts';
import { DynamoMemberLists } from '../../../lib/stores/member-lists-store.ts';
import { DynamoSendPacing } from '../../../lib/stores/pacing-store.ts';
import { DynamoRuleStore } from '../../../lib/stores/rule-store.ts';
import { DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';
import { MemoryOneBotIds } from '../../support/memory-ports.ts';
import {
  control,
  counters,
  loggedInClient,
  type SentMessage,
  sent,
  startSim,
} from '../../support/sim-control.ts';

const ACCOUNT = '20001';
const DEMO_RULES = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../../local/demo-rules.json'), 'utf8'),
) as unknown[];

let sim: Simulator;
let dynamo: TestTables;
let deps: ReplierDeps;
let record: SessionRecord;
/** The member lists of the login, as the poller had them when it published (the record has none). */
let members: ContactsCache['members'] = {};
let store: DynamoSessionStore;
const logs: string[] = [];

beforeAll(async () => {
  [sim, dynamo] = await Promise.all([startSim(), startTestTables('replier')]);
  const guards = { doc: dynamo.doc, tableName: dynamo.names.guards };
  const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: dynamo.names.sessions });
  const memberLists = new DynamoMemberLists(guards);
  store = sessions;
  const rules = new DynamoRuleStore({ doc: dynamo.doc, tableName: dynamo.names.rules });
  await rules.importRules(DEMO_RULES);
  const client = await loggedInClient(sim);
  const created = await sessions.ensure(ACCOUNT, Date.now());
  record = await sessions.update(ACCOUNT, created.version, {
    state: 'online',
    stateSince: Date.now(),
    session: client.session.toJSON(),
    contacts: await keepMembersApart(memberLists, ACCOUNT, await loaded(client), Date.now()),
  });
  client.close();
  const log = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    logs.push(`${level} ${message} ${JSON.stringify(extra ?? {})}`);
  deps = {
    // Read at every message here; the container cache has its own tests.
    sessions: new SessionCache(sessions, 0),
    memberLists: new MemberListCache(memberLists, 0),
    clients: new SmartQQClients(singleBaseHosts(sim.url)),
    sentHere: new SentHere(),
    rules: new RuleCache(rules),
    cooldowns: new DynamoCooldownStore(guards),
    conversationGuard: new DynamoConversationGuard(guards),
    idempotency: new DynamoIdempotencyStore(guards),
    pacing: new DynamoSendPacing(guards),
    sendPace: { intervalMs: 0, burst: 1 },
    conversationPace: conversationPace(0),
    remainingMs: () => 30_000,
    log: { info: log('info'), warn: log('warn'), error: log('error') },
  };
});
afterAll(async () => {
  deps.clients.close();
  await Promise.all([sim.close(), dynamo.close()]);
});
beforeEach(async () => {
  await control(sim, 'DELETE', 'sent');
  await control(sim, 'DELETE', 'faults');
});

/** A member who is not the bot (member uins are random: the bot's may sort first). */
function someoneElse(members: Readonly<Record<string, string>> | undefined): number {
  const self = new Set(record.contacts?.selfUins ?? []);
  return Number(Object.keys(members ?? {}).find((uin) => !self.has(Number(uin))));
}

let msgId = 100;
/** The contacts of a fresh load, their member lists kept for `inbound`. */
async function loaded(client: SmartQQClient): Promise<ContactsCache> {
  const contacts = await loadContactsCache(client, Date.now());
  members = contacts.members;
  return contacts;
}

function inbound(kind: 'friend' | 'group' | 'discussion', text: string, senderUin?: number): InboundMessage {
  const stored = record.contacts;
  if (!stored) throw new Error('no contacts');
  const contacts = { ...stored, members };
  const base = { msgId: msgId++, time: Math.floor(Date.now() / 1000), segments: [], text };
  if (kind === 'friend') {
    const ali = contacts.friends.find((f) => f.markname === 'Ali');
    return toInboundMessage(
      { kind: 'friend_message', fromUin: ali?.uin ?? 0, ...base },
      ACCOUNT,
      contacts,
      Date.now(),
    );
  }
  if (kind === 'group') {
    const group = contacts.groups.find((g) => g.name === 'Hiking Club');
    const sender = senderUin ?? someoneElse(contacts.members[`g${group?.gid}`]);
    return toInboundMessage(
      { kind: 'group_message', gid: group?.gid ?? 0, senderUin: sender, ...base },
      ACCOUNT,
      contacts,
      Date.now(),
    );
  }
  const discussion = contacts.discussions[0];
  const sender = someoneElse(contacts.members[`d${discussion?.did}`]);
  return toInboundMessage(
    { kind: 'discussion_message', did: discussion?.did ?? 0, senderUin: sender, ...base },
    ACCOUNT,
    contacts,
    Date.now(),
  );
}

const texts = (list: SentMessage[]) => list.map((m) => `${m.type}:${m.to.name}:${m.text}`);

describe('replying', () => {
  it('answers a friend, a group and a discussion message with the rule’s reply', async () => {
    expect(await replyTo(inbound('friend', 'ping'), deps)).toMatchObject({ replies: 1 });
    expect(await replyTo(inbound('group', '天气 北京'), deps)).toMatchObject({ replies: 1 });
    expect(await replyTo(inbound('discussion', 'ping'), deps)).toMatchObject({ replies: 1 });
    expect(texts(await sent(sim))).toEqual([
      'friend:Alice:pong',
      'group:Hiking Club:北京的天气：晴 [微笑]',
      'discussion:Weekend plans:pong',
    ]);
  });

  it('a redelivered message does not send twice', async () => {
    const message = inbound('friend', 'ping');
    await replyTo(message, deps);
    expect(await replyTo(message, deps)).toMatchObject({ replies: 0 });
    expect((await sent(sim)).length).toBe(1);
  });

  it('a 1202 is final: reported once, never resent on redelivery', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 1202, delivered: true });
    const message = inbound('friend', 'ping');
    await replyTo(message, deps);
    await replyTo(message, deps);
    expect((await counters(sim)).duplicateSends).toBe(0);
    expect((await sent(sim)).length).toBe(1);
  });

  it('never answers its own messages (the group echo of its own send_uin)', async () => {
    const self = record.contacts?.selfUins.find((u) => u !== record.contacts?.selfUins[0]) ?? 0;
    const report = await replyTo(inbound('group', 'ping', self), deps);
    expect(report).toEqual({ replies: 0, skipped: ['own_message'] });
    expect(await sent(sim)).toEqual([]);
  });

  it('a send refused for the session is retried later, and then sent once', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 100012 });
    const message = inbound('friend', 'ping');
    await expect(replyTo(message, deps)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await replyTo(message, deps)).toMatchObject({ replies: 1 });
    expect((await sent(sim)).length).toBe(1);
  });

  it('a reply with a cooldown that failed transiently still answers on the retry', async () => {
    // The demo's hike rule cools down per chat; a session problem on the first try must not use it up.
    await control(sim, 'POST', 'faults', { endpoint: 'send_qun_msg2', retcode: 100012 });
    const message = inbound('group', 'weekend hike anyone?');
    await expect(replyTo(message, deps)).rejects.toBeInstanceOf(RetryLaterError);
    const again = await replyTo(message, deps);
    expect(again).toMatchObject({ replies: 1 });
    expect((await sent(sim)).map((m) => m.to.name)).toEqual(['Hiking Club']);
  });

  it('never answers a sender in no member list right after it spoke there (the echo from a virtual uin)', async () => {
    expect(await replyTo(inbound('group', 'ping'), deps)).toMatchObject({ replies: 1 });
    const report = await replyTo(inbound('group', 'ping', 4_000_000_123), deps);
    expect(report).toEqual({ replies: 0, skipped: ['own_echo'] });
    expect((await sent(sim)).length).toBe(1);
  });

  it('takes the echo marked by the poller as from the bot for its own message', async () => {
    const message = { ...inbound('discussion', 'ping', 4_000_000_124), fromBot: true };
    expect(await replyTo(message, deps)).toEqual({ replies: 0, skipped: ['own_message'] });
  });

  it('waits for the account’s send turn: the pace is kept between replies', async () => {
    const waits: number[] = [];
    const paced = {
      ...deps,
      sendPace: { intervalMs: 1_000, burst: 1 },
      sleep: async (ms: number) => {
        waits.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    };
    await replyTo(inbound('friend', 'ping'), paced);
    await replyTo(inbound('discussion', 'ping'), paced);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(800);
    expect((await sent(sim)).length).toBe(2);
  });

  it('a consumer that dies while it waits for its send turn leaves no claim: the redelivery sends', async () => {
    const message = inbound('friend', 'ping');
    let waiting: () => void = () => {};
    const asleep = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const pace = { intervalMs: 2_000, burst: 1 };
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    await replyTo(inbound('discussion', 'ping'), { ...deps, sendPace: pace, sleep }); // takes the turn there is
    // Killed in its sleep: the wait never ends, and nothing after it runs.
    const dying = {
      ...deps,
      sendPace: pace,
      sleep: () => {
        waiting();
        return new Promise<void>(() => {});
      },
    };
    void replyTo(message, dying);
    await asleep;
    expect(await deps.idempotency.claim(`reply|${message.key}|ping|0`, 1, Date.now())).toEqual({
      status: 'new',
    });
    await deps.idempotency.release(`reply|${message.key}|ping|0`);

    expect(await replyTo(message, deps)).toMatchObject({ replies: 1 });
    expect((await sent(sim)).map((m) => m.type)).toEqual(['discussion', 'friend']);
  });

  it('the circuit breaker: past 6 replies in a minute a conversation gets silence, said once', async () => {
    const clock = Date.now();
    const breaking = { ...deps, conversationPace: conversationPace(6), now: () => clock };
    logs.length = 0;
    const reports = [];
    for (let i = 0; i < 8; i++) reports.push(await replyTo(inbound('friend', 'ping'), breaking));
    const elsewhere = await replyTo(inbound('discussion', 'ping'), breaking);

    expect(reports.map((r) => r.replies)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(reports[6]?.skipped).toEqual(['circuit_breaker']);
    expect(logs.filter((l) => l.includes('circuit breaker'))).toHaveLength(1);
    expect(elsewhere.replies).toBe(1);
    expect((await sent(sim)).map((m) => m.type)).toEqual([...Array(6).fill('friend'), 'discussion']);
  });

  it('a long reply whose second part fails for the session resumes there: the first part is never sent twice', async () => {
    const rules = new DynamoRuleStore({ doc: dynamo.doc, tableName: dynamo.names.rules });
    const story = `${'从前有座山，'.repeat(50)} ${'山里有座庙。'.repeat(50)}`;
    await rules.put({
      account: ACCOUNT,
      id: 'story',
      chatTypes: ['friend'],
      match: 'exact',
      pattern: 'story',
      replies: [story],
    });
    const withStory = { ...deps, rules: new RuleCache(rules) };
    // The first send answers normally (a 0 ms delay), the second one 100012: the session expired.
    await control(sim, 'POST', 'faults', {
      faults: [
        { endpoint: 'send_buddy_msg2', delayMs: 0 },
        { endpoint: 'send_buddy_msg2', retcode: 100012 },
      ],
    });
    const message = inbound('friend', 'story');
    const duplicatesBefore = (await counters(sim)).duplicateSends;

    await expect(replyTo(message, withStory)).rejects.toBeInstanceOf(RetryLaterError);
    expect((await sent(sim)).length).toBe(1);
    expect(await replyTo(message, withStory)).toMatchObject({ replies: 1 });
    expect(await replyTo(message, withStory)).toMatchObject({ replies: 0 });

    const parts = splitForSending(parseFaceMarkers(story)).map((part) => plainText(part));
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect((await sent(sim)).map((m) => m.text)).toEqual(parts);
    expect((await counters(sim)).duplicateSends).toBe(duplicatesBefore);
    await rules.delete(ACCOUNT, 'story');
  });

  it('a newcomer (in no member list yet) whose reply failed for a moment is answered on the retry, not taken for an echo', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_qun_msg2', retcode: 100012 });
    // Two hours on: no reply of the tests above is recent in the group.
    const later = { ...deps, sleep: async () => {}, now: () => Date.now() + 7_200_000 };
    const report = await replyWithRetries(inbound('group', 'ping', 987_654), later);
    expect(report).toMatchObject({ replies: 1 });
    expect((await sent(sim)).map((m) => m.text)).toEqual(['pong']);
  });

  it('a reply claimed by a consumer still at work is retried later, never dropped', async () => {
    const message = inbound('friend', 'ping');
    await deps.idempotency.claim(`reply|${message.key}|ping|0`, 120, Date.now());

    await expect(replyTo(message, deps)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await sent(sim)).toEqual([]);
  });

  it('a reply whose consumer died between its claim and its outcome is taken as maybe sent, not resent', async () => {
    const message = inbound('friend', 'ping');
    // Claimed two minutes ago for 120 s: the consumer that claimed it is gone.
    await deps.idempotency.claim(`reply|${message.key}|ping|0`, 120, Date.now() - 121_000);
    logs.length = 0;

    expect(await replyTo(message, deps)).toMatchObject({ replies: 0 });
    expect(await replyTo(message, deps)).toMatchObject({ replies: 0 });
    expect(await sent(sim)).toEqual([]);
    expect(logs.filter((l) => l.includes('taken as maybe sent'))).toHaveLength(1);
  });

  it('a reply that fails for a moment (a relink under way) is tried again within the invocation', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 100012 });
    const waits: number[] = [];
    const report = await replyWithRetries(inbound('friend', 'ping'), {
      ...deps,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(report).toMatchObject({ replies: 1 });
    expect(waits).toEqual([500]);
    expect((await sent(sim)).length).toBe(1);
  });

  it('gives up the in-invocation retries when the time left is short, leaving the record to the queue', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 100012 });
    const short = { ...deps, remainingMs: () => 5_200 };
    await expect(replyWithRetries(inbound('friend', 'ping'), short)).rejects.toBeInstanceOf(RetryLaterError);
  });

  it('a send refused at connect (nothing left this machine) is retried, and then sent once', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const message = inbound('friend', 'ping');

    await expect(
      replyTo(message, { ...deps, clients: new SmartQQClients(singleBaseHosts(`http://127.0.0.1:${port}`)) }),
    ).rejects.toThrow(/could not be reached.*ECONNREFUSED.*nothing sent/);
    expect(await replyTo(message, deps)).toMatchObject({ replies: 1 });
    expect((await sent(sim)).map((m) => m.text)).toEqual(['pong']);
  });

  it('an offline session makes the record retry later', async () => {
    const sessions = store;
    const current = (await sessions.get(ACCOUNT)) as SessionRecord;
    const offline = await sessions.update(ACCOUNT, current.version, {
      state: 'needs_qr',
      stateSince: Date.now(),
    });
    await expect(replyTo(inbound('friend', 'ping'), deps)).rejects.toThrow(/needs_qr/);
    record = await sessions.update(ACCOUNT, offline.version, { state: 'online', stateSince: Date.now() });
    expect(await sent(sim)).toEqual([]);
  });

  it('a container reads the session once and keeps one connection for its replies', async () => {
    const proxy = await connectionCounter(sim.port);
    const counted = countingReads(store);
    const clients = new SmartQQClients(singleBaseHosts(proxy.url));
    const container = { ...deps, sessions: new SessionCache(counted), clients };
    try {
      for (const kind of ['friend', 'group', 'discussion', 'friend'] as const) {
        expect(await replyTo(inbound(kind, 'ping'), container)).toMatchObject({ replies: 1 });
      }
      expect(counted.reads).toBe(1);
      expect(proxy.connections()).toBe(1);
      expect((await sent(sim)).length).toBe(4);
    } finally {
      clients.close();
      await proxy.close();
    }
  });

  it('a container whose session was relinked meanwhile reads it again and answers on the new one', async () => {
    const counted = countingReads(store);
    const clients = new SmartQQClients(singleBaseHosts(sim.url));
    const container = { ...deps, sessions: new SessionCache(counted), clients };
    try {
      expect(await replyTo(inbound('friend', 'ping'), container)).toMatchObject({ replies: 1 });
      // The poller relinks: a new psessionid in the store, the old one refused by the server.
      const relinked = await loggedInClient(sim);
      const current = (await store.get(ACCOUNT)) as SessionRecord;
      record = await store.update(ACCOUNT, current.version, {
        session: relinked.session.toJSON(),
        contacts: await keepMembersApart(
          new DynamoMemberLists({ doc: dynamo.doc, tableName: dynamo.names.guards }),
          ACCOUNT,
          await loaded(relinked),
          Date.now(),
        ),
      });
      relinked.close();

      expect(await replyWithRetries(inbound('friend', 'ping'), container)).toMatchObject({ replies: 1 });
      expect(counted.reads).toBe(2);
      expect((await sent(sim)).length).toBe(2);
    } finally {
      clients.close();
    }
  });
});

describe('the cost of a reply', () => {
  it('at most three DynamoDB round trips and three write units per reply, with pacing and the breaker on', async () => {
    const metered = createDynamoClients({ endpoint: dynamo.endpoint });
    const meter = meterDynamoCalls(metered.client);
    const guards = { doc: metered.doc, tableName: dynamo.names.guards };
    const container: ReplierDeps = {
      ...deps,
      sessions: new SessionCache(
        new DynamoSessionStore({ doc: metered.doc, tableName: dynamo.names.sessions }),
      ),
      memberLists: new MemberListCache(new DynamoMemberLists(guards)),
      sentHere: new SentHere(),
      cooldowns: new DynamoCooldownStore(guards),
      conversationGuard: new DynamoConversationGuard(guards),
      idempotency: new DynamoIdempotencyStore(guards),
      pacing: new DynamoSendPacing(guards),
      sendPace: { intervalMs: 500, burst: 3 },
      conversationPace: conversationPace(6),
      // An hour on: the breakers tripped by the tests above are quiet again.
      now: () => Date.now() + 3_600_000,
    };
    // A container's first message reads the session, and the first in a group or discussion its
    // member list (each then kept 10 s): one read each.
    for (const kind of ['friend', 'group', 'discussion'] as const) {
      expect(await replyTo(inbound(kind, 'ping'), container)).toMatchObject({ replies: 1 });
    }
    expect(meter.calls.get('GetItemCommand')).toBe(3);
    meter.reset();
    const kinds = ['group', 'discussion', 'friend', 'group'] as const;
    for (const kind of kinds) {
      expect(await replyTo(inbound(kind, 'ping'), container)).toMatchObject({ replies: 1 });
    }
    const calls = Object.fromEntries(meter.calls);
    expect(meter.total(), JSON.stringify(calls)).toBeLessThanOrEqual(3 * kinds.length);
    expect(meter.writeUnits(), JSON.stringify(calls)).toBeLessThanOrEqual(3 * kinds.length);
    expect(calls).not.toHaveProperty('GetItemCommand');
    metered.client.destroy();
  });
});

/** The session store, counting its reads. */
function countingReads(sessions: DynamoSessionStore) {
  const counted = {
    reads: 0,
    get: (account: string) => {
      counted.reads += 1;
      return sessions.get(account);
    },
  };
  return counted;
}

/** A TCP pass-through to the simulator that counts the connections opened through it. */
async function connectionCounter(port: number) {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    count += 1;
    const upstream = connect(port, '127.0.0.1');
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a OneBot bot asked about each message (lib/onebot/quick-reply.ts)', () => {
  /** A bot answering each event with `answer(event)`, recording what it was posted. */
  function oneBot(answer: (event: Record<string, unknown>) => QuickOperation | undefined | Error) {
    const posted: Record<string, unknown>[] = [];
    const poster: EventPoster = {
      async post(event) {
        posted.push(event);
        const result = answer(event);
        if (result instanceof Error) throw result;
        return result;
      },
    };
    return { posted, poster };
  }
  const withBot = (mode: OneBotMode, poster: EventPoster): ReplierDeps => ({
    ...deps,
    onebot: { mode, format: 'string', ids: new MemoryOneBotIds(), poster },
  });

  it('rules_first: a rule answers and the bot is not asked; no rule, the bot is asked and its quick reply sent', async () => {
    const bot = oneBot(() => ({ reply: 'from the bot' }));
    expect(await replyTo(inbound('friend', 'ping'), withBot('rules_first', bot.poster))).toMatchObject({
      replies: 1,
    });
    expect(bot.posted).toHaveLength(0);
    expect(await replyTo(inbound('friend', 'what now?'), withBot('rules_first', bot.poster))).toMatchObject({
      replies: 1,
    });
    expect(bot.posted).toHaveLength(1);
    expect(bot.posted[0]).toMatchObject({ message_type: 'private', message: 'what now?', self_id: 20001 });
    expect(texts(await sent(sim))).toEqual(['friend:Alice:pong', 'friend:Alice:from the bot']);
  });

  it('rules_first: a rule that matches but is cooling down does not leave the message unanswered', async () => {
    const bot = oneBot(() => ({ reply: 'the bot, meanwhile' }));
    // The demo's weather rule answers a sender once per 10 s.
    await replyTo(inbound('friend', '天气 上海'), withBot('rules_first', bot.poster));
    await replyTo(inbound('friend', '天气 上海'), withBot('rules_first', bot.poster));
    expect(bot.posted).toHaveLength(1);
    expect(texts(await sent(sim))).toEqual([
      'friend:Alice:上海的天气：晴 [微笑]',
      'friend:Alice:the bot, meanwhile',
    ]);
  });

  it('ids that cannot be saved (the item full) do not cost the message: posted with the ids known', async () => {
    const bot = oneBot(() => undefined);
    const ids = new MemoryOneBotIds();
    ids.ensure = async () => {
      throw new Error('ValidationException: Item size has exceeded the maximum allowed size');
    };
    logs.length = 0;
    await replyTo(inbound('friend', 'hello?'), {
      ...deps,
      onebot: { mode: 'onebot_only', format: 'string', ids, poster: bot.poster },
    });
    expect(bot.posted).toHaveLength(1);
    expect(bot.posted[0]).toMatchObject({ user_id: 0, message: 'hello?' });
    expect(logs.join('\n')).toMatch(/OneBot ids could not be saved.*Item size/);
  });

  it('onebot_only: the rules keep quiet; both: the rule and the bot; a group reply names its sender', async () => {
    const bot = oneBot((event) => ({ reply: `bot: ${event.raw_message}` }));
    await replyTo(inbound('friend', 'ping'), withBot('onebot_only', bot.poster));
    const group = inbound('group', 'ping');
    await replyTo(group, withBot('both', bot.poster));
    expect(texts(await sent(sim))).toEqual([
      'friend:Alice:bot: ping',
      'group:Hiking Club:pong',
      `group:Hiking Club:@${group.senderName} bot: ping`,
    ]);
  });

  it('a redelivered or retried message is posted once, and its quick reply sent once', async () => {
    const bot = oneBot(() => ({ reply: 'once' }));
    const message = inbound('friend', 'tell me');
    await replyTo(message, withBot('onebot_only', bot.poster));
    expect(await replyTo(message, withBot('onebot_only', bot.poster))).toMatchObject({ replies: 0 });
    // A bot answering by action would send twice if it were asked twice.
    expect(bot.posted).toHaveLength(1);
    expect(texts(await sent(sim))).toEqual(['friend:Alice:once']);
  });

  it('a post that failed is posted again on the retry (its claim given back)', async () => {
    let fail = true;
    const bot = oneBot(() =>
      fail ? new Error('the bot at http://127.0.0.1:1 answered 502') : { reply: 'later' },
    );
    const message = inbound('friend', 'are you up?');
    await expect(replyTo(message, withBot('onebot_only', bot.poster))).rejects.toThrow(/502/);
    fail = false;
    await replyTo(message, withBot('onebot_only', bot.poster));
    expect(bot.posted).toHaveLength(2);
    expect(texts(await sent(sim))).toEqual(['friend:Alice:later']);
  });

  it('the echo from a sender in no member list (the "virtual" send_uin) is not posted', async () => {
    const bot = oneBot(() => ({ reply: 'no' }));
    const unlisted = 987_654_321;
    await replyTo(inbound('group', 'pong', unlisted), withBot('onebot_only', bot.poster));
    expect(bot.posted).toHaveLength(0);
  });

  it('a post that fails fails the record before anything is sent (the queue tries again)', async () => {
    const bot = oneBot(() => new Error('the bot at http://127.0.0.1:1 answered 502'));
    await expect(replyTo(inbound('friend', 'ping'), withBot('both', bot.poster))).rejects.toThrow(
      /answered 502/,
    );
    expect(await sent(sim)).toEqual([]);
  });

  it('the bot is not asked about its own echo; a reply SmartQQ cannot send is logged, not sent', async () => {
    const bot = oneBot(() => ({ reply: [{ type: 'image', data: { file: 'a.png' } }] }));
    const own = inbound('group', 'my own words', record.contacts?.selfUins[0]);
    await replyTo(own, withBot('onebot_only', bot.poster));
    expect(bot.posted).toHaveLength(0);
    logs.length = 0;
    expect(await replyTo(inbound('friend', 'picture?'), withBot('onebot_only', bot.poster))).toMatchObject({
      replies: 0,
    });
    expect(logs.join('\n')).toMatch(/OneBot quick reply cannot be sent by SmartQQ.*image.*is not supported/);
    expect(await sent(sim)).toEqual([]);
  });
});
