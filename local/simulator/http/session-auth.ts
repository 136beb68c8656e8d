/**
 * The session cookies, checked on every s.web2 / d1.web2 call (docs/protocol.md §7: a client whose jar
 * lost them must fail): `uin=o<qq>`, `skey` and `p_skey` must be those of one login of the account.
 */
import type { SimulatorCore } from '../core.ts';
import type { AccountLogin } from '../logins.ts';
import type { Exchange } from './exchange.ts';

export function loginOfCookies(core: SimulatorCore, ex: Exchange): AccountLogin | undefined {
  const qq = /^o0*(\d+)$/.exec(ex.cookies.get('uin') ?? '')?.[1];
  const login = qq === undefined ? undefined : core.logins.find(Number(qq), ex.cookies.get('skey'));
  if (!login?.checkSigDone) return undefined;
  return ex.cookies.get('p_skey') === login.pSkey ? login : undefined;
}
