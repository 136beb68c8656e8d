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
  sim.updateSettings({ era: { sendOk: 'errCode', discuSend100100: false } });
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
    expect(reply.body).toBe('{"errCode":0,"msg":"send ok"}\n');
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

  it('answers the retcode body in the later era, and 100100 for discussions when set', async () => {
    sim.updateSettings({ era: { sendOk: 'retcode', discuSend100100: true } });
    const gid = ids().groups[0]?.gid as number;
    const group = await http.post('/channel/send_qun_msg2', sendBody(s, { group_uin: gid }, ['x']));
    expect(group.body).toBe('{"retcode":0,"result":"ok"}\n');
    const did = ids().discussions[0]?.did as number;
    const discu = await http.post('/channel/send_discu_msg2', sendBody(s, { did }, ['y']));
    expect(discu.body).toBe('{"retcode":100100}\n');
    expect(sim.sent().map((r) => r.to.name)).toEqual(['Hiking <Club>', 'Weekend']);
  });

  it('echoes group and discussion sends through poll with the session member uin as send_uin', async () => {
    const { groups, discussions, selfMemberUin } = ids();
    await http.post(
      '/channel/send_qun_msg2',
      sendBody(s, { group_uin: groups[0]?.gid as number }, ['to the group <3']),
    );
    await http.post(
      '/channel/send_discu_msg2',
      sendBody(s, { did: discussions[0]?.did as number }, ['to the discussion']),
    );
    const reply = JSON.parse((await poll(http, s)).body);
    expect(reply.result.map((e: { poll_type: string }) => e.poll_type)).toEqual([
      'group_message',
      'discu_message',
    ]);
    expect(reply.result[0].value).toMatchObject({ from_uin: groups[0]?.gid, send_uin: selfMemberUin });
    expect(reply.result[0].value.send_uin).not.toBe(s.uin);
    expect(reply.result[0].value.content[1]).toBe('to the group &lt;3');
    expect(reply.result[1].value).toMatchObject({ did: discussions[0]?.did, send_uin: selfMemberUin });
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
