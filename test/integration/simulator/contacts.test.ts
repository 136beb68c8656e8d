import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { friendListHash } from '../../../lib/smartqq/hash.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { CLIENT_ID, type LoggedIn, login, SimHttp, TEST_WORLD } from './support.ts';

let sim: Simulator;
let http: SimHttp;
let s: LoggedIn;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 300 });
  http = new SimHttp(sim);
  s = await login(http);
});
afterAll(async () => {
  http.close();
  await sim.close();
});

const listBody = () => ({ vfwebqq: s.vfwebqq, hash: friendListHash(20001, s.ptwebqq) });

describe('contact lists', () => {
  it('get_user_friends2: friends, marknames, categories (0 implicit), vipinfo, info', async () => {
    const reply = await http.json('/api/get_user_friends2', listBody());
    expect(reply.retcode).toBe(0);
    const r = reply.result as Record<string, Array<Record<string, unknown>>>;
    const ids = sim.contacts(20001);
    const alice = ids.friends.find((f) => f.nick === 'Alice')?.uin;
    const bob = ids.friends.find((f) => f.qq === 10002)?.uin;
    expect(r.categories).toEqual([{ index: 1, sort: 2, name: '同学' }]);
    expect(r.friends).toContainEqual({ flag: 4, uin: alice, categories: 1 });
    expect(r.friends).toContainEqual(expect.objectContaining({ categories: 0 }));
    expect(r.marknames).toEqual([{ uin: alice, markname: 'Ali', type: 0 }]);
    expect(r.info).toContainEqual({ face: 0, flag: expect.any(Number), nick: 'Bob &amp; Co', uin: bob });
    expect(r.vipinfo).toHaveLength(3);
  });

  it('refuses a wrong hash or vfwebqq with 100001', async () => {
    expect(await http.json('/api/get_user_friends2', { ...listBody(), hash: '0000000000000000' })).toEqual({
      retcode: 100001,
    });
    expect(await http.json('/api/get_group_name_list_mask2', { ...listBody(), vfwebqq: 'x' })).toEqual({
      retcode: 100001,
    });
  });

  it('get_group_name_list_mask2: gid ≠ code, names escaped', async () => {
    const reply = await http.json('/api/get_group_name_list_mask2', listBody());
    const r = reply.result as {
      gnamelist: Array<{ gid: number; code: number; name: string; flag: number }>;
      gmasklist: unknown[];
    };
    expect(r.gmasklist).toEqual([]);
    expect(r.gnamelist.map((g) => g.name)).toEqual(['Hiking &lt;Club&gt;', 'Quiet']);
    for (const g of r.gnamelist) {
      expect(g.gid).not.toBe(g.code);
      expect(g.gid).toBeLessThan(2 ** 32);
    }
  });

  it('get_group_info_ext2: by code, cards present only when someone has one; a gid gives retcode 6', async () => {
    const groups = sim.contacts(20001).groups;
    const hiking = groups[0] as { gid: number; code: number };
    const quiet = groups[1] as { gid: number; code: number };
    const detail = await http.json(
      `/api/get_group_info_ext2?gcode=${hiking.code}&vfwebqq=${s.vfwebqq}&t=0.1`,
    );
    const r = detail.result as Record<string, unknown> & {
      ginfo: Record<string, unknown>;
      minfo: Array<{ nick: string; uin: number }>;
    };
    expect(r.ginfo).toMatchObject({ gid: hiking.gid, code: hiking.code, name: 'Hiking &lt;Club&gt;' });
    expect(r.cards).toEqual([{ muin: sim.contacts(20001).friends[0]?.uin, card: 'Trail Boss' }]);
    expect(r.minfo.map((m) => m.nick)).toEqual(['Alice', 'Bob &amp; Co', 'TestBot']);
    expect(r.minfo[2]?.uin).toBe(sim.contacts(20001).selfMemberUin);
    expect(Object.keys(r).sort()).toEqual(['cards', 'ginfo', 'minfo', 'stats', 'vipinfo']);

    const noCards = await http.json(
      `/api/get_group_info_ext2?gcode=${quiet.code}&vfwebqq=${s.vfwebqq}&t=0.1`,
    );
    expect(noCards.retcode).toBe(0);
    expect(noCards.result).not.toHaveProperty('cards');
    const quietNicks = (noCards.result as { minfo: Array<{ nick: string }> }).minfo.map((m) => m.nick);
    expect(quietNicks).toEqual(['Bob &amp; Co', 'Carol', 'Dana\u00a0Lee', 'TestBot']);

    expect(
      await http.json(`/api/get_group_info_ext2?gcode=${hiking.gid}&vfwebqq=${s.vfwebqq}&t=0.1`),
    ).toEqual({
      retcode: 6,
    });
  });

  it('discussions: get_discus_list and get_discu_info', async () => {
    const list = await http.json(
      `/api/get_discus_list?clientid=${CLIENT_ID}&psessionid=${s.psessionid}&vfwebqq=${s.vfwebqq}&t=0.1`,
    );
    const did = sim.contacts(20001).discussions[0]?.did;
    expect(list).toEqual({ retcode: 0, result: { dnamelist: [{ did, name: 'Weekend' }] } });
    const info = await http.json(
      `/channel/get_discu_info?did=${did}&vfwebqq=${s.vfwebqq}&clientid=${CLIENT_ID}&psessionid=${s.psessionid}&t=0.1`,
    );
    const r = info.result as {
      info: { did: number; discu_name: string; mem_list: unknown[] };
      mem_info: Array<{ nick: string }>;
      mem_status: unknown[];
    };
    expect(r.info.did).toBe(did);
    expect(r.info.discu_name).toBe('Weekend');
    expect(r.mem_info.map((m) => m.nick)).toEqual(['Alice', 'Carol', 'TestBot']);
    expect(r.info.mem_list).toHaveLength(3);
  });

  it('self info, friend info, long nick and the recent list', async () => {
    const self = await http.json('/api/get_self_info2?t=0.1');
    expect(self.result).toMatchObject({ nick: 'TestBot', uin: 20001, account: 20001 });
    const alice = sim.contacts(20001).friends[0]?.uin;
    const info = await http.json(
      `/api/get_friend_info2?tuin=${alice}&vfwebqq=${s.vfwebqq}&clientid=${CLIENT_ID}&psessionid=${s.psessionid}`,
    );
    expect(info.result).toMatchObject({ nick: 'Alice', uin: alice });
    const lnick = await http.json(`/api/get_single_long_nick2?tuin=${alice}&vfwebqq=${s.vfwebqq}&t=0.1`);
    expect(lnick).toEqual({ retcode: 0, result: [{ uin: alice, lnick: '' }] });

    sim.injectMessage({ type: 'group', group: 'Quiet', from: 'Carol', text: 'hello' });
    const recent = await http.json('/channel/get_recent_list2', {
      vfwebqq: s.vfwebqq,
      clientid: CLIENT_ID,
      psessionid: '',
    });
    expect(recent).toEqual({ result: [{ type: 1, uin: sim.contacts(20001).groups[1]?.gid }], retcode: 0 });
  });

  it('a jar without the session cookies fails', async () => {
    const bare = new SimHttp(sim);
    expect(await bare.json('/api/get_self_info2?t=0.1')).toEqual({ retcode: 100000 });
    expect(await bare.json('/api/get_user_friends2', listBody())).toEqual({ retcode: 100000 });
    bare.close();
  });
});
