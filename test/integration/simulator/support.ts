/**
 * A bare SmartQQ HTTP client for testing the simulator itself: node:http with a keep-alive agent and
 * a small domain-aware cookie jar, the real headers, and the login steps. Not the project's client,
 * so that a bug in one cannot hide a bug in the other.
 */
import { Agent, request } from 'node:http';
import { hash33 } from '../../../lib/smartqq/hash.ts';
import type { Simulator } from '../../../local/simulator/index.ts';

export const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0 Safari/537.36';
export const S_REFERER = 'https://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1';
export const D_REFERER = 'https://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2';
export const D_REFERER_CF = 'https://d1.web2.qq.com/cfproxy.html?v=20151105001&callback=1';
export const CLIENT_ID = 53999199;

export const TEST_WORLD = {
  people: [
    { qq: 10001, nick: 'Alice' },
    { qq: 10002, nick: 'Bob & Co' },
    { qq: 10003, nick: 'Carol' },
    { qq: 10004, nick: 'Dana\u00a0Lee' },
  ],
  accounts: [
    {
      qq: 20001,
      nick: 'TestBot',
      friends: [
        { qq: 10001, markname: 'Ali', category: '同学' },
        { qq: 10002, category: '同学' },
        { qq: 10003 },
      ],
      groups: [
        {
          name: 'Hiking <Club>',
          owner: 10001,
          members: [{ qq: 10001, card: 'Trail Boss' }, { qq: 10002 }, { qq: 20001 }],
        },
        { name: 'Quiet', members: [{ qq: 10002 }, { qq: 10003 }, { qq: 10004 }, { qq: 20001 }] },
      ],
      discussions: [{ name: 'Weekend', members: [10001, 10003, 20001] }],
    },
    { qq: 20002, nick: 'OtherBot', friends: [{ qq: 10001 }] },
  ],
};

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  raw: Buffer;
  setCookies: string[];
}

interface StoredCookie {
  name: string;
  value: string;
  /** A DOMAIN cookie's domain, or the exact host of a host-only one. */
  domain: string;
  hostOnly: boolean;
}

export interface CallOptions {
  /** The Host header to send (default 127.0.0.1:PORT); cookies are matched against it. */
  host?: string;
  /** undefined: the default Referer of the path; null: no Referer header at all. */
  referer?: string | null;
  userAgent?: string | null;
  headers?: Record<string, string>;
  /** Called with the request once sent, for tests that abort it. */
  onRequest?: (req: import('node:http').ClientRequest) => void;
}

function defaultReferer(path: string): string | null {
  if (path.startsWith('/api/')) return S_REFERER;
  if (path.startsWith('/channel/')) return D_REFERER;
  if (path.startsWith('/check_sig')) return null;
  return 'https://xui.ptlogin2.qq.com/cgi-bin/xlogin?appid=501004106';
}

export class SimHttp {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private jar: StoredCookie[] = [];

  constructor(readonly sim: Simulator) {}

  close(): void {
    this.agent.destroy();
  }

  /** The cookie this jar would send to `host` (a name, with or without port). */
  cookie(name: string, host = this.defaultHost()): string | undefined {
    return this.cookiesFor(host.replace(/:\d+$/, '')).find((c) => c.name === name)?.value;
  }

  dropCookie(name: string): void {
    this.jar = this.jar.filter((c) => c.name !== name);
  }

  get(path: string, opts: CallOptions = {}): Promise<Reply> {
    return this.call('GET', path, undefined, opts);
  }

  /** A form POST with `r=<JSON>` (or the raw form body when a string is given). */
  post(path: string, r: unknown, opts: CallOptions = {}): Promise<Reply> {
    const body = typeof r === 'string' ? r : `r=${encodeURIComponent(JSON.stringify(r))}`;
    return this.call('POST', path, body, opts);
  }

  async json(path: string, r?: unknown, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    const reply = r === undefined ? await this.get(path, opts) : await this.post(path, r, opts);
    return JSON.parse(reply.body) as Record<string, unknown>;
  }

  call(method: string, path: string, body: string | undefined, opts: CallOptions = {}): Promise<Reply> {
    const host = opts.host ?? this.defaultHost();
    const referer = opts.referer === undefined ? defaultReferer(path) : opts.referer;
    const headers: Record<string, string> = { Host: host, ...opts.headers };
    const ua = opts.userAgent === undefined ? UA : opts.userAgent;
    if (ua !== null) headers['User-Agent'] = ua;
    if (referer !== null) headers.Referer = referer;
    const cookies = this.cookiesFor(host.replace(/:\d+$/, ''));
    if (cookies.length > 0) headers.Cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.sim.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            const setCookies = res.headers['set-cookie'] ?? [];
            this.store(setCookies, host.replace(/:\d+$/, ''));
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: raw.toString('utf8'),
              raw,
              setCookies,
            });
          });
        },
      );
      req.on('error', reject);
      opts.onRequest?.(req);
      req.end(body);
    });
  }

  private defaultHost(): string {
    return `127.0.0.1:${this.sim.port}`;
  }

  private cookiesFor(host: string): StoredCookie[] {
    return this.jar.filter((c) =>
      c.hostOnly ? c.domain === host : host === c.domain || host.endsWith(`.${c.domain}`),
    );
  }

  /** Just enough of RFC 6265 for the Tencent lines: name=value, EXPIRES, DOMAIN. */
  private store(lines: string[], host: string): void {
    for (const line of lines) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string) =>
        attrs.find((a) => a.toUpperCase().startsWith(`${key}=`))?.slice(key.length + 1) ?? undefined;
      const domain = attr('DOMAIN');
      const expires = attr('EXPIRES');
      const cookie: StoredCookie = { name, value, domain: domain ?? host, hostOnly: domain === undefined };
      this.jar = this.jar.filter(
        (c) => !(c.name === name && c.domain === cookie.domain && c.hostOnly === cookie.hostOnly),
      );
      if (expires === undefined || Date.parse(expires.replace(/-/g, ' ')) > Date.now()) this.jar.push(cookie);
    }
  }
}

/** `ptuiCB('0','0','<url>','0','<msg>', '<nick>');` → its six arguments. */
export function ptuiArgs(body: string): string[] {
  return [...body.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1] as string);
}

export interface LoggedIn {
  ptwebqq: string;
  vfwebqq: string;
  psessionid: string;
  uin: number;
}

/** Host names for one login: all 127.0.0.1, or the real names (cookies get their DOMAIN). */
export interface LoginHosts {
  ptlogin: string;
  checkSig: string;
  sweb2: string;
  d1web2: string;
}

export function localHosts(port: number): LoginHosts {
  const h = `127.0.0.1:${port}`;
  return { ptlogin: h, checkSig: h, sweb2: h, d1web2: h };
}

export function realHosts(port: number): LoginHosts {
  return {
    ptlogin: `ssl.ptlogin2.qq.com:${port}`,
    checkSig: `ptlogin4.web2.qq.com:${port}`,
    sweb2: `s.web2.qq.com:${port}`,
    d1web2: `d1.web2.qq.com:${port}`,
  };
}

/** QR shown and allowed through the control API, check_sig, getvfwebqq, login2 and (by default) registration. */
export async function login(
  http: SimHttp,
  opts: { account?: number; register?: boolean; hosts?: LoginHosts } = {},
): Promise<LoggedIn> {
  const hosts = opts.hosts ?? localHosts(http.sim.port);
  await http.get('/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1', { host: hosts.ptlogin });
  http.sim.qr('allow', opts.account);
  const qrsig = http.cookie('qrsig', hosts.ptlogin.replace(/:\d+$/, '')) as string;
  const qr = await http.get(`/ptqrlogin?ptqrtoken=${hash33(qrsig)}&webqq_type=10&aid=501004106`, {
    host: hosts.ptlogin,
  });
  const [code, , url] = ptuiArgs(qr.body);
  if (code !== '0') throw new Error(`ptqrlogin answered ${qr.body}`);
  const checkSig = new URL(url as string);
  await http.get(checkSig.pathname + checkSig.search, { host: hosts.checkSig, referer: null });
  const ptwebqq = http.cookie('ptwebqq', hosts.sweb2.replace(/:\d+$/, '')) ?? '';
  const vf = await http.json(
    `/api/getvfwebqq?ptwebqq=${ptwebqq}&clientid=${CLIENT_ID}&psessionid=&t=0.1`,
    undefined,
    {
      host: hosts.sweb2,
    },
  );
  const vfwebqq = (vf.result as { vfwebqq: string }).vfwebqq;
  const l2 = await http.json(
    '/channel/login2',
    { ptwebqq, clientid: CLIENT_ID, psessionid: '', status: 'online' },
    { host: hosts.d1web2 },
  );
  const result = l2.result as { psessionid: string; uin: number };
  if (opts.register !== false) {
    await register(http, { vfwebqq, psessionid: result.psessionid }, hosts.d1web2);
  }
  return { ptwebqq, vfwebqq, psessionid: result.psessionid, uin: result.uin };
}

export function register(http: SimHttp, s: { vfwebqq: string; psessionid: string }, host?: string) {
  return http.json(
    `/channel/get_online_buddies2?vfwebqq=${s.vfwebqq}&clientid=${CLIENT_ID}&psessionid=${s.psessionid}&t=0.1`,
    undefined,
    host === undefined ? {} : { host },
  );
}

export function poll(http: SimHttp, s: LoggedIn, opts: CallOptions = {}): Promise<Reply> {
  return http.post(
    '/channel/poll2',
    { ptwebqq: s.ptwebqq, clientid: CLIENT_ID, psessionid: s.psessionid, key: '' },
    opts,
  );
}

export const FONT = ['font', { name: '宋体', size: 10, style: [0, 0, 0], color: '000000' }] as const;

export function sendBody(s: LoggedIn, target: Record<string, number>, items: unknown[], msgId = 1) {
  return {
    ...target,
    content: JSON.stringify([...items, FONT]),
    face: 522,
    clientid: CLIENT_ID,
    msg_id: msgId,
    psessionid: s.psessionid,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
