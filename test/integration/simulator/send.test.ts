import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { CLIENT_ID, FONT, type LoggedIn, login, poll, SimHttp, sendBody, TEST_WORLD } from './support.ts';

let sim: Simulator;
let http: SimHttp;
let s: LoggedIn;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 300 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  http = new SimHttp(sim);
  s = await login(http);
  sim.clearSent();
  sim.resetCounters();
});
afterEach(() => {
  http.close();
  sim.clearFaults();
  sim.updateSettings({ era: '2017-10', echoSendUin: 'virtual' });
});

const ids = () => sim.contacts(20001);

describe('sends', () => {
  it('sends to a friend: text/plain with a trailing newline, recorded decoded', async () => {
    const alice = ids().friends[0]?.uin as number;
    const reply = await http.post(
      '/channel/send_buddy_msg2',
      sendBody(s, { to: alice }, ['hi ', ['face', 14], ' & bye'], 77),
    );
    expect(reply.headers['content-type']).toBe('text/plain; charset=UTF-8');
    // The default era (2017-10) answers a retcode:0 body, never the errCode one (PROTOCOL §5, §7).
    expect(reply.body).toBe('{"retcode":0,"result":"ok"}\n');
    const [rec] = sim.sent();
    expect(rec).toMatchObject({
      account: 20001,
      type: 'friend',
      to: { name: 'Alice', id: alice, markname: 'Ali' },
      text: 'hi [微笑] & bye',
      msgId: 77,
      retcode: 0,
    });
    expect(JSON.parse(rec?.content ?? '')).toEqual(['hi ', ['face', 14], ' & bye', FONT]);
    expect(sim.counters().sends).toBe(1);
  });

  it('answers the errCode body in the errCode eras, and 100100 for discussions when set', async () => {
    sim.updateSettings({ era: { sendOk: 'errCode', discuSend100100: true } });
    const gid = ids().groups[0]?.gid as number;
    const group = await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['x']));
    expect(group.body).toBe('{"errCode":0,"msg":"send ok"}\n');
    const did = ids().discussions[0]?.did as number;
    const discu = await http.post('/channel/send_discu_msg2', sendBody(s, { did }, ['y']));
    expect(discu.body).toBe('{"errmsg":"error!!!","retcode":100100}\n');
    expect(sim.sent().map((r) => [r.to.name, r.retcode])).toEqual([
      ['Hiking <Club>', 0],
      ['Weekend', 100100],
    ]);
  });

  it('echoes group and discussion sends with their content and a send_uin in no member list', async () => {
    const { groups, discussions, selfMemberUin, echoUin } = ids();
    await http.post(
      '/channel/send_qun_msg2',
      sendBody(s, { group_uin: groups[0]?.gid as number }, ['to the group <3 ', ['face', 14], ' ok']),
    );
    await http.post(
      '/channel/send_discu_msg2',
      sendBody(s, { did: discussions[0]?.did as number }, [['face', 2], 'to the discussion']),
    );
    const reply = JSON.parse((await poll(http, s)).body);
    expect(reply.result.map((e: { poll_type: string }) => e.poll_type)).toEqual([
      'group_message',
      'discu_message',
    ]);
    const [group, discu] = reply.result.map((e: { value: Record<string, unknown> }) => e.value);
    expect(group).toMatchObject({ from_uin: groups[0]?.gid, group_code: groups[0]?.gid, send_uin: echoUin });
    // The font first, as in received messages; text as delivered (escaped), faces as items.
    expect(group.content).toEqual([FONT, 'to the group &lt;3 ', ['face', 14], ' ok']);
    expect(discu).toMatchObject({
      from_uin: discussions[0]?.did,
      did: discussions[0]?.did,
      send_uin: echoUin,
    });
    expect(discu.content).toEqual([FONT, ['face', 2], 'to the discussion']);
    expect(echoUin).not.toBe(selfMemberUin);
    expect(echoUin).not.toBe(s.uin);

    // In no member list, nobody's uin (friend info knows nothing of it), fixed for the session.
    const gcode = groups[0]?.code as number;
    const detail = await http.json(`/api/get_group_info_ext2?gcode=${gcode}&vfwebqq=${s.vfwebqq}&t=0.1`);
    const ginfo = detail.result as { ginfo: { members: { muin: number }[] }; minfo: { uin: number }[] };
    expect(ginfo.ginfo.members.map((m) => m.muin)).not.toContain(echoUin);
    expect(ginfo.minfo.map((m) => m.uin)).toContain(selfMemberUin);
    const did = discussions[0]?.did as number;
    const dDetail = await http.json(
      `/channel/get_discu_info?did=${did}&vfwebqq=${s.vfwebqq}&clientid=${CLIENT_ID}&psessionid=${s.psessionid}&t=0.1`,
    );
    const dinfo = dDetail.result as {
      info: { mem_list: { mem_uin: number }[] };
      mem_info: { uin: number }[];
    };
    expect(dinfo.info.mem_list.map((m) => m.mem_uin)).not.toContain(echoUin);
    expect(dinfo.mem_info.map((m) => m.uin)).not.toContain(echoUin);
    const info = await http.json(`/api/get_friend_info2?tuin=${echoUin}&vfwebqq=${s.vfwebqq}&t=0.1`);
    expect(info).toEqual({ retcode: 100001 });
    await http.post(
      '/channel/send_qun_msg2',
      sendBody(s, { group_uin: groups[1]?.gid as number }, ['again']),
    );
    const again = JSON.parse((await poll(http, s)).body);
    expect(again.result[0].value.send_uin).toBe(echoUin);
  });

  it('echoes from the listed member uin when echoSendUin is "member"', async () => {
    sim.updateSettings({ echoSendUin: 'member' });
    const { groups, discussions, selfMemberUin } = ids();
    await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: groups[0]?.gid as number }, ['g']));
    await http.post('/channel/send_discu_msg2', sendBody(s, { did: discussions[0]?.did as number }, ['d']));
    const reply = JSON.parse((await poll(http, s)).body);
    expect(reply.result.map((e: { value: { send_uin: number } }) => e.value.send_uin)).toEqual([
      selfMemberUin,
      selfMemberUin,
    ]);
    expect(reply.result[0].value.content).toEqual([FONT, 'g']);
  });

  it('echoes nothing when the echo is switched off, and again when switched on', async () => {
    const { groups } = ids();
    const gid = groups[0]?.gid as number;
    sim.updateSettings({ echo: false });
    expect(sim.settings()).toMatchObject({ eraPreset: null, era: { echo: false, sendOk: 'retcode' } });
    const off = await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['unseen']));
    expect(off.body).toBe('{"retcode":0,"result":"ok"}\n');
    expect(sim.counters()).toMatchObject({ sends: 1, eventsInjected: 0, eventsQueued: 0 });
    const empty = await poll(http, s);
    expect(JSON.parse(empty.body)).toEqual({ errmsg: 'error', retcode: 0 });
    sim.updateSettings({ echo: true });
    expect(sim.settings().eraPreset).toBe('2017-10');
    await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['seen']));
    expect(JSON.parse((await poll(http, s)).body).result[0].value.content).toEqual([FONT, 'seen']);
  });

  it('rejects content sent as an array, without a font, or with the font not last (100006)', async () => {
    const to = ids().friends[0]?.uin as number;
    const asArray = { ...sendBody(s, { to }, ['hi']), content: ['hi', FONT] };
    const noFont = { ...sendBody(s, { to }, []), content: JSON.stringify(['hi']) };
    const fontFirst = { ...sendBody(s, { to }, []), content: JSON.stringify([FONT, 'hi']) };
    const badItem = { ...sendBody(s, { to }, []), content: JSON.stringify([{ text: 'hi' }, FONT]) };
    const noMsgId = { ...sendBody(s, { to }, ['hi']), msg_id: 'one' };
    for (const r of [asArray, noFont, fontFirst, badItem, noMsgId]) {
      expect((await http.post('/channel/send_buddy_msg2', r)).body).toBe(
        '{"errmsg":"error!!!","retcode":100006}\n',
      );
    }
    expect(sim.sent()).toEqual([]);
  });

  it('answers 100001 to an unknown target, a code instead of a gid, a wrong clientid or psessionid', async () => {
    const { groups, friends } = ids();
    const cases = [
      ['/channel/send_buddy_msg2', sendBody(s, { to: 123456789 }, ['hi'])],
      ['/channel/send_qun_msg2', sendBody(s, { group_uin: groups[0]?.code as number }, ['hi'])],
      [
        '/channel/send_buddy_msg2',
        { ...sendBody(s, { to: friends[0]?.uin as number }, ['hi']), clientid: 1 },
      ],
      [
        '/channel/send_buddy_msg2',
        { ...sendBody(s, { to: friends[0]?.uin as number }, ['hi']), psessionid: 'ab' },
      ],
    ] as const;
    for (const [path, r] of cases) {
      expect(JSON.parse((await http.post(path, r)).body).retcode).toBe(100001);
    }
    expect(sim.counters().sends).toBe(0);
  });

  it('counts the same text to the same target within 10 s as a duplicate send', async () => {
    const gid = ids().groups[1]?.gid as number;
    await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['same'], 1));
    await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['other'], 2));
    await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['same'], 3));
    expect(sim.counters()).toMatchObject({ sends: 3, duplicateSends: 1 });
  });

  it('1202 faults: delivered records and echoes, not delivered records nothing', async () => {
    const gid = ids().groups[0]?.gid as number;
    sim.addFaults({
      faults: [
        { endpoint: 'send_qun_msg2', retcode: 1202, delivered: true },
        { endpoint: 'send_qun_msg2', retcode: 1202, delivered: false },
      ],
    });
    const first = await http.post(
      '/channel/send_qun_msg2',
      sendBody(s, { group_uin: gid }, ['did it arrive?']),
    );
    expect(first.body).toBe('{"errmsg":"error!!!","retcode":1202}\n');
    const second = await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['lost one']));
    expect(second.body).toBe('{"errmsg":"error!!!","retcode":1202}\n');
    expect(sim.sent().map((r) => [r.text, r.retcode])).toEqual([['did it arrive?', 1202]]);
    expect(sim.counters().eventsQueued).toBe(1);
  });

  it('refuses sends from a session that has ended', async () => {
    await http.post('/channel/login2', {
      ptwebqq: s.ptwebqq,
      clientid: CLIENT_ID,
      psessionid: '',
      status: 'online',
    });
    const to = ids().friends[0]?.uin as number;
    expect(
      JSON.parse((await http.post('/channel/send_buddy_msg2', sendBody(s, { to }, ['hi']))).body).retcode,
    ).toBe(100001);
  });
});
