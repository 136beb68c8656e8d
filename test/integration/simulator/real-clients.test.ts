/**
 * Requests exactly as two public SmartQQ bots sent them for years against the real service, which
 * accepted them: qq-bot-rebown (check_sig with the s.web2 proxy Referer) and pandolia/qqbot (a
 * requests.Session whose Referer and Origin headers stay as last set: its login page Referer on
 * check_sig, the d1.web2 Referer on the s.web2 friend, group and discussion lists, the last Origin
 * everywhere). The Referers are the ones those clients sent, written here as data.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { friendListHash, hash33 } from '../../../lib/smartqq/hash.ts';
import { ERA_PRESET_NAMES, type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { control } from '../../support/sim-control.ts';
import {
  type CallOptions,
  CLIENT_ID,
  type LoginHosts,
  login,
  ptuiArgs,
  type Reply,
  realHosts,
  SimHttp,
  TEST_WORLD,
} from './support.ts';

/** qq-bot-rebown's Referer on check_sig (its ptlogin4Referer), and on getvfwebqq. */
const REBOWN_CHECK_SIG_REFERER = 'https://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1';
/** pandolia/qqbot's login page: set as Referer for ptqrlogin, still set when it called check_sig. */
const PANDOLIA_LOGIN_PAGE_REFERER =
  'https://ui.ptlogin2.qq.com/cgi-bin/login?daid=164&target=self&style=16&mibao_css=m_webqq&appid=501004106&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20131024001';
/** pandolia/qqbot's d1.web2 Referer, which it also sent to the s.web2 friend/group/discussion lists. */
const PANDOLIA_D1_REFERER = 'https://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2';
const PANDOLIA_S_REFERER = 'https://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1';
const PANDOLIA_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:27.0) Gecko/20100101 Firefox/27.0';

let sim: Simulator;
let http: SimHttp | undefined;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 60 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  http?.close();
  http = undefined;
  sim.updateSettings({ era: '2017-10' });
});

/** A QR shown, allowed through the control API, and the check_sig path ptqrlogin answered. */
async function checkSigPath(h: SimHttp): Promise<string> {
  await h.get('/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1');
  await control(sim, 'POST', 'qr', { action: 'allow' });
  const qrsig = h.cookie('qrsig') as string;
  const qr = await h.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig)}&webqq_type=10&aid=501004106`);
  const url = new URL(ptuiArgs(qr.body)[2] as string);
  return url.pathname + url.search;
}

describe('check_sig Referer, as clients sent it', () => {
  it('accepts no Referer (the web client, this project)', async () => {
    http = new SimHttp(sim);
    expect((await http.get(await checkSigPath(http), { referer: null })).status).toBe(302);
  });

  it("accepts qq-bot-rebown's s.web2 proxy Referer", async () => {
    http = new SimHttp(sim);
    const reply = await http.get(await checkSigPath(http), { referer: REBOWN_CHECK_SIG_REFERER });
    expect(reply.status).toBe(302);
    expect(reply.setCookies.map((c) => c.split('=')[0])).toContain('p_skey');
  });

  it("accepts pandolia/qqbot's login page Referer", async () => {
    http = new SimHttp(sim);
    const reply = await http.get(await checkSigPath(http), { referer: PANDOLIA_LOGIN_PAGE_REFERER });
    expect(reply.status).toBe(302);
  });

  it('refuses an empty Referer header with 403', async () => {
    http = new SimHttp(sim);
    const path = await checkSigPath(http);
    const reply = await http.get(path, { referer: '' });
    expect(reply.status).toBe(403);
    expect(reply.body).toContain('403 Forbidden');
    expect(reply.setCookies).toEqual([]);
  });
});

describe('s.web2 lists with the d1.web2 Referer (pandolia/qqbot)', () => {
  it('answers the friend, group and discussion lists; refuses them without a Referer or with an empty one', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    const h = http;
    const r = { vfwebqq: s.vfwebqq, hash: friendListHash(20001, s.ptwebqq) };
    const discus = `/api/get_discus_list?clientid=${CLIENT_ID}&psessionid=${s.psessionid}&vfwebqq=${s.vfwebqq}&t=0.1`;
    const calls: Array<(opts: CallOptions) => Promise<Reply>> = [
      (opts) => h.post('/api/get_user_friends2', r, opts),
      (opts) => h.post('/api/get_group_name_list_mask2', r, opts),
      (opts) => h.get(discus, opts),
    ];
    const d1 = { referer: PANDOLIA_D1_REFERER, headers: { Origin: 'https://d1.web2.qq.com' } };
    const [friends, groups, discussions] = await Promise.all(calls.map((call) => call(d1)));
    expect(JSON.parse(friends?.body ?? '')).toMatchObject({
      retcode: 0,
      result: { friends: expect.any(Array) },
    });
    expect(JSON.parse(groups?.body ?? '')).toMatchObject({
      retcode: 0,
      result: { gnamelist: expect.any(Array) },
    });
    expect(JSON.parse(discussions?.body ?? '')).toMatchObject({
      retcode: 0,
      result: { dnamelist: [{ name: 'Weekend', did: expect.any(Number) }] },
    });
    for (const call of calls) {
      expect((await call({ referer: null })).status).toBe(403);
      expect((await call({ referer: '' })).status).toBe(403);
    }
  });

  it('accepts misspelled Referers and a wrong Origin', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    const r = { vfwebqq: s.vfwebqq, hash: friendListHash(20001, s.ptwebqq) };
    for (const referer of [
      'https://s.web2.qq.com/proxy.htm?v=20130916001&callback=1&id=1',
      'http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2',
      'https://w.qq.com/',
    ]) {
      const reply = await http.post('/api/get_user_friends2', r, {
        referer,
        headers: { Origin: 'https://d1.web2.qq.com' },
      });
      expect(JSON.parse(reply.body).retcode, referer).toBe(0);
    }
    const poll = await http.post(
      '/channel/poll2',
      { ptwebqq: s.ptwebqq, clientid: CLIENT_ID, psessionid: s.psessionid, key: '' },
      { referer: 'https://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1', headers: { Origin: 'x' } },
    );
    expect(poll.status).toBe(200);
  });
});

/**
 * pandolia/qqbot's way of talking, reduced to what it sent: one session whose Referer and Origin
 * stay as last set (requests.Session.headers.update), its User-Agent, success read as
 * `retcode` or else `errCode` equal to 0, a 502/504 poll read as "nothing yet".
 */
class PandoliaLikeClient {
  private referer: string | null = null;
  private origin: string | null = null;
  readonly http: SimHttp;

  constructor(
    sim: Simulator,
    private readonly hosts: LoginHosts,
  ) {
    this.http = new SimHttp(sim);
  }

  get(path: string, host: keyof LoginHosts, referer?: string, origin?: string): Promise<Reply> {
    return this.call('GET', path, undefined, host, referer, origin);
  }

  post(path: string, r: unknown, host: keyof LoginHosts, referer?: string, origin?: string): Promise<Reply> {
    return this.call('POST', path, `r=${encodeURIComponent(JSON.stringify(r))}`, host, referer, origin);
  }

  /** `retcode`, else `errCode`, as its smartRequest read them; the result, or the whole answer. */
  static outcome(reply: Reply): { code: number; result: unknown } {
    const rst = JSON.parse(reply.body) as Record<string, unknown>;
    const code = (rst.retcode ?? rst.errCode ?? -1) as number;
    return { code, result: rst.result ?? rst };
  }

  private call(
    method: string,
    path: string,
    body: string | undefined,
    host: keyof LoginHosts,
    referer?: string,
    origin?: string,
  ): Promise<Reply> {
    if (referer !== undefined) this.referer = referer;
    if (origin !== undefined) this.origin = origin;
    return this.http.call(method, path, body, {
      host: this.hosts[host],
      referer: this.referer,
      userAgent: PANDOLIA_UA,
      headers: this.origin === null ? {} : { Origin: this.origin },
    });
  }
}

describe('a client sending those Referers logs in, lists and sends', () => {
  it.each(ERA_PRESET_NAMES)('in era %s', async (era) => {
    sim.updateSettings({ era });
    sim.clearSent();
    const c = new PandoliaLikeClient(sim, realHosts(sim.port));
    http = c.http;
    const ok = (reply: Reply) => {
      const { code, result } = PandoliaLikeClient.outcome(reply);
      expect(code, reply.body).toBe(0);
      return result as Record<string, unknown>;
    };

    // Login: its login page (no Referer yet), the QR, ptqrlogin with the login page as Referer.
    expect((await c.get('/cgi-bin/login?daid=164&appid=501004106', 'ptlogin')).status).toBe(200);
    await c.get(`/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=${Math.random()}`, 'ptlogin');
    const qrsig = c.http.cookie('qrsig', 'ssl.ptlogin2.qq.com') as string;
    const ptqrlogin = `/ptqrlogin?ptqrtoken=${hash33(qrsig)}&webqq_type=10&remember_uin=1&login2qq=1&aid=501004106&ptredirect=0&ptlang=2052&daid=164&from_ui=1&pttype=1&dumy=&fp=loginerroralert&action=0-0-1000000&mibao_css=m_webqq&t=undefined&g=1&js_type=0&js_ver=10141&login_sig=&pt_randsalt=0`;
    const codes: string[] = [];
    const qrStep = async () => {
      const reply = await c.get(ptqrlogin, 'ptlogin', PANDOLIA_LOGIN_PAGE_REFERER);
      codes.push(ptuiArgs(reply.body)[0] as string);
      return ptuiArgs(reply.body);
    };
    await qrStep();
    await control(sim, 'POST', 'qr', { action: 'scan' });
    await qrStep();
    await control(sim, 'POST', 'qr', { action: 'allow' });
    const [, , checkSigUrl, , , nick] = await qrStep();
    expect(codes).toEqual(['66', '67', '0']);
    expect(nick).toBe('TestBot');

    // check_sig with the login page Referer still set; the 302 is not followed here.
    const checkSig = new URL(checkSigUrl as string);
    const redirect = await c.get(checkSig.pathname + checkSig.search, 'checkSig');
    expect(redirect.status).toBe(302);
    const ptwebqq = c.http.cookie('ptwebqq', 's.web2.qq.com') ?? '';
    expect(ptwebqq === '').toBe(era === '2018');

    const vfwebqq = ok(
      await c.get(
        `/api/getvfwebqq?ptwebqq=${ptwebqq}&clientid=${CLIENT_ID}&psessionid=&t=0.1`,
        'sweb2',
        PANDOLIA_S_REFERER,
        'https://s.web2.qq.com',
      ),
    ).vfwebqq as string;
    const session = ok(
      await c.post(
        '/channel/login2',
        { ptwebqq, clientid: CLIENT_ID, psessionid: '', status: 'online' },
        'd1web2',
        PANDOLIA_D1_REFERER,
        'https://d1.web2.qq.com',
      ),
    );
    const psessionid = session.psessionid as string;
    const uin = session.uin as number;
    const buddies = `/channel/get_online_buddies2?vfwebqq=${vfwebqq}&clientid=${CLIENT_ID}&psessionid=${psessionid}&t=0.1`;
    ok(await c.get(buddies, 'd1web2', PANDOLIA_D1_REFERER, 'https://d1.web2.qq.com'));

    // The lists on s.web2 with the d1.web2 Referer (and the d1.web2 Origin still set).
    const hash = friendListHash(uin, ptwebqq);
    const friends = ok(
      await c.post('/api/get_user_friends2', { vfwebqq, hash }, 'sweb2', PANDOLIA_D1_REFERER),
    );
    const groups = ok(
      await c.post('/api/get_group_name_list_mask2', { vfwebqq, hash }, 'sweb2', PANDOLIA_D1_REFERER),
    );
    const discussions = ok(
      await c.get(
        `/api/get_discus_list?clientid=${CLIENT_ID}&psessionid=${psessionid}&vfwebqq=${vfwebqq}&t=0.1`,
        'sweb2',
        PANDOLIA_D1_REFERER,
      ),
    );
    const friend = (friends.info as Array<{ uin: number; nick: string }>).find((f) => f.nick === 'Carol');
    const group = (groups.gnamelist as Array<{ gid: number; code: number; name: string }>)[1];
    const discussion = (discussions.dnamelist as Array<{ did: number; name: string }>)[0];
    expect([friend?.nick, group?.name, discussion?.name]).toEqual(['Carol', 'Quiet', 'Weekend']);
    const detail = ok(
      await c.get(
        `/api/get_group_info_ext2?gcode=${group?.code}&vfwebqq=${vfwebqq}&t=0.1`,
        'sweb2',
        PANDOLIA_S_REFERER,
      ),
    );
    expect((detail.minfo as unknown[]).length).toBe(4);

    // Sends, with the d1.web2 Referer: every success body reads as 0.
    let msgId = 6_000_000;
    const send = (path: string, target: Record<string, number>, text: string) =>
      c.post(
        path,
        {
          ...target,
          content: JSON.stringify([
            text,
            ['face', 14],
            ['font', { name: '宋体', size: 10, style: [0, 0, 0], color: '000000' }],
          ]),
          face: 522,
          clientid: CLIENT_ID,
          msg_id: ++msgId,
          psessionid,
        },
        'd1web2',
        PANDOLIA_D1_REFERER,
      );
    const sends = [
      await send('/channel/send_buddy_msg2', { to: friend?.uin as number }, 'hello Carol'),
      await send('/channel/send_qun_msg2', { group_uin: group?.gid as number }, 'hello group'),
      await send('/channel/send_discu_msg2', { did: discussion?.did as number }, 'hello discussion'),
    ];
    for (const reply of sends) {
      expect(reply.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(reply.body.endsWith('\n')).toBe(true);
      expect(PandoliaLikeClient.outcome(reply).code, reply.body).toBe(0);
    }
    expect(sim.sent().map((m) => [m.type, m.to.name, m.text])).toEqual([
      ['friend', 'Carol', 'hello Carol[微笑]'],
      ['group', 'Quiet', 'hello group[微笑]'],
      ['discussion', 'Weekend', 'hello discussion[微笑]'],
    ]);

    // A poll: the echoes where the era has them, else nothing yet (an nginx 504 in the errCode eras).
    const polled = await c.post(
      '/channel/poll2',
      { ptwebqq, clientid: CLIENT_ID, psessionid, key: '' },
      'd1web2',
      PANDOLIA_D1_REFERER,
    );
    if (era === '2015') {
      expect(polled.status).toBe(504);
    } else {
      const events = ok(polled) as unknown as Array<{ poll_type: string; value: { send_uin: number } }>;
      expect(events.map((e) => e.poll_type)).toEqual(['group_message', 'discu_message']);
      const members = (detail.minfo as Array<{ uin: number }>).map((m) => m.uin);
      for (const e of events) expect(members).not.toContain(e.value.send_uin);
    }
  });
});
