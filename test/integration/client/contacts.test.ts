import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmartQQClient } from '../../../lib/smartqq/index.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { control, demoAccount, loggedInClient, nickOf, startSim } from '../../support/sim-control.ts';

const account = demoAccount;

let sim: Simulator;
let client: SmartQQClient;
beforeAll(async () => {
  sim = await startSim();
  client = await loggedInClient(sim);
});
afterAll(async () => {
  client.close();
  await sim.close();
});

describe('contacts', () => {
  it('lists friends with nick, markname and category, names unescaped', async () => {
    const friends = await client.getFriends();
    expect(friends.map((f) => f.nick).sort()).toEqual(account.friends.map((f) => nickOf(f.qq)).sort());
    for (const wf of account.friends) {
      const f = friends.find((x) => x.nick === nickOf(wf.qq));
      expect(f?.markname).toBe(wf.markname);
      expect(f?.category).toBe(wf.category ?? '我的好友');
    }
  });

  it('lists groups with gid and code kept apart, and members with cards (cards absent in some groups)', async () => {
    const groups = await client.getGroups();
    expect(groups.map((g) => g.name).sort()).toEqual(account.groups.map((g) => g.name).sort());
    for (const g of groups) {
      expect(g.gid).not.toBe(g.code);
      const detail = await client.getGroupDetail(g.code);
      expect(detail.gid).toBe(g.gid);
      const world = account.groups.find((w) => w.name === g.name);
      expect(detail.members.map((m) => m.nick).sort()).toEqual(
        world?.members.map((m) => nickOf(m.qq)).sort(),
      );
      for (const wm of world?.members ?? []) {
        expect(detail.members.find((m) => m.nick === nickOf(wm.qq))?.card).toBe(wm.card);
      }
    }
    expect(account.groups.some((g) => g.members.every((m) => !m.card))).toBe(true);
    expect(account.groups.some((g) => g.members.some((m) => m.card))).toBe(true);
  });

  it('passing a gid where the group code is wanted is retcode 6, a typed error', async () => {
    const [group] = await client.getGroups();
    await expect(client.getGroupDetail(group?.gid ?? 0)).rejects.toMatchObject({
      name: 'SmartQQRetcodeError',
      endpoint: 'get_group_info_ext2',
      retcode: 6,
      verdict: 'wrong_id',
    });
  });

  it('lists discussions and their members, and self info', async () => {
    const discussions = await client.getDiscussions();
    expect(discussions.map((d) => d.name).sort()).toEqual(account.discussions.map((d) => d.name).sort());
    const detail = await client.getDiscussionDetail(discussions[0]?.did ?? 0);
    const world = account.discussions.find((d) => d.name === detail.name);
    expect(detail.members.map((m) => m.nick).sort()).toEqual(world?.members.map(nickOf).sort());
    const self = await client.getSelfInfo();
    expect(self.nick).toBe(account.nick);
  });

  it('finds contacts by markname or nick, and ids change on the next login', async () => {
    const book = await client.loadContacts();
    const marked = account.friends.find((f) => f.markname);
    const byMark = book.findFriends(marked?.markname ?? '');
    expect(byMark).toHaveLength(1);
    expect(book.findFriends(nickOf(marked?.qq ?? 0).toUpperCase())[0]?.uin).toBe(byMark[0]?.uin);
    expect(book.findGroups(account.groups[0]?.name ?? '')).toHaveLength(1);
    expect(book.findFriends('nobody by that name')).toEqual([]);

    const again = await loggedInClient(sim);
    const book2 = await again.loadContacts();
    expect(book2.findFriends(marked?.markname ?? '')[0]?.uin).not.toBe(byMark[0]?.uin);
    again.close();
  });

  it('retries the transient nginx 404 on s.web2 calls', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'get_user_friends2', http: 404, count: 2 });
    expect((await client.getFriends()).length).toBe(account.friends.length);
    await control(sim, 'POST', 'faults', { endpoint: 'get_user_friends2', http: 404, count: 3 });
    await expect(client.getFriends()).rejects.toThrow(/get_user_friends2: HTTP 404/);
    await control(sim, 'DELETE', 'faults');
  });

  it('a malformed answer is a typed error naming the endpoint', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'get_group_name_list_mask2', malformed: true });
    await expect(client.getGroups()).rejects.toMatchObject({
      name: 'SmartQQProtocolError',
      endpoint: 'get_group_name_list_mask2',
    });
  });
});
