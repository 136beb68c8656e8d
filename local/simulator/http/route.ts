/**
 * What a SmartQQ route is: its path, which real host served it (that decides the Referer rule and
 * the content type of its JSON answers) and its handler.
 */
import type { SimulatorCore } from '../core.ts';
import type { FaultAction } from '../faults.ts';
import { type Exchange, JSON_TYPE, TEXT_TYPE } from './exchange.ts';

/** ptlogin: ssl/xui.ptlogin2; check_sig: ptlogin4.web2; api: s.web2; channel: d1.web2. */
export type HostKind = 'ptlogin' | 'check_sig' | 'api' | 'channel';

export interface RouteContext {
  readonly core: SimulatorCore;
  /** The fault taken for this call when the route itself applies it (redeliver, a 1202 that delivered). */
  readonly fault: FaultAction | undefined;
}

export interface Route {
  readonly path: string;
  readonly host: HostKind;
  handle(ex: Exchange, ctx: RouteContext): void | Promise<void>;
}

export const JSON_TYPE_OF: Readonly<Record<HostKind, string>> = {
  ptlogin: 'application/javascript; charset=utf-8',
  check_sig: 'text/html',
  api: JSON_TYPE,
  channel: TEXT_TYPE,
};

const API_REFERER = /^https?:\/\/s\.web2\.qq\.com\/proxy\.html(\?|$)/;
// Both d1 referers seen in clients (PROTOCOL.md §1): proxy.html and the later cfproxy.html.
const CHANNEL_REFERER = /^https?:\/\/d1\.web2\.qq\.com\/(cf)?proxy\.html(\?|$)/;

/** Why the request must be refused with a 403, or undefined when its headers are acceptable. */
export function headerProblem(host: HostKind, ex: Exchange): string | undefined {
  if (!ex.req.headers['user-agent']) return 'no User-Agent';
  const referer = ex.req.headers.referer;
  switch (host) {
    case 'check_sig':
      // Must come with no Referer at all; even an empty one was refused (PROTOCOL.md §1).
      return referer === undefined ? undefined : 'check_sig with a Referer';
    case 'api':
      return referer && API_REFERER.test(referer) ? undefined : 'missing or wrong s.web2 Referer';
    case 'channel':
      return referer && CHANNEL_REFERER.test(referer) ? undefined : 'missing or wrong d1.web2 Referer';
    default:
      return undefined;
  }
}

/** A bare retcode answer, as the real servers wrote them (`{"retcode":100001}`). */
export function retcode(
  ex: Exchange,
  host: HostKind,
  code: number,
  extra: Record<string, unknown> = {},
): void {
  ex.json({ retcode: code, ...extra }, JSON_TYPE_OF[host]);
}
