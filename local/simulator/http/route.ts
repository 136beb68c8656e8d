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

/**
 * Why the request must be refused with a 403, or undefined when its headers are acceptable
 * (docs/protocol.md §1). The checks were loose, and clients that worked for years must work here:
 * - every call: a User-Agent (any non-empty one);
 * - check_sig: only an empty Referer (`Referer: ` sent with no value) is refused; none at all is
 *   what the web client sent, and any non-empty one was accepted (qq-bot-rebown sent the s.web2
 *   proxy page, pandolia/qqbot its login page);
 * - s.web2 and d1.web2: a missing or empty Referer is refused; any non-empty one is accepted,
 *   the other host's proxy page too (pandolia sent the d1.web2 one to the s.web2 lists) and
 *   misspelled ones;
 * - Origin is never checked: nothing shows a wrong Origin refused (pandolia's requests session
 *   kept the last Origin it set, so its s.web2 calls went out with the d1.web2 one).
 */
export function headerProblem(host: HostKind, ex: Exchange): string | undefined {
  if (!ex.req.headers['user-agent']) return 'no User-Agent';
  // Node gives an empty (or blank) header value as ''.
  const referer = ex.req.headers.referer;
  switch (host) {
    case 'check_sig':
      return referer === '' ? 'check_sig with an empty Referer' : undefined;
    case 'api':
      return referer ? undefined : `${referer === undefined ? 'no' : 'empty'} Referer on s.web2`;
    case 'channel':
      return referer ? undefined : `${referer === undefined ? 'no' : 'empty'} Referer on d1.web2`;
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
