/**
 * Applies a fault taken for a call, before the route's normal handling. Returns true when the call
 * has been answered (or dropped); false when the route must go on (after a delay, or for the faults
 * the route applies itself: redeliver, a 1202 that delivered).
 */
import type { SimulatorCore } from '../core.ts';
import type { FaultAction } from '../faults.ts';
import { SEND_ENDPOINTS } from '../send-request.ts';
import { randomHex } from '../tokens.ts';
import { type Exchange, TEXT_TYPE } from './exchange.ts';
import { JSON_TYPE_OF, type Route } from './route.ts';
import { loginOfCookies } from './session-auth.ts';

export async function applyFault(
  fault: FaultAction,
  ex: Exchange,
  route: Route,
  core: SimulatorCore,
): Promise<boolean> {
  core.counters.add('faultsApplied');
  core.log(`fault: ${ex.endpoint} ${describe(fault)}`);
  switch (fault.kind) {
    case 'delay':
      await core.timers.sleep(fault.ms);
      return false;
    case 'reset':
      ex.socket.destroy();
      return true;
    case 'malformed':
      ex.reply(200, JSON_TYPE_OF[route.host], '{"retcode":0,"result":[');
      return true;
    case 'http':
      ex.nginx(fault.status);
      return true;
    case 'redeliver':
      return false;
    case 'retcode':
      if (fault.delivered === true) return false;
      answerRetcode(fault.retcode, fault.p, ex, route, core);
      return true;
  }
}

function answerRetcode(
  code: number,
  p: string | undefined,
  ex: Exchange,
  route: Route,
  core: SimulatorCore,
): void {
  if (ex.endpoint in SEND_ENDPOINTS) {
    ex.reply(200, TEXT_TYPE, `${JSON.stringify({ errmsg: 'error!!!', retcode: code })}\n`);
    return;
  }
  if (code === 116) {
    // The server's ptwebqq becomes p: from now on getvfwebqq, login2 and the list hash need it.
    const next = p ?? randomHex(32);
    const login = loginOfCookies(core, ex) ?? sessionLogin(ex, core);
    if (login) login.ptwebqq = next;
    ex.json({ retcode: 116, p: next }, JSON_TYPE_OF[route.host]);
    return;
  }
  ex.json({ retcode: code, errmsg: '' }, JSON_TYPE_OF[route.host]);
}

function sessionLogin(ex: Exchange, core: SimulatorCore) {
  const psessionid = ex.r()?.psessionid ?? ex.query('psessionid');
  return typeof psessionid === 'string' ? core.logins.session(psessionid)?.login : undefined;
}

function describe(fault: FaultAction): string {
  switch (fault.kind) {
    case 'retcode':
      return `retcode ${fault.retcode}${fault.delivered ? ' (delivered)' : ''}`;
    case 'http':
      return `HTTP ${fault.status}`;
    case 'delay':
      return `delay ${fault.ms} ms`;
    default:
      return fault.kind;
  }
}
