/**
 * d1.web2.qq.com/channel, except poll2 and the sends: login2 (a new session), the registration
 * call get_online_buddies2 (docs/protocol.md §2 step 6), recent list and discussion detail.
 * Every failure here answers 100001.
 */
import { discussionDetailResult, onlineBuddiesResult, recentResult } from '../contacts-view.ts';
import type { SimulatorCore } from '../core.ts';
import type { AccountLogin, Session } from '../logins.ts';
import { CLIENT_ID } from '../send-request.ts';
import type { Exchange } from './exchange.ts';
import { JSON_TYPE_OF, type Route, retcode } from './route.ts';
import { loginOfCookies } from './session-auth.ts';

function ok(ex: Exchange, result: unknown): void {
  // Key order of the d1 fixtures: result first.
  ex.json({ result, retcode: 0 }, JSON_TYPE_OF.channel);
}

function channelLogin(ex: Exchange, core: SimulatorCore, vfwebqq?: unknown): AccountLogin | undefined {
  const login = loginOfCookies(core, ex);
  if (!login || !core.loginAlive(login) || (vfwebqq !== undefined && vfwebqq !== login.vfwebqq)) {
    retcode(ex, 'channel', 100001);
    return undefined;
  }
  return login;
}

/** The live session a psessionid names, for this login. */
export function liveSessionOf(
  login: AccountLogin,
  core: SimulatorCore,
  psessionid: unknown,
): Session | undefined {
  const session = typeof psessionid === 'string' ? core.logins.session(psessionid) : undefined;
  return session && session.login === login && !session.ended ? session : undefined;
}

export const CHANNEL_ROUTES: readonly Route[] = [
  {
    path: '/channel/login2',
    host: 'channel',
    handle: (ex, { core }) => {
      const r = ex.r();
      if (!r) return retcode(ex, 'channel', 100006);
      const login = channelLogin(ex, core);
      if (!login) return;
      if (r.ptwebqq !== login.ptwebqq || Number(r.clientid) !== CLIENT_ID)
        return retcode(ex, 'channel', 100001);
      const session = core.logins.openSession(login, core.now());
      core.log(`login: login2 for ${login.account.qq}: new session, new ids`);
      ok(ex, {
        cip: 23_600_812,
        f: 0,
        index: 1075,
        port: 40_000 + Math.floor(Math.random() * 20_000),
        psessionid: session.psessionid,
        status: typeof r.status === 'string' ? r.status : 'online',
        uin: login.account.qq,
        user_state: 0,
        vfwebqq: session.login2Vfwebqq,
      });
    },
  },
  {
    path: '/channel/get_online_buddies2',
    host: 'channel',
    handle: (ex, { core }) => {
      const login = channelLogin(ex, core, ex.query('vfwebqq') ?? null);
      if (!login) return;
      const session = liveSessionOf(login, core, ex.query('psessionid'));
      if (!session) return retcode(ex, 'channel', 100001);
      if (!session.registered)
        core.log(`login: session of ${login.account.qq} registered (get_online_buddies2)`);
      session.registered = true;
      ok(ex, onlineBuddiesResult(login.account, session.ids, core.world));
    },
  },
  {
    path: '/channel/get_recent_list2',
    host: 'channel',
    handle: (ex, { core }) => {
      const r = ex.r();
      if (!r) return retcode(ex, 'channel', 100006);
      // Its psessionid was sent empty by the web client: not checked.
      const login = channelLogin(ex, core, r.vfwebqq ?? null);
      if (login) ok(ex, recentResult(login.state));
    },
  },
  {
    path: '/channel/get_discu_info',
    host: 'channel',
    handle: (ex, { core }) => {
      const login = channelLogin(ex, core, ex.query('vfwebqq') ?? null);
      if (!login) return;
      const d = login.ids.discussion(Number(ex.query('did')));
      if (!d) return retcode(ex, 'channel', 100001);
      ok(ex, discussionDetailResult(d, login.ids, core.world));
    },
  },
];
