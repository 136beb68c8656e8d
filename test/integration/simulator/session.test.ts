import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { friendListHash } from '../../../lib/smartqq/hash.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { CLIENT_ID, type LoggedIn, login, poll, register, SimHttp, TEST_WORLD } from './support.ts';

let sim: Simulator;
let http: SimHttp;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 300 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  http?.close();
  sim.clearFaults();
  sim.updateSettings({ sessionTtlMs: 48 * 3600_000 });
});

function getvfwebqq(h: SimHttp, ptwebqq: string) {
  return h.json(`/api/getvfwebqq?ptwebqq=${ptwebqq}&clientid=${CLIENT_ID}&psessionid=&t=0.1`);
}

function login2(h: SimHttp, ptwebqq: string) {
  return h.json('/channel/login2', { ptwebqq, clientid: CLIENT_ID, psessionid: '', status: 'online' });
}

async function friends(h: SimHttp, s: LoggedIn) {
  const reply = await h.json('/api/get_user_friends2', {
    vfwebqq: s.vfwebqq,
    hash: friendListHash(20001, s.ptwebqq),
  });
  return reply.result as { friends: Array<{ uin: number }> };
}

describe('getvfwebqq and login2', () => {
  it('answers an 80-hex vfwebqq and a real-shaped login2', async () => {
    http = new SimHttp(sim);
    const s = await login(http, { register: false });
    expect(s.vfwebqq).toMatch(/^[0-9a-f]{80}$/);
    const l2 = await login2(http, s.ptwebqq);
    const result = l2.result as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(
      ['cip', 'f', 'index', 'port', 'psessionid', 'status', 'uin', 'user_state', 'vfwebqq'].sort(),
    );
    expect(result.uin).toBe(20001);
    // {Pid, Uin, Skey, Vfwebqq} as an Erlang term: 83 68 04 67 ...
    expect(result.psessionid).toMatch(/^8368046764[0-9a-f]{4}636f6e6e7365727665725f7765627171/);
    expect(result.psessionid as string).toContain(result.vfwebqq as string);
  });

  it('needs the session cookies and the current ptwebqq', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    expect((await getvfwebqq(http, 'f'.repeat(64))).retcode).toBe(100000);
    expect((await login2(http, 'f'.repeat(64))).retcode).toBe(100001);
    http.dropCookie('p_skey');
    expect(await getvfwebqq(http, s.ptwebqq)).toEqual({ retcode: 100000 });
    expect((await login2(http, s.ptwebqq)).retcode).toBe(100001);
  });

  it('answers 403 to a missing or empty Referer, and accepts any other (cfproxy, the other host)', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    const path = `/api/getvfwebqq?ptwebqq=${s.ptwebqq}&clientid=${CLIENT_ID}`;
    expect((await http.get(path, { referer: null })).status).toBe(403);
    expect((await http.get(path, { referer: '' })).status).toBe(403);
    const d1 = await http.json(path, undefined, {
      referer: 'https://d1.web2.qq.com/proxy.html?v=20151105001',
    });
    expect(d1.retcode).toBe(0);
    const body = { ptwebqq: s.ptwebqq, clientid: CLIENT_ID, psessionid: '', status: 'online' };
    expect((await http.post('/channel/login2', body, { referer: null })).status).toBe(403);
    expect((await http.post('/channel/login2', body, { referer: '' })).status).toBe(403);
    const cf = await http.post('/channel/login2', body, {
      referer: 'https://d1.web2.qq.com/cfproxy.html?v=20151105001&callback=1',
    });
    expect(JSON.parse(cf.body).retcode).toBe(0);
  });

  it('answers 100006 to a POST without a parseable r', async () => {
    http = new SimHttp(sim);
    await login(http);
    expect(JSON.parse((await http.post('/channel/login2', 'x=1')).body)).toEqual({ retcode: 100006 });
    expect(JSON.parse((await http.post('/channel/login2', 'r=%7Bnot')).body)).toEqual({ retcode: 100006 });
  });
});

describe('sessions', () => {
  it('answers 103 to poll2 until get_online_buddies2 was called', async () => {
    http = new SimHttp(sim);
    const s = await login(http, { register: false });
    expect(JSON.parse((await poll(http, s)).body)).toEqual({ retcode: 103, errmsg: '' });
    const buddies = await register(http, s);
    expect(buddies.retcode).toBe(0);
    expect(buddies.result).toEqual(
      expect.arrayContaining([{ client_type: 1, status: 'online', uin: expect.any(Number) }]),
    );
    const empty = await poll(http, s);
    expect(JSON.parse(empty.body)).toEqual({ errmsg: 'error', retcode: 0 });
  });

  it('changes every id on each login2 and ends the previous psessionid (121)', async () => {
    http = new SimHttp(sim);
    const first = await login(http);
    const before = sim.contacts(20001);
    const firstFriends = await friends(http, first);
    const l2 = await login2(http, first.ptwebqq);
    const second = { ...first, psessionid: (l2.result as { psessionid: string }).psessionid };
    expect(second.psessionid).not.toBe(first.psessionid);
    const after = sim.contacts(20001);
    expect(after.selfMemberUin).not.toBe(before.selfMemberUin);
    for (const [i, f] of after.friends.entries()) expect(f.uin).not.toBe(before.friends[i]?.uin);
    for (const [i, g] of after.groups.entries()) {
      expect(g.gid).not.toBe(before.groups[i]?.gid);
      expect(g.code).not.toBe(before.groups[i]?.code);
    }
    expect(after.discussions[0]?.did).not.toBe(before.discussions[0]?.did);
    const secondFriends = await friends(http, second);
    expect(secondFriends.friends.map((f) => f.uin)).toEqual(after.friends.map((f) => f.uin));
    expect(secondFriends.friends.map((f) => f.uin)).not.toEqual(firstFriends.friends.map((f) => f.uin));
    expect(JSON.parse((await poll(http, first)).body)).toEqual({ retcode: 121, t: '0' });
  });

  it('ends the login after the session TTL: poll2 100001, getvfwebqq 100000', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    sim.updateSettings({ sessionTtlMs: 0 });
    expect(JSON.parse((await poll(http, s)).body)).toEqual({ retcode: 100001 });
    expect(await getvfwebqq(http, s.ptwebqq)).toEqual({ retcode: 100000 });
    expect(sim.state().accounts[0]).toMatchObject({
      loggedIn: false,
      online: false,
      sessionEnded: 'expired',
    });
  });

  it('expires a login on demand and answers a held poll with 100001', async () => {
    http = new SimHttp(sim);
    sim.updateSettings({ sessionTtlMs: 48 * 3600_000 });
    const s = await login(http);
    const held = poll(http, s);
    await new Promise((r) => setTimeout(r, 50));
    sim.expireSession(20001);
    expect(JSON.parse((await held).body)).toEqual({ retcode: 100001 });
    expect((await getvfwebqq(http, s.ptwebqq)).retcode).toBe(100000);
  });

  it('kicks: the kick_message is delivered, then 121, and a relink with the same cookies works', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    sim.kick(20001);
    const kicked = JSON.parse((await poll(http, s)).body);
    expect(kicked.result[0].poll_type).toBe('kick_message');
    expect(kicked.result[0].value.reason).toContain('另一地点登录');
    expect(JSON.parse((await poll(http, s)).body)).toEqual({ retcode: 121, t: '0' });
    expect(() => sim.injectMessage({ type: 'friend', from: 'Alice', text: 'hi' })).toThrow(/no live session/);

    const vf = await getvfwebqq(http, s.ptwebqq);
    const l2 = await login2(http, s.ptwebqq);
    const relinked = {
      ...s,
      vfwebqq: (vf.result as { vfwebqq: string }).vfwebqq,
      psessionid: (l2.result as { psessionid: string }).psessionid,
    };
    expect((await register(http, relinked)).retcode).toBe(0);
    sim.injectMessage({ type: 'friend', from: 'Alice', text: 'back?' });
    expect(JSON.parse((await poll(http, relinked)).body).result[0].poll_type).toBe('message');
  });

  it('rotates ptwebqq with a 116 fault: the new p is the one getvfwebqq and the hash need', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    sim.addFaults({ endpoint: 'poll2', retcode: 116, p: 'a'.repeat(64) });
    expect(JSON.parse((await poll(http, s)).body)).toEqual({ retcode: 116, p: 'a'.repeat(64) });
    expect((await getvfwebqq(http, s.ptwebqq)).retcode).toBe(100000);
    expect((await getvfwebqq(http, 'a'.repeat(64))).retcode).toBe(0);
    const withOldHash = await http.json('/api/get_user_friends2', {
      vfwebqq: s.vfwebqq,
      hash: friendListHash(20001, s.ptwebqq),
    });
    expect(withOldHash).toEqual({ retcode: 100001 });
    expect((await friends(http, { ...s, ptwebqq: 'a'.repeat(64) })).friends).toHaveLength(3);
  });

  it('a login2 from another login of the account ends the session (121); the first login can relink', async () => {
    http = new SimHttp(sim);
    const first = await login(http);
    const other = new SimHttp(sim);
    const second = await login(other);
    expect(JSON.parse((await poll(http, first)).body)).toEqual({ retcode: 121, t: '0' });
    expect((await getvfwebqq(http, first.ptwebqq)).retcode).toBe(0);
    const l2 = await login2(http, first.ptwebqq);
    expect(l2.retcode).toBe(0);
    expect(JSON.parse((await poll(other, second)).body)).toEqual({ retcode: 121, t: '0' });
    other.close();
  });
});
