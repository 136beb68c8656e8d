/**
 * Where each SmartQQ call goes and the constants every call carries (docs/protocol.md §1).
 */

export const CLIENT_ID = 53999199;
export const APP_ID = 501004106;
export const DAID = 164;

/** A browser User-Agent: the servers refused calls without one. */
export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36';

/** Base URLs (scheme://host[:port]) of the three SmartQQ host roles. */
export interface SmartQQHosts {
  /** QR login: ptqrshow, ptqrlogin. */
  readonly ptlogin: string;
  /** Contact and info APIs under /api. */
  readonly sweb2: string;
  /** Session, long poll and sending under /channel. */
  readonly d1web2: string;
}

export const REAL_HOSTS: SmartQQHosts = {
  ptlogin: 'https://ssl.ptlogin2.qq.com',
  sweb2: 'https://s.web2.qq.com',
  d1web2: 'https://d1.web2.qq.com',
};

/** Every role on one base URL: how the client talks to the simulator addressed as 127.0.0.1. */
export function singleBaseHosts(baseUrl: string): SmartQQHosts {
  const base = baseUrl.replace(/\/+$/, '');
  return { ptlogin: base, sweb2: base, d1web2: base };
}

/**
 * The real host names on another scheme and port: how tests exercise real cookie domains against the
 * simulator, with a DNS lookup override sending every `*.qq.com` name to 127.0.0.1.
 */
export function realNamesOn(scheme: 'http' | 'https', port: number): SmartQQHosts {
  const at = (name: string) => `${scheme}://${name}:${port}`;
  return { ptlogin: at('ssl.ptlogin2.qq.com'), sweb2: at('s.web2.qq.com'), d1web2: at('d1.web2.qq.com') };
}

/** Where the real ptqrlogin's check_sig URL points (docs/protocol.md §1). */
export const CHECK_SIG_HOSTNAMES: readonly string[] = ['ptlogin2.web2.qq.com', 'ptlogin4.web2.qq.com'];

/**
 * Whether a check_sig URL (handed out by ptqrlogin) may be fetched with the cookie jar: http or
 * https, on a real check_sig host (any port: tests resolve the real names to a simulator on its own
 * port) or on the configured ptlogin host itself, port included (the simulator, addressed as
 * 127.0.0.1:PORT, hands out a check_sig URL on that same base; addressed as localhost:PORT, it still
 * hands out 127.0.0.1:PORT: on loopback, the same port is the same server). Anything else would
 * receive the login's cookies.
 */
export function isCheckSigUrl(url: URL, hosts: SmartQQHosts): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (CHECK_SIG_HOSTNAMES.includes(url.hostname)) return true;
  if (!URL.canParse(hosts.ptlogin)) return false;
  const ptlogin = new URL(hosts.ptlogin);
  if (ptlogin.host === url.host) return true;
  return isLoopback(ptlogin.hostname) && isLoopback(url.hostname) && portOf(ptlogin) === portOf(url);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** A missing or wrong Referer gave HTTP 403 or a 1000xx retcode (docs/protocol.md §1). */
export const REFERER = {
  ptlogin:
    'https://xui.ptlogin2.qq.com/cgi-bin/xlogin?daid=164&target=self&style=40&pt_disable_pwd=1&mibao_css=m_webqq&appid=501004106&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20131024001',
  sweb2: 'https://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1',
  d1web2: 'https://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2',
} as const;

export const ORIGIN = {
  sweb2: 'https://s.web2.qq.com',
  d1web2: 'https://d1.web2.qq.com',
} as const;
