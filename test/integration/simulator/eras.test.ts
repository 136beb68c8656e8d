/**
 * The era presets: each one a moment the real service had, its send success body and empty poll
 * going together (errCode sends never with the 2017-10 empty poll), the echo of own group and
 * discussion sends from 2017-05 on, an empty ptwebqq in 2018.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ERA_PRESET_NAMES,
  ERA_PRESETS,
  type EraPresetName,
  type Simulator,
  startSimulator,
} from '../../../local/simulator/index.ts';
import { FONT, login, poll, SimHttp, sendBody, TEST_WORLD } from './support.ts';

const HOLD_MS = 60;
let sim: Simulator;
let http: SimHttp | undefined;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: HOLD_MS });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  http?.close();
  http = undefined;
  sim.updateSettings({ era: '2017-10' });
});

const NGINX_504 = /<title>504 Gateway Time-out<\/title>/;

/** What each preset must answer: the send success body, the empty hold, the echo, the ptwebqq. */
const DOCUMENTED: Record<
  EraPresetName,
  { sendOk: string; emptyStatus: number; empty: RegExp; echo: boolean; ptwebqqEmpty: boolean }
> = {
  '2015': {
    sendOk: '{"errCode":0,"msg":"send ok"}\n',
    emptyStatus: 504,
    empty: NGINX_504,
    echo: false,
    ptwebqqEmpty: false,
  },
  '2017-05': {
    sendOk: '{"errCode":0,"msg":"send ok"}\n',
    emptyStatus: 504,
    empty: NGINX_504,
    echo: true,
    ptwebqqEmpty: false,
  },
  '2017-10': {
    sendOk: '{"retcode":0,"result":"ok"}\n',
    emptyStatus: 200,
    empty: /^\{"errmsg":"error","retcode":0\}$/,
    echo: true,
    ptwebqqEmpty: false,
  },
  '2018': {
    sendOk: '{"retcode":0,"result":"ok"}\n',
    emptyStatus: 200,
    empty: /^\{"retcode":100012,"errmsg":"error!!!"\}$/,
    echo: true,
    ptwebqqEmpty: true,
  },
};

describe('era presets', () => {
  it('has exactly the documented presets, and 2017-10 is the default', async () => {
    expect([...ERA_PRESET_NAMES].sort()).toEqual(Object.keys(DOCUMENTED).sort());
    expect(Object.keys(ERA_PRESETS).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    const fresh = await startSimulator({ world: TEST_WORLD });
    try {
      expect(fresh.settings()).toMatchObject({
        eraPreset: '2017-10',
        era: ERA_PRESETS['2017-10'],
        echoSendUin: 'virtual',
      });
      expect(fresh.settings().era).toMatchObject({ sendOk: 'retcode', emptyPoll: 'errmsg', echo: true });
    } finally {
      await fresh.close();
    }
  });

  it.each(ERA_PRESET_NAMES)('%s answers its documented send body, empty poll and echo', async (name) => {
    const expected = DOCUMENTED[name];
    sim.updateSettings({ era: name });
    expect(sim.settings().eraPreset).toBe(name);
    http = new SimHttp(sim);
    const s = await login(http);
    expect(s.ptwebqq === '').toBe(expected.ptwebqqEmpty);
    const ids = sim.contacts(20001);

    const friend = await http.post(
      '/channel/send_buddy_msg2',
      sendBody(s, { to: ids.friends[0]?.uin as number }, ['hi']),
    );
    expect(friend.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(friend.body).toBe(expected.sendOk);
    const group = await http.post(
      '/channel/send_qun_msg2',
      sendBody(s, { group_uin: ids.groups[0]?.gid as number }, ['to all ', ['face', 13]]),
    );
    expect(group.body).toBe(expected.sendOk);
    // Discussion sends answer the same body: 100100 is in no preset (not dated by the protocol).
    const discu = await http.post(
      '/channel/send_discu_msg2',
      sendBody(s, { did: ids.discussions[0]?.did as number }, ['to some']),
    );
    expect(discu.body).toBe(expected.sendOk);

    const first = await poll(http, s);
    if (expected.echo) {
      const events = JSON.parse(first.body).result as Array<{ value: Record<string, unknown> }>;
      expect(events.map((e) => e.value.content)).toEqual([
        [FONT, 'to all ', ['face', 13]],
        [FONT, 'to some'],
      ]);
      expect(events.map((e) => e.value.send_uin)).toEqual([ids.echoUin, ids.echoUin]);
      const empty = await poll(http, s);
      expect(empty.status).toBe(expected.emptyStatus);
      expect(empty.body).toMatch(expected.empty);
    } else {
      expect(first.status).toBe(expected.emptyStatus);
      expect(first.body).toMatch(expected.empty);
      expect(sim.counters().eventsQueued).toBe(0);
    }
  });

  it('takes a preset as a start option, and marks detail changes as no preset', async () => {
    const old = await startSimulator({ world: TEST_WORLD, era: '2015' });
    try {
      expect(old.settings()).toMatchObject({ eraPreset: '2015', era: ERA_PRESETS['2015'] });
      expect(old.updateSettings({ echo: true })).toMatchObject({ eraPreset: '2017-05' });
      expect(old.updateSettings({ era: { emptyPoll: 'retmsg' } })).toMatchObject({
        eraPreset: null,
        era: { emptyPoll: 'retmsg', sendOk: 'errCode', echo: true },
      });
      expect(old.updateSettings({ era: '2018' }).era).toEqual(ERA_PRESETS['2018']);
      expect(() => old.updateSettings({ era: 'now' as EraPresetName })).toThrow(/era: must be one of/);
    } finally {
      await old.close();
    }
  });
});
