/**
 * Send pacing through the whole local pipeline: a burst in two chats under a slow pace is answered
 * in full, each chat in order, none twice, and none lost to the DLQ — a record is not failed for a
 * turn the invocation can wait for (each return would count a receive, and three send it to the
 * DLQ: a first version that deferred waits over a second lost a message here).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

const RULES = [
  {
    account: '*',
    id: 'numbered',
    chatTypes: ['friend', 'group'],
    match: 'regex',
    pattern: '^n (\\d+)$',
    caseSensitive: true,
    replies: ['got {$1}'],
  },
];

let e2e: E2eRuntime;
beforeAll(async () => {
  // One send per 1.5 s, no burst: six replies at once need 7.5 s of turns.
  // The circuit breaker (6 replies a minute per chat) is off here: this file is about the pace.
  e2e = await startE2eRuntime({
    rules: RULES,
    sendIntervalMs: 1_500,
    sendBurst: 1,
    functionEnvironment: { CONVERSATION_REPLIES_PER_MINUTE: '0' },
  });
  await e2e.waitForSession('online');
}, 60_000);
afterAll(() => e2e?.close());

it('answers a burst in two chats under pacing, each chat in order, none lost to the DLQ', async () => {
  for (let i = 1; i <= 3; i++) {
    e2e.inject({ type: 'friend', from: 10001, text: `n ${i}` });
    e2e.inject({ type: 'group', group: 'Hiking Club', from: 10002, text: `n ${i}` });
  }
  const deadline = Date.now() + 60_000;
  while (e2e.sim.sent().filter((m) => m.text.startsWith('got ')).length < 6 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const sent = e2e.sim.sent().filter((m) => m.text.startsWith('got '));
  const chat = (type: string) => sent.filter((m) => m.type === type).map((m) => m.text);
  expect(chat('friend')).toEqual(['got 1', 'got 2', 'got 3']);
  expect(chat('group')).toEqual(['got 1', 'got 2', 'got 3']);
  expect(e2e.sim.counters().duplicateSends).toBe(0);
}, 90_000);

it('a chatty chat does not starve a quiet one: the quiet chat is answered within the first turns', async () => {
  const before = e2e.sim.sent().length;
  for (let i = 11; i <= 15; i++) e2e.inject({ type: 'friend', from: 10001, text: `n ${i}` });
  e2e.inject({ type: 'group', group: 'Tea & Code', from: 10004, text: 'n 99' });
  const deadline = Date.now() + 60_000;
  const replies = () =>
    e2e.sim
      .sent()
      .slice(before)
      .filter((m) => m.text.startsWith('got '));
  while (replies().length < 6 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const order = replies().map((m) => `${m.type}:${m.text}`);
  expect(order).toHaveLength(6);
  // One record per chat is in flight at a time (FIFO): the quiet chat takes the second turn at the
  // latest, not the sixth.
  expect(order.indexOf('group:got 99')).toBeLessThanOrEqual(1);
  expect(order.filter((o) => o.startsWith('friend:'))).toEqual(
    ['got 11', 'got 12', 'got 13', 'got 14', 'got 15'].map((t) => `friend:${t}`),
  );
}, 90_000);
