/**
 * QR login on ptlogin2 and the check_sig redirect (docs/protocol.md §2, §7), with the cookies the real
 * servers set (fixtures/smartqq/get_ptwebqq_headers.txt, verify_status_*.txt).
 */
import QRCode from 'qrcode';
import { hash33 } from '../../../lib/smartqq/hash.ts';
import type { CookieSpec } from '../cookies.ts';
import type { AccountLogin } from '../logins.ts';
import { randomToken, randomTraceNumber } from '../tokens.ts';
import { type Exchange, HTML_TYPE } from './exchange.ts';
import type { Route } from './route.ts';

const JS_TYPE = 'application/javascript; charset=utf-8';
const PROXY_URL = 'http://w.qq.com/proxy.html?login2qq=1&webqq_type=10';

function loginPage(title: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><div id="login">QQ帐号安全登录</div></body></html>\n`;
}

/** `ptuiCB('66','0','','0','二维码未失效。(473959432)', '');` — spacing as the real one. */
function ptuiCB(code: string, url: string, message: string, nick: string): string {
  const js = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return `ptuiCB('${code}','0','${js(url)}','0','${js(message)}', '${js(nick)}');\r\n`;
}

function checkSigUrl(ex: Exchange, login: AccountLogin): string {
  const origin = ex.realHost
    ? `http://ptlogin4.web2.qq.com:${ex.socket.localPort}`
    : `http://127.0.0.1:${ex.socket.localPort}`;
  const params = [
    'pttype=1',
    `uin=${login.account.qq}`,
    'service=ptqrlogin',
    'nodirect=0',
    `ptsigx=${login.ptsigx}`,
    `s_url=${encodeURIComponent(PROXY_URL)}`,
    'f_url=',
    'ptlang=2052',
    'ptredirect=100',
    'aid=501004106',
    'daid=164',
    'j_later=0',
    'low_login_hour=0',
    'regmaster=0',
    'pt_login_type=3',
    'pt_aid=0',
    'pt_aaid=16',
    'pt_light=0',
    'pt_3rd_aid=0',
  ];
  return `${origin}/check_sig?${params.join('&')}`;
}

export const PTLOGIN_ROUTES: readonly Route[] = [
  {
    path: '/cgi-bin/login',
    host: 'ptlogin',
    handle: (ex) => ex.reply(200, HTML_TYPE, loginPage('QQ帐号安全登录')),
  },
  {
    path: '/cgi-bin/xlogin',
    host: 'ptlogin',
    handle: (ex) => {
      ex.setCookies([{ name: 'pt_login_sig', value: randomToken(64), domain: 'ptlogin2.qq.com' }]);
      ex.reply(200, HTML_TYPE, loginPage('QQ帐号安全登录'));
    },
  },
  {
    path: '/ptqrshow',
    host: 'ptlogin',
    handle: async (ex, { core }) => {
      // A browser asking again sends its last QR's qrsig: the simulator learns what it turned down.
      const qr = core.showQr(ex.cookies.get('qrsig'));
      const png = await QRCode.toBuffer(qr.text);
      ex.setCookies([{ name: 'qrsig', value: qr.qrsig, domain: 'ptlogin2.qq.com' }]);
      ex.reply(200, 'image/png', png);
    },
  },
  {
    path: '/ptqrlogin',
    host: 'ptlogin',
    handle: (ex, { core }) => {
      const qrsig = ex.cookies.get('qrsig');
      if (qrsig === undefined || ex.query('ptqrtoken') !== String(hash33(qrsig))) {
        ex.nginx(403);
        return;
      }
      const qr = core.qr.find(qrsig);
      if (qr) core.qr.expireIfOld(qr, core.now(), core.settings.qrTtlMs);
      const trace = `(${randomTraceNumber()})`;
      const login = qr?.status === 'confirmed' ? qr.login : undefined;
      if (!qr || qr.status === 'expired' || (login && !core.loginAlive(login))) {
        ex.reply(200, JS_TYPE, ptuiCB('65', '', `二维码已失效。${trace}`, ''));
      } else if (qr.status === 'waiting') {
        ex.reply(200, JS_TYPE, ptuiCB('66', '', `二维码未失效。${trace}`, ''));
      } else if (!login) {
        ex.reply(200, JS_TYPE, ptuiCB('67', '', `二维码认证中。${trace}`, ''));
      } else {
        const o = `o${login.account.qq}`;
        ex.setCookies([
          { name: 'uin', value: o, domain: 'qq.com' },
          { name: 'skey', value: login.skey, domain: 'qq.com' },
          { name: 'ptwebqq', value: login.ptwebqq, domain: 'qq.com' },
          { name: 'superuin', value: o, domain: 'ptlogin2.qq.com' },
          { name: 'superkey', value: login.superkey, domain: 'ptlogin2.qq.com' },
          { name: 'supertoken', value: login.supertoken, domain: 'ptlogin2.qq.com' },
        ]);
        core.log(`login: ptqrlogin 0 for ${login.account.qq}`);
        ex.reply(200, JS_TYPE, ptuiCB('0', checkSigUrl(ex, login), '登录成功！', login.account.nick));
      }
    },
  },
  {
    path: '/check_sig',
    host: 'check_sig',
    handle: (ex, { core }) => {
      const login = core.logins.byPtsigx(ex.query('ptsigx') ?? '');
      if (!login || ex.query('uin') !== String(login.account.qq) || !core.loginAlive(login)) {
        ex.reply(403, HTML_TYPE, loginPage('登录失败'));
        return;
      }
      login.checkSigDone = true;
      ex.setCookies(checkSigCookies(login, ex.realHost));
      core.log(`login: check_sig ok for ${login.account.qq}`);
      ex.reply(302, 'text/html', '', {
        Location: PROXY_URL,
        P3P: 'CP="CAO PSA OUR"',
        Server: 'Tencent Login Server/2.0.0',
        Connection: 'close',
      });
    },
  },
];

const EPOCH = new Date(Date.UTC(1970, 0, 2));

/** As fixtures/smartqq/get_ptwebqq_headers.txt, in its order. */
function checkSigCookies(login: AccountLogin, realHost: boolean): CookieSpec[] {
  const o = `o${login.account.qq}`;
  const inTwoYears = new Date(Date.now() + 2 * 365 * 24 * 3600_000);
  const cookies: CookieSpec[] = [
    { name: 'uin', value: o, domain: 'qq.com' },
    { name: 'skey', value: login.skey, domain: 'qq.com' },
    { name: 'pt2gguin', value: o, domain: 'qq.com', expires: inTwoYears },
    { name: 'p_skey', value: login.pSkey, domain: 'web2.qq.com', strayTerminator: true },
    { name: 'pt4_token', value: login.pt4Token, domain: 'web2.qq.com' },
  ];
  // These clear stale qq.com-wide copies. Host-only, the same names would be the same cookies and
  // the clearing lines (which come after) would delete the fresh p_skey and pt4_token: left out.
  if (realHost) {
    for (const name of ['p_uin', 'p_skey', 'pt4_token'])
      cookies.push({ name, value: '', domain: 'qq.com', expires: EPOCH });
  }
  cookies.push({ name: 'p_uin', value: o, domain: 'web2.qq.com' });
  return cookies;
}
