/**
 * Cookies the Tencent way: `name=value; PATH=/; DOMAIN=qq.com;` with the trailing `;`
 * (docs/protocol.md §7: at least one client's parser depends on it). The DOMAIN is written only when
 * the request named a real `*.qq.com` host; addressed as 127.0.0.1 the cookies are host-only.
 */

export type CookieDomain = 'qq.com' | 'ptlogin2.qq.com' | 'web2.qq.com';

export interface CookieSpec {
  readonly name: string;
  readonly value: string;
  readonly domain: CookieDomain;
  readonly expires?: Date;
  /** Reproduces the stray `; ;` of the real p_skey line (fixtures/smartqq/get_ptwebqq_headers.txt). */
  readonly strayTerminator?: boolean;
}

export function formatSetCookie(spec: CookieSpec, realHost: boolean): string {
  const parts = [`${spec.name}=${spec.value}`];
  if (spec.expires) parts.push(`EXPIRES=${cookieDate(spec.expires)}`);
  parts.push('PATH=/');
  if (realHost) parts.push(`DOMAIN=${spec.domain}`);
  return `${parts.join('; ')};${spec.strayTerminator ? ' ;' : ''}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Fri, 02-Jan-2020 00:00:00 GMT`, the dashed date of the real Set-Cookie lines. */
function cookieDate(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`
  );
}

/** The first value of each name wins, as in the order a browser sends them. */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, pair.slice(eq + 1).trim());
  }
  return cookies;
}

/** True when the Host header names a real QQ host (e.g. `s.web2.qq.com:8788`). */
export function isRealHost(hostHeader: string | undefined): boolean {
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  return host === 'qq.com' || host.endsWith('.qq.com');
}
