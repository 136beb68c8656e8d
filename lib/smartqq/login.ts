/**
 * QR login and relink (docs/protocol.md §2): ptqrshow → ptqrlogin loop → check_sig → getvfwebqq →
 * login2 → get_online_buddies2. The steps are separate functions so a caller can spread them over
 * several invocations (the cookie jar serialises with the session).
 */
import { z } from 'zod';
import { okResult, type SmartQQApi, sessionQuery } from './api.ts';
import { APP_ID, CLIENT_ID, DAID, isCheckSigUrl, REFERER, type SmartQQHosts } from './endpoints.ts';
import { SmartQQProtocolError, SmartQQRetcodeError } from './errors.ts';
import { hash33 } from './hash.ts';
import type { HttpResponse } from './http.ts';
import { parsePtuiCb } from './ptui-cb.ts';
import type { Verdict } from './retcode.ts';
import { Session } from './session.ts';

export interface QrCode {
  /** The PNG the owner scans with the QQ app. */
  readonly png: Buffer;
  readonly fetchedAt: number;
}

export type QrStatus =
  | { readonly state: 'waiting' }
  | { readonly state: 'scanned' }
  | { readonly state: 'expired' }
  | { readonly state: 'confirmed'; readonly checkSigUrl: string; readonly nick: string };

const QR_TIMEOUT_MS = 15_000;

export async function fetchQr(api: SmartQQApi): Promise<QrCode> {
  const query = { appid: APP_ID, e: 0, l: 'M', s: 5, d: 72, v: 4, t: Math.random() };
  const res = await ptloginGet(api, 'ptqrshow', query);
  if (!isPng(res.body)) throw new SmartQQProtocolError('ptqrshow', 'answer is not a PNG image');
  if (!(await qrsigOf(api))) throw new SmartQQProtocolError('ptqrshow', 'no qrsig cookie was set');
  return { png: res.body, fetchedAt: Date.now() };
}

/** One look at the QR's state; call every 1–3 s while waiting. */
export async function checkQr(api: SmartQQApi): Promise<QrStatus> {
  const qrsig = await qrsigOf(api);
  if (!qrsig) throw new SmartQQProtocolError('ptqrlogin', 'no qrsig cookie: fetch a QR first');
  const query: Record<string, string | number> = {
    ptqrtoken: hash33(qrsig),
    webqq_type: 10,
    remember_uin: 1,
    login2qq: 1,
    aid: APP_ID,
    u1: 'https://w.qq.com/proxy.html?login2qq=1&webqq_type=10',
    ptredirect: 0,
    ptlang: 2052,
    daid: DAID,
    from_ui: 1,
    pttype: 1,
    dumy: '',
    fp: 'loginerroralert',
    action: `0-0-${Date.now()}`,
    mibao_css: 'm_webqq',
    t: 'undefined',
    g: 1,
    js_type: 0,
    js_ver: 10216,
    login_sig: '',
    pt_randsalt: 0,
  };
  const res = await ptloginGet(api, 'ptqrlogin', query);
  let cb: ReturnType<typeof parsePtuiCb>;
  try {
    cb = parsePtuiCb(res.body.toString('utf8'));
  } catch (err) {
    throw new SmartQQProtocolError('ptqrlogin', (err as Error).message);
  }
  switch (cb.code) {
    case 66:
      return { state: 'waiting' };
    case 67:
      return { state: 'scanned' };
    case 65:
      return { state: 'expired' };
    case 0:
      if (!cb.url) throw new SmartQQProtocolError('ptqrlogin', 'success without a check_sig URL');
      return { state: 'confirmed', checkSigUrl: cb.url, nick: cb.nick };
    default:
      throw new SmartQQProtocolError('ptqrlogin', `unexpected code ${cb.code}`);
  }
}

/**
 * After a confirmed QR: check_sig, then the session steps. Returns the new session. The check_sig
 * URL came in ptqrlogin's answer: it is fetched (with the cookie jar) only on a check_sig host.
 */
/**
 * The QQ number a confirmed QR was scanned with, from its check_sig URL (`uin=`, in every captured
 * answer), before anything else is done with it; undefined when the URL does not say.
 */
export function scannedAccount(checkSigUrl: string): string | undefined {
  if (!URL.canParse(checkSigUrl)) return undefined;
  const uin = new URL(checkSigUrl).searchParams.get('uin');
  return uin !== null && /^[1-9][0-9]{4,11}$/.test(uin) ? uin : undefined;
}

export async function completeLogin(api: SmartQQApi, checkSigUrl: string): Promise<Session> {
  const url = checkSigTarget(checkSigUrl, api.hosts);
  // check_sig must go with no Referer at all (an empty one gave 403), and its 302 is not followed:
  // the cookies on the 302 itself are what the web2 hosts check.
  const res = await api.http.request({
    endpoint: 'check_sig',
    method: 'GET',
    url: url.href,
    referer: null,
    timeoutMs: QR_TIMEOUT_MS,
  });
  if (res.status !== 302 && res.status !== 200) {
    throw new SmartQQProtocolError('check_sig', `HTTP ${res.status}`, res.status);
  }
  const ptwebqq = await cookieValue(api, api.hosts.sweb2, 'ptwebqq');
  const session = new Session(api.http.jar, { ptwebqq, vfwebqq: '', psessionid: '', uin: 0, linkedAt: 0 });
  await link(api, session);
  return session;
}

/**
 * The check_sig URL, if it may be fetched with the cookie jar (`isCheckSigUrl`); anything else is a
 * `SmartQQProtocolError` naming the host (never the query: it carries the login's ptsigx).
 */
function checkSigTarget(checkSigUrl: string, hosts: SmartQQHosts): URL {
  if (!URL.canParse(checkSigUrl)) {
    throw new SmartQQProtocolError('check_sig', 'the check_sig URL from ptqrlogin is not a URL');
  }
  const url = new URL(checkSigUrl);
  if (!isCheckSigUrl(url, hosts)) {
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    const where = web ? url.host : `${url.protocol}${url.host === '' ? '' : `//${url.host}`}`;
    throw new SmartQQProtocolError(
      'check_sig',
      `the check_sig URL from ptqrlogin points at ${where.slice(0, 100)}, not a check_sig host: not fetched`,
    );
  }
  return url;
}

export type RelinkResult =
  | { readonly status: 'online' }
  /** The server refused the saved login: a new QR scan is needed. */
  | { readonly status: 'needs_qr'; readonly endpoint: string; readonly retcode: number }
  /** Could not tell (network, malformed answer): try again later, the session may still be good. */
  | { readonly status: 'failed'; readonly error: Error };

/** Resumes a saved session without a QR: getvfwebqq + login2 + get_online_buddies2. */
export async function relink(api: SmartQQApi, session: Session): Promise<RelinkResult> {
  try {
    await link(api, session);
    return { status: 'online' };
  } catch (err) {
    if (err instanceof SmartQQRetcodeError && SESSION_OVER.has(err.verdict)) {
      return { status: 'needs_qr', endpoint: err.endpoint, retcode: err.retcode };
    }
    if (err instanceof SmartQQProtocolError && err.status === 403) {
      return { status: 'needs_qr', endpoint: err.endpoint, retcode: 403 };
    }
    return { status: 'failed', error: err as Error };
  }
}

const SESSION_OVER: ReadonlySet<Verdict> = new Set(['session_expired', 'relink', 'not_registered']);

const vfwebqqSchema = z.object({ vfwebqq: z.string().min(1) });
const login2Schema = z.object({ psessionid: z.string().min(1), uin: z.number().int().nonnegative() });

async function link(api: SmartQQApi, session: Session): Promise<void> {
  const { ptwebqq } = session.tokens;
  const vf = await api.json({
    endpoint: 'getvfwebqq',
    role: 'sweb2',
    path: '/api/getvfwebqq',
    query: { ptwebqq, clientid: CLIENT_ID, psessionid: '' },
  });
  // Keep this vfwebqq: the one login2 returns was ignored by the web client (docs/protocol.md §2 step 4).
  const { vfwebqq } = okResult('getvfwebqq', vf, vfwebqqSchema);
  const login2 = await api.json({
    endpoint: 'login2',
    role: 'd1web2',
    path: '/channel/login2',
    r: { ptwebqq, clientid: CLIENT_ID, psessionid: '', status: 'online' },
  });
  const { psessionid, uin } = okResult('login2', login2, login2Schema);
  session.tokens = { ptwebqq, vfwebqq, psessionid, uin, linkedAt: Date.now() };
  await registerSession(api, session);
}

/** get_online_buddies2: until it is called once for a psessionid, poll2 answers 103. */
export async function registerSession(api: SmartQQApi, session: Session): Promise<void> {
  const answer = await api.json({
    endpoint: 'get_online_buddies2',
    role: 'd1web2',
    path: '/channel/get_online_buddies2',
    query: sessionQuery(session.tokens.vfwebqq, session.tokens.psessionid),
  });
  okResult('get_online_buddies2', answer, z.array(z.unknown()));
}

/** A GET on the ptlogin host that must answer 200. */
async function ptloginGet(
  api: SmartQQApi,
  endpoint: string,
  query: Readonly<Record<string, string | number>>,
): Promise<HttpResponse> {
  const url = new URL(`/${endpoint}`, api.hosts.ptlogin);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const res = await api.http.request({
    endpoint,
    method: 'GET',
    url: url.href,
    referer: REFERER.ptlogin,
    timeoutMs: QR_TIMEOUT_MS,
  });
  if (res.status !== 200) throw new SmartQQProtocolError(endpoint, `HTTP ${res.status}`, res.status);
  return res;
}

async function qrsigOf(api: SmartQQApi): Promise<string> {
  return cookieValue(api, api.hosts.ptlogin, 'qrsig');
}

async function cookieValue(api: SmartQQApi, url: string, key: string): Promise<string> {
  const cookies = await api.http.jar.getCookies(url);
  return cookies.find((c) => c.key === key)?.value ?? '';
}

function isPng(body: Buffer): boolean {
  return body.length > 8 && body.readUInt32BE(0) === 0x89504e47;
}
