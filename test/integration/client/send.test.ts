import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ContactBook, MsgIdCounter, type SmartQQClient } from '../../../lib/smartqq/index.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import {
  control,
  counters,
  demoAccount,
  loggedInClient,
  nickOf,
  sent,
  startSim,
} from '../../support/sim-control.ts';

const account = demoAccount;
const friendNick = nickOf(account.friends[0]?.qq ?? 0);

let sim: Simulator;
let client: SmartQQClient;
let book: ContactBook;

const friendTarget = () => ({ kind: 'friend' as const, uin: book.findFriends(friendNick)[0]?.uin ?? -1 });
const groupTarget = () => ({
  kind: 'group' as const,
  gid: book.findGroups(account.groups[0]?.name ?? '')[0]?.gid ?? -1,
});
const discussionTarget = () => ({
  kind: 'discussion' as const,
  did: book.findDiscussions(account.discussions[0]?.name ?? '')[0]?.did ?? -1,
});

beforeAll(async () => {
  sim = await startSim();
  const ids = new MsgIdCounter(1000);
  client = await loggedInClient(sim, { msgIds: () => ids.next() });
  book = await client.loadContacts();
});
afterAll(async () => {
  client.close();
  await sim.close();
});
beforeEach(async () => {
  await control(sim, 'DELETE', 'faults');
  await control(sim, 'DELETE', 'sent');
});

/** The items of a sent `content` string, font excluded. */
function items(content: string): unknown[] {
  const parsed = JSON.parse(content) as unknown[];
  expect((parsed.at(-1) as unknown[])[0]).toBe('font');
  return parsed.slice(0, -1);
}

describe('sending', () => {
  it('sends to a friend, a group and a discussion, with face markers turned into faces', async () => {
    expect(await client.send(friendTarget(), 'hi /微笑 there')).toEqual({ status: 'sent', parts: 1 });
    expect(await client.send(groupTarget(), 'group [呲牙]!')).toEqual({ status: 'sent', parts: 1 });
    expect(await client.send(discussionTarget(), 'discussion /飞吻')).toEqual({ status: 'sent', parts: 1 });
    const log = await sent(sim);
    expect(log.map((m) => m.type)).toEqual(['friend', 'group', 'discussion']);
    expect(items(log[0]?.content ?? '[]')).toEqual(['hi ', ['face', 14], ' there']);
    expect(items(log[1]?.content ?? '[]')).toEqual(['group ', ['face', 13], '!']);
    expect(items(log[2]?.content ?? '[]')).toEqual(['discussion ', ['face', 21]]);
    expect(log[0]?.to.name).toContain(friendNick);
    expect(log[1]?.to.name).toBe(account.groups[0]?.name);
  });

  it('splits a 2,000-character message into parts of at most 720 UTF-8 bytes, in order', async () => {
    const words = ['你好世界', 'hello', 'SmartQQ', '测试消息', 'world'];
    let text = '';
    for (let i = 0; text.length < 2000; i++) text += `${words[i % words.length]} `;
    text = text.slice(0, 2000);
    const result = await client.send(friendTarget(), text);
    expect(result.status).toBe('sent');
    const log = await sent(sim);
    expect(result).toEqual({ status: 'sent', parts: log.length });
    expect(log.length).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(text) / 720));
    const texts = log.map((m) => items(m.content).join(''));
    for (const part of texts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(720);
    expect(texts.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    // Cut at whitespace when there is some near the limit: no word is broken.
    for (const part of texts.slice(0, -1))
      expect(part.trimEnd()).toMatch(/(你好世界|hello|SmartQQ|测试消息|world)$/);
  });

  it('1202 is uncertain and never resent, whether or not it was delivered', async () => {
    for (const delivered of [true, false]) {
      await control(sim, 'DELETE', 'sent');
      const before = (await counters(sim)).sends;
      await control(sim, 'POST', 'faults', { endpoint: 'send_qun_msg2', retcode: 1202, delivered });
      const result = await client.send(groupTarget(), `maybe ${delivered}`);
      expect(result).toMatchObject({ status: 'uncertain', retcode: 1202, partsSent: 0 });
      expect((await sent(sim)).length).toBe(delivered ? 1 : 0);
      const after = (await counters(sim)).sends;
      expect(after - before).toBeLessThanOrEqual(1);
    }
  });

  it('maps send failures to typed results', async () => {
    const cases: [object, object][] = [
      [{ retcode: 100012 }, { status: 'session_problem', retcode: 100012 }],
      [{ retcode: 100001 }, { status: 'session_problem', retcode: 100001 }],
      [{ retcode: 100006 }, { status: 'rejected', retcode: 100006 }],
      [{ retcode: 100003 }, { status: 'rejected', retcode: 100003 }],
      [{ reset: true }, { status: 'uncertain' }],
      [{ malformed: true }, { status: 'uncertain' }],
      [{ http: 502 }, { status: 'uncertain' }],
      [{ http: 404 }, { status: 'not_sent', partsSent: 0 }],
    ];
    for (const [fault, expected] of cases) {
      await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', ...fault });
      const result = await client.send(friendTarget(), 'x');
      expect(result, JSON.stringify(fault)).toMatchObject(expected);
    }
  });

  it('accepts the success body of every era preset, and 100100 from send_discu_msg2', async () => {
    for (const era of ['2015', '2017-05', '2017-10', '2018']) {
      await control(sim, 'POST', 'settings', { era });
      expect(await client.send(friendTarget(), `era ${era}`)).toEqual({ status: 'sent', parts: 1 });
    }
    await control(sim, 'POST', 'settings', { era: '2017-10' });
    await control(sim, 'POST', 'faults', { endpoint: 'send_discu_msg2', retcode: 100100 });
    expect(await client.send(discussionTarget(), 'discussion 100100')).toEqual({ status: 'sent', parts: 1 });
  });

  it('rejects an empty message without calling the server', async () => {
    const before = (await counters(sim)).sends;
    expect(await client.send(friendTarget(), '')).toMatchObject({
      status: 'rejected',
      reason: 'empty message',
    });
    expect((await counters(sim)).sends).toBe(before);
  });
});
