import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { type LoggedIn, login, poll, SimHttp, sleep, TEST_WORLD } from './support.ts';

const HOLD_MS = 400;
let sim: Simulator;
let http: SimHttp;
let s: LoggedIn;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: HOLD_MS });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  http = new SimHttp(sim);
  s = await login(http);
  sim.resetCounters();
});
afterEach(() => {
  http.close();
  sim.clearFaults();
  sim.updateSettings({ era: '2017-10' });
});

type PollBody = { retcode: number; result: Array<{ poll_type: string; value: Record<string, unknown> }> };
const body = async (p: Promise<{ body: string }>) => JSON.parse((await p).body) as PollBody;

describe('poll2', () => {
  it('holds an empty poll for the hold time, then answers the default (2017-10) era body', async () => {
    const started = Date.now();
    const reply = await poll(http, s);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_MS - 20);
    expect(JSON.parse(reply.body)).toEqual({ errmsg: 'error', retcode: 0 });
    expect(sim.counters()).toMatchObject({ polls: 1, pollsEmpty: 1 });
  });

  it.each([
    ['504', 504, /504 Gateway Time-out/],
    ['502', 502, /502 Bad Gateway/],
    ['102', 200, /^\{"retcode":102,"errmsg":""\}$/],
    ['100012', 200, /^\{"retcode":100012,"errmsg":"[^"]*"\}$/],
    ['retmsg', 200, /^\{"retcode":0,"retmsg":"ok","errmsg":"error"\}$/],
  ] as const)('ends an empty hold as era %s', async (era, status, pattern) => {
    sim.updateSettings({ era: { emptyPoll: era }, pollHoldMs: 50 });
    const reply = await poll(http, s);
    sim.updateSettings({ pollHoldMs: HOLD_MS });
    expect(reply.status).toBe(status);
    expect(reply.body).toMatch(pattern);
  });

  it('answers a held poll as soon as events come, with all of them in one result', async () => {
    const held = body(poll(http, s));
    await sleep(50);
    const started = Date.now();
    sim.injectMessage({ type: 'friend', from: 'Ali', text: 'one' });
    sim.injectMessage({
      type: 'group',
      group: 'Hiking <Club>',
      from: 'Trail Boss',
      content: ['two ', ['face', 14]],
    });
    sim.injectMessage({ type: 'discussion', discussion: 'Weekend', from: 10003, text: 'three' });
    const reply = await held;
    expect(Date.now() - started).toBeLessThan(HOLD_MS / 2);
    expect(reply.retcode).toBe(0);
    expect(reply.result.map((e) => e.poll_type)).toEqual(['message', 'group_message', 'discu_message']);
    const ids = sim.contacts(20001);
    const [friend, group, discu] = reply.result.map((e) => e.value);
    expect(friend).toMatchObject({ from_uin: ids.friends[0]?.uin, to_uin: 20001, msg_type: 0 });
    expect(Object.keys(friend ?? {})).toEqual([
      'content',
      'from_uin',
      'msg_id',
      'msg_type',
      'time',
      'to_uin',
    ]);
    expect(group).toMatchObject({
      from_uin: ids.groups[0]?.gid,
      group_code: ids.groups[0]?.gid,
      send_uin: ids.friends[0]?.uin,
    });
    expect(group?.content).toEqual([
      ['font', expect.objectContaining({ name: '微软雅黑' })],
      'two ',
      ['face', 14],
    ]);
    expect(discu).toMatchObject({
      from_uin: ids.discussions[0]?.did,
      did: ids.discussions[0]?.did,
      send_uin: ids.friends[2]?.uin,
    });
    expect(sim.counters()).toMatchObject({ eventsInjected: 3, eventsDelivered: 3, eventsQueued: 0 });
  });

  it('delivers queued events at once, up to 20 per answer', async () => {
    for (let i = 0; i < 25; i++) sim.injectMessage({ type: 'friend', from: 'Alice', text: `m${i}` });
    expect(sim.counters().eventsQueued).toBe(25);
    const first = await body(poll(http, s));
    expect(first.result).toHaveLength(20);
    const second = await body(poll(http, s));
    expect(second.result).toHaveLength(5);
    const ids = [...first.result, ...second.result].map((e) => e.value.msg_id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('shares msg_ids across conversations, escapes text and sends \\r\\n', async () => {
    const a = sim.injectMessage({ type: 'friend', from: 'Alice', text: 'a & b <c> "d"\nnext' });
    const b = sim.injectMessage({ type: 'friend', from: 'Carol', text: 'x' });
    expect(a.msgId).toBe(b.msgId);
    expect(a.key).not.toBe(b.key);
    const reply = await body(poll(http, s));
    expect(reply.result[0]?.value.content).toEqual([
      ['font', expect.any(Object)],
      'a &amp; b &lt;c&gt; &quot;d&quot;\r\nnext',
    ]);
  });

  it('gives events only to the most recent poller: the older one is answered empty at once', async () => {
    const older = poll(http, s);
    await sleep(50);
    const newer = body(poll(http, s));
    const olderReply = await older;
    expect(JSON.parse(olderReply.body)).toEqual({ errmsg: 'error', retcode: 0 });
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'for the newer' });
    expect((await newer).result[0]?.value.content).toContain('for the newer');
    expect(sim.counters()).toMatchObject({ polls: 2, pollsEmpty: 1, eventsDelivered: 1 });
  });

  it('loses the events written to a held poll whose client has gone (not requeued)', async () => {
    let req: import('node:http').ClientRequest | undefined;
    const aborted = poll(http, s, { onRequest: (r) => (req = r) }).catch((e: Error) => e);
    await sleep(50);
    req?.destroy();
    await aborted;
    await sleep(50);
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'into the void' });
    await sleep(100);
    expect(sim.counters()).toMatchObject({
      eventsInjected: 1,
      eventsLost: 1,
      eventsDelivered: 0,
      eventsQueued: 0,
    });
    const next = await poll(http, s);
    expect(JSON.parse(next.body)).toEqual({ errmsg: 'error', retcode: 0 });
  });

  it('loses the events of a slow answer (delayMs fault) whose client aborted meanwhile', async () => {
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'one' });
    sim.injectMessage({ type: 'friend', from: 'Carol', text: 'two' });
    sim.addFaults({ endpoint: 'poll2', delayMs: 200 });
    let req: import('node:http').ClientRequest | undefined;
    const aborted = poll(http, s, { onRequest: (r) => (req = r) }).catch((e: Error) => e);
    await sleep(50);
    req?.destroy();
    await aborted;
    await sleep(250);
    expect(sim.counters()).toMatchObject({
      eventsLost: 2,
      eventsDelivered: 0,
      eventsQueued: 0,
      faultsApplied: 1,
    });
  });

  it('counts a redelivered event as a duplicate', async () => {
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'once' });
    const first = await body(poll(http, s));
    sim.addFaults({ endpoint: 'poll2', redeliver: true });
    const again = await body(poll(http, s));
    expect(again.result).toEqual(first.result);
    expect(sim.counters()).toMatchObject({ eventsDelivered: 1, duplicatesDelivered: 1 });
  });

  it('delivers every notice kind with its poll_type and a value override', async () => {
    const kinds = [
      'buddies_status_change',
      'input_notify',
      'sess_message',
      'group_web_message',
      'sys_g_msg',
      'system_message',
      'file_message',
      'tips',
    ];
    for (const k of kinds) sim.injectEvent({ poll_type: k, from: 'Carol' });
    sim.injectEvent({ poll_type: 'brand_new_kind', value: { anything: 1 } });
    sim.injectEvent({ poll_type: 'buddies_status_change', from: 'Alice', value: { status: 'away' } });
    const reply = await body(poll(http, s));
    expect(reply.result.map((e) => e.poll_type)).toEqual([
      ...kinds,
      'brand_new_kind',
      'buddies_status_change',
    ]);
    const carol = sim.contacts(20001).friends[2]?.uin;
    expect(reply.result[0]?.value).toEqual({ uin: carol, status: 'online', client_type: 1 });
    expect(reply.result.at(-1)?.value).toMatchObject({
      uin: sim.contacts(20001).friends[0]?.uin,
      status: 'away',
    });
    expect(reply.result[8]?.value).toEqual({ anything: 1 });
  });
});
