import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { friendListHash, hash33 } from '../../../lib/smartqq/hash.ts';
import { type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { localHosts, login, ptuiArgs, realHosts, SimHttp, sleep, TEST_WORLD } from './support.ts';

let sim: Simulator;
let http: SimHttp;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 300, qrTtlMs: 60_000 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  http?.close();
  sim.updateSettings({ qrTtlMs: 60_000, era: '2017-10' });
});

async function showQr(h: SimHttp, host?: string) {
  const reply = await h.get('/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1', host ? { host } : {});
  return { reply, qrsig: h.cookie('qrsig', host?.replace(/:\d+$/, '')) as string };
}

function qrStatus(h: SimHttp, qrsig: string) {
  return h.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig)}&webqq_type=10&remember_uin=1&login2qq=1&aid=501004106`);
}

describe('QR login', () => {
  it('serves a PNG and a qrsig cookie', async () => {
    http = new SimHttp(sim);
    const { reply, qrsig } = await showQr(http);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('image/png');
    expect(reply.raw.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(qrsig).toMatch(/^[A-Za-z0-9*-]{64}$/);
  });

  it('goes 66 → 67 → 0 with the ptlogin cookies and the nick', async () => {
    http = new SimHttp(sim);
    const { qrsig } = await showQr(http);
    const waiting = await qrStatus(http, qrsig);
    expect(ptuiArgs(waiting.body).slice(0, 2)).toEqual(['66', '0']);
    expect(waiting.body).toMatch(/^ptuiCB\('66','0','','0','二维码未失效。\(\d+\)', ''\);\r\n$/);

    sim.qr('scan');
    expect(ptuiArgs((await qrStatus(http, qrsig)).body)[0]).toBe('67');

    sim.qr('allow', 20002);
    const done = await qrStatus(http, qrsig);
    const [code, , url, , message, nick] = ptuiArgs(done.body);
    expect([code, message, nick]).toEqual(['0', '登录成功！', 'OtherBot']);
    expect(url).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:${sim.port}/check_sig\\?pttype=1&uin=20002&service=ptqrlogin&nodirect=0&ptsigx=[0-9a-f]{128}&s_url=`,
      ),
    );
    const names = done.setCookies.map((c) => c.split('=')[0]);
    expect(names).toEqual(['uin', 'skey', 'ptwebqq', 'superuin', 'superkey', 'supertoken']);
    expect(http.cookie('uin')).toBe('o20002');
    expect(http.cookie('ptwebqq')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 65 once the QR expires, by time or by control', async () => {
    http = new SimHttp(sim);
    sim.updateSettings({ qrTtlMs: 150 });
    const { qrsig } = await showQr(http);
    expect(ptuiArgs((await qrStatus(http, qrsig)).body)[0]).toBe('66');
    await sleep(200);
    const expired = await qrStatus(http, qrsig);
    expect(expired.body).toMatch(/^ptuiCB\('65','0','','0','二维码已失效。\(\d+\)', ''\);/);

    sim.updateSettings({ qrTtlMs: 60_000 });
    const second = await showQr(http);
    sim.qr('expire');
    expect(ptuiArgs((await qrStatus(http, second.qrsig)).body)[0]).toBe('65');
    expect(() => sim.qr('allow')).toThrow(/expired/);
  });

  it('keeps each browser its own QR: a second QR leaves the first waiting, the control API acts on the newest', async () => {
    http = new SimHttp(sim);
    const other = new SimHttp(sim);
    const first = await showQr(http);
    const second = await showQr(other);
    expect(ptuiArgs((await qrStatus(http, first.qrsig)).body)[0]).toBe('66');
    sim.qr('scan');
    expect(ptuiArgs((await qrStatus(other, second.qrsig)).body)[0]).toBe('67');
    expect(ptuiArgs((await qrStatus(http, first.qrsig)).body)[0]).toBe('66');
    other.close();
  });

  it('automatic scan: a browser that turns an account down gets another, and that account is free for its own bot', async () => {
    // Three bots logging in at once; the automatic scan cannot know whose QR is whose at first.
    const world = {
      ...TEST_WORLD,
      accounts: [...TEST_WORLD.accounts, { qq: 20003, nick: 'ThirdBot', friends: [{ qq: 10001 }] }],
    };
    const auto = await startSimulator({ world, pollHoldMs: 300, autoScanAfterMs: 40 });
    const browserOf20002 = new SimHttp(auto);
    const browserOf20001 = new SimHttp(auto);
    const allowedWith = async (h: SimHttp, qrsig: string) => {
      for (;;) {
        const args = ptuiArgs((await qrStatus(h, qrsig)).body);
        if (args[0] === '0') return new URL(args[2] as string).searchParams.get('uin');
        await sleep(10);
      }
    };
    try {
      // 20002's bot is shown a QR first, and it is allowed with 20001: its bot turns it down
      // (no check_sig) and asks for a new QR, sending the old qrsig as any browser does.
      const first = await showQr(browserOf20002);
      expect(await allowedWith(browserOf20002, first.qrsig)).toBe('20001');
      const second = await showQr(browserOf20002);
      const own = await showQr(browserOf20001);
      // Not 20001 again for that browser; and 20001, turned down, is free at once for its own bot
      // (not held back for 30 s as if it were linking, which would hand 20001's bot 20003).
      expect(await allowedWith(browserOf20002, second.qrsig)).toBe('20002');
      expect(await allowedWith(browserOf20001, own.qrsig)).toBe('20001');
    } finally {
      browserOf20002.close();
      browserOf20001.close();
      await auto.close();
    }
  });

  it('answers 403 without the right ptqrtoken or without a User-Agent', async () => {
    http = new SimHttp(sim);
    const { qrsig } = await showQr(http);
    expect((await http.get('/ptqrlogin?webqq_type=10')).status).toBe(403);
    expect((await http.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig) + 1}`)).status).toBe(403);
    expect((await http.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig)}`, { userAgent: null })).status).toBe(403);
    expect((await qrStatus(http, qrsig)).status).toBe(200);
  });

  it('serves the login pages, xlogin with a pt_login_sig cookie', async () => {
    http = new SimHttp(sim);
    const page = await http.get('/cgi-bin/login?appid=501004106');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html>');
    const xlogin = await http.get('/cgi-bin/xlogin?appid=501004106', {
      host: `xui.ptlogin2.qq.com:${sim.port}`,
    });
    expect(xlogin.setCookies[0]).toMatch(/^pt_login_sig=[^;]+; PATH=\/; DOMAIN=ptlogin2\.qq\.com;$/);
  });
});

describe('check_sig', () => {
  async function confirmedQr(h: SimHttp) {
    const { qrsig } = await showQr(h);
    sim.qr('allow');
    const url = new URL(ptuiArgs((await qrStatus(h, qrsig)).body)[2] as string);
    return url.pathname + url.search;
  }

  it('refuses only an empty Referer (and a missing User-Agent); none or any other is accepted', async () => {
    http = new SimHttp(sim);
    const path = await confirmedQr(http);
    expect((await http.get(path, { referer: '' })).status).toBe(403);
    expect((await http.get(path, { referer: null, userAgent: null })).status).toBe(403);
    expect((await http.get(path, { referer: 'http://w.qq.com/proxy.html' })).status).toBe(302);
    const ok = await http.get(path, { referer: null });
    expect(ok.status).toBe(302);
    expect(ok.headers.location).toBe('http://w.qq.com/proxy.html?login2qq=1&webqq_type=10');
  });

  it('refuses a ptsigx that no login reached', async () => {
    http = new SimHttp(sim);
    const path = await confirmedQr(http);
    const forged = path.replace(/ptsigx=[0-9a-f]+/, `ptsigx=${'0'.repeat(128)}`);
    expect((await http.get(forged, { referer: null })).status).toBe(403);
  });

  it('sets host-only cookies when addressed as 127.0.0.1', async () => {
    http = new SimHttp(sim);
    const reply = await http.get(await confirmedQr(http), { referer: null });
    expect(reply.setCookies.every((c) => !c.includes('DOMAIN'))).toBe(true);
    expect(reply.setCookies.every((c) => c.endsWith(';'))).toBe(true);
    expect(reply.setCookies.map((c) => c.split('=')[0])).toEqual([
      'uin',
      'skey',
      'pt2gguin',
      'p_skey',
      'pt4_token',
      'p_uin',
    ]);
    expect(http.cookie('p_skey')).toMatch(/_$/);
  });
});

describe('real host names', () => {
  it('sets the real DOMAINs, points check_sig at ptlogin4.web2 and logs in with domain cookies', async () => {
    http = new SimHttp(sim);
    const hosts = realHosts(sim.port);
    const { reply } = await showQr(http, hosts.ptlogin);
    expect(reply.setCookies).toEqual([
      expect.stringMatching(/^qrsig=[^;]+; PATH=\/; DOMAIN=ptlogin2\.qq\.com;$/),
    ]);
    const session = await login(http, { hosts });
    expect(session.uin).toBe(20001);
    // ptwebqq (qq.com) reaches s.web2; qrsig (ptlogin2.qq.com) does not.
    expect(http.cookie('ptwebqq', 's.web2.qq.com')).toBe(session.ptwebqq);
    expect(http.cookie('qrsig', 's.web2.qq.com')).toBeUndefined();
    expect(http.cookie('p_skey', 'ssl.ptlogin2.qq.com')).toBeUndefined();
    expect(http.cookie('p_skey', 'd1.web2.qq.com')).toBeDefined();
  });

  it('writes check_sig cookies like the captured ones', async () => {
    http = new SimHttp(sim);
    const hosts = realHosts(sim.port);
    const { qrsig } = await showQr(http, hosts.ptlogin);
    sim.qr('allow');
    const qr = await http.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig)}`, { host: hosts.ptlogin });
    const url = new URL(ptuiArgs(qr.body)[2] as string);
    expect(url.host).toBe(`ptlogin4.web2.qq.com:${sim.port}`);
    expect(qr.setCookies).toContain(`ptwebqq=${http.cookie('ptwebqq', 'qq.com')}; PATH=/; DOMAIN=qq.com;`);
    const reply = await http.get(url.pathname + url.search, { host: hosts.checkSig, referer: null });
    expect(reply.headers.connection).toBe('close');
    const lines = reply.setCookies;
    expect(lines[0]).toBe('uin=o20001; PATH=/; DOMAIN=qq.com;');
    expect(lines[2]).toMatch(
      /^pt2gguin=o20001; EXPIRES=\w{3}, \d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2} GMT; PATH=\/; DOMAIN=qq\.com;$/,
    );
    expect(lines[3]).toMatch(/^p_skey=\S+_; PATH=\/; DOMAIN=web2\.qq\.com; ;$/);
    expect(lines).toContain('p_skey=; EXPIRES=Fri, 02-Jan-1970 00:00:00 GMT; PATH=/; DOMAIN=qq.com;');
    expect(lines.at(-1)).toBe('p_uin=o20001; PATH=/; DOMAIN=web2.qq.com;');
  });
});

describe('ptwebqq era', () => {
  it('2018: sets an empty ptwebqq and accepts it on getvfwebqq, login2 and the list hash', async () => {
    http = new SimHttp(sim);
    sim.updateSettings({ era: '2018' });
    const session = await login(http, { hosts: localHosts(sim.port) });
    expect(session.ptwebqq).toBe('');
    expect(session.psessionid).toMatch(/^[0-9a-f]+$/);
    const groups = await http.json('/api/get_group_name_list_mask2', {
      vfwebqq: session.vfwebqq,
      hash: friendListHash(20001, ''),
    });
    expect(groups.retcode).toBe(0);
  });
});
