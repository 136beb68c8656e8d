import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PollEvent, SmartQQClient } from '../../../lib/smartqq/index.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import {
  control,
  counters,
  type DemoAccount,
  demoAccount,
  loggedInClient,
  nickOf,
  startSim,
} from '../../support/sim-control.ts';

const account = demoAccount;
const friendNick = nickOf(account.friends[0]?.qq ?? 0);
const group = account.groups[0] as DemoAccount['groups'][number];
const groupMemberNick = nickOf(group.members.find((m) => m.qq !== account.qq)?.qq ?? 0);
const discussion = account.discussions[0] as DemoAccount['discussions'][number];
const discussionMemberNick = nickOf(discussion.members.find((m) => m !== account.qq) ?? 0);

let sim: Simulator;
let client: SmartQQClient;
const budget = () => client.pollNeedsMs;

beforeAll(async () => {
  sim = await startSim();
  client = await loggedInClient(sim);
});
afterAll(async () => {
  client.close();
  await sim.close();
});
beforeEach(async () => {
  await control(sim, 'DELETE', 'faults');
});

describe('poll2 events', () => {
  it('returns friend, group and discussion messages, several in one response, as typed events', async () => {
    await control(sim, 'POST', 'messages', {
      type: 'friend',
      from: friendNick,
      text: 'hello &amp; <b>\nline2',
    });
    await control(sim, 'POST', 'messages', {
      type: 'group',
      group: group.name,
      from: groupMemberNick,
      content: ['hi all ', ['face', 14]],
    });
    await control(sim, 'POST', 'messages', {
      type: 'discussion',
      discussion: discussion.name,
      from: discussionMemberNick,
      text: 'plans?',
    });
    const outcome = await client.poll({ budgetMs: budget() });
    expect(outcome.kind).toBe('events');
    if (outcome.kind !== 'events') return;
    expect(outcome.events).toHaveLength(3);
    const [friend, grp, disc] = outcome.events as [PollEvent, PollEvent, PollEvent];
    expect(friend).toMatchObject({ kind: 'friend_message', text: 'hello &amp; <b>\nline2' });
    expect(grp).toMatchObject({ kind: 'group_message', text: 'hi all [微笑]' });
    if (grp.kind === 'group_message') {
      expect(grp.segments).toContainEqual({ type: 'face', id: 14, name: '微笑' });
      const groups = await client.getGroups();
      expect(groups.find((g) => g.name === group.name)?.gid).toBe(grp.gid);
    }
    expect(disc).toMatchObject({ kind: 'discussion_message', text: 'plans?' });
  });

  it('types the other event kinds: temporary chat, status change, notices, kick', async () => {
    await control(sim, 'POST', 'events', { poll_type: 'buddies_status_change' });
    await control(sim, 'POST', 'events', { poll_type: 'input_notify' });
    await control(sim, 'POST', 'events', { poll_type: 'sess_message' });
    await control(sim, 'POST', 'events', { poll_type: 'tips' });
    const outcome = await client.poll({ budgetMs: budget() });
    expect(outcome.kind).toBe('events');
    if (outcome.kind !== 'events') return;
    const kinds = outcome.events.map((e) => e.kind);
    expect(kinds).toEqual(['status_change', 'notice', 'temporary_message', 'notice']);
  });

  it('returns nothing_yet for every empty-poll era', async () => {
    for (const emptyPoll of ['504', '502', '102', 'errmsg', '100012', 'retmsg']) {
      await control(sim, 'POST', 'settings', { era: { emptyPoll } });
      const outcome = await client.poll({ budgetMs: budget() });
      expect(outcome, `era ${emptyPoll}`).toEqual({ kind: 'nothing_yet' });
    }
    await control(sim, 'POST', 'settings', { era: '2017-10' });
  });

  it('refuses to start a poll the caller cannot wait for, and makes no request', async () => {
    const before = await counters(sim);
    const outcome = await client.poll({ budgetMs: budget() - 1 });
    expect(outcome.kind).toBe('not_started');
    expect((await counters(sim)).polls).toBe(before.polls);
  });
});

describe('poll2 faults give typed outcomes', () => {
  const cases: [object, object][] = [
    [{ retcode: 103 }, { kind: 'not_registered', retcode: 103 }],
    [{ retcode: 120 }, { kind: 'relink', retcode: 120 }],
    [{ retcode: 121 }, { kind: 'relink', retcode: 121 }],
    [{ retcode: 100000 }, { kind: 'session_expired', retcode: 100000 }],
    [{ retcode: 100001 }, { kind: 'session_expired', retcode: 100001 }],
    [{ retcode: 100003 }, { kind: 'too_frequent', retcode: 100003 }],
    [{ retcode: 100006 }, { kind: 'rejected', retcode: 100006 }],
    [{ retcode: 6 }, { kind: 'rejected', retcode: 6 }],
    [{ http: 502 }, { kind: 'nothing_yet' }],
    [{ http: 504 }, { kind: 'nothing_yet' }],
  ];
  for (const [fault, expected] of cases) {
    it(`${JSON.stringify(fault)} → ${JSON.stringify(expected)}`, async () => {
      await control(sim, 'POST', 'faults', { endpoint: 'poll2', ...fault });
      expect(await client.poll({ budgetMs: budget() })).toEqual(expected);
    });
  }

  it('116 carries the new ptwebqq and stores it in the session and its cookie', async () => {
    const p = 'a'.repeat(64);
    await control(sim, 'POST', 'faults', { endpoint: 'poll2', retcode: 116, p });
    expect(await client.poll({ budgetMs: budget() })).toEqual({ kind: 'ptwebqq_rotated', ptwebqq: p });
    expect(client.session.tokens.ptwebqq).toBe(p);
    const cookies = await client.session.jar.store.getAllCookies();
    expect(cookies.find((c) => c.key === 'ptwebqq')?.value).toBe(p);
    // The server now only accepts the new ptwebqq: a relink proves the client uses it.
    expect(await client.relink()).toEqual({ status: 'online' });
  });

  it('HTTP 404, a reset connection and malformed JSON are typed errors naming poll2, without secrets', async () => {
    const secrets = [client.session.tokens.psessionid, client.session.tokens.vfwebqq];
    for (const fault of [{ http: 404 }, { reset: true }, { malformed: true }]) {
      await control(sim, 'POST', 'faults', { endpoint: 'poll2', ...fault });
      const outcome = await client.poll({ budgetMs: budget() });
      expect(outcome.kind, JSON.stringify(fault)).toBe('error');
      if (outcome.kind !== 'error') continue;
      expect(outcome.error.message).toMatch(/^poll2: /);
      for (const secret of secrets) expect(outcome.error.message).not.toContain(secret);
    }
  });

  it('a slow answer is waited for, not cut short', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'poll2', delayMs: 300 });
    await control(sim, 'POST', 'messages', { type: 'friend', from: friendNick, text: 'slow one' });
    const outcome = await client.poll({ budgetMs: budget() });
    expect(outcome.kind).toBe('events');
    expect((await counters(sim)).eventsLost).toBe(0);
  });

  it('a kick arrives as a kick event, after which the session must relink', async () => {
    await control(sim, 'POST', 'kick', {});
    const outcome = await client.poll({ budgetMs: budget() });
    expect(outcome.kind).toBe('events');
    if (outcome.kind === 'events') expect(outcome.events[0]?.kind).toBe('kick');
    const after = await client.poll({ budgetMs: budget() });
    expect(['relink', 'session_expired']).toContain(after.kind);
    expect(await client.relink()).toEqual({ status: 'online' });
    expect((await client.poll({ budgetMs: budget() })).kind).toBe('nothing_yet');
  });
});
