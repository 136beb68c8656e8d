/**
 * s.web2.qq.com/api: getvfwebqq and the contact calls (docs/protocol.md §2 step 4, §3). Cookie or
 * login problems answer 100000; a wrong vfwebqq, hash or id answers 100001 (a gid given as gcode: 6).
 */
import { friendListHash } from '../../../lib/smartqq/hash.ts';
import {
  discussionsResult,
  friendsResult,
  groupDetailResult,
  groupsResult,
  profileResult,
} from '../contacts-view.ts';
import type { SimulatorCore } from '../core.ts';
import type { JsonObject } from '../input.ts';
import type { AccountLogin } from '../logins.ts';
import { escapeHtml } from '../wire-text.ts';
import type { Exchange } from './exchange.ts';
import { type Route, retcode } from './route.ts';
import { loginOfCookies } from './session-auth.ts';

function ok(ex: Exchange, result: unknown): void {
  ex.json({ retcode: 0, result });
}

/** The caller's login, or undefined once the failure has been answered. */
function apiLogin(ex: Exchange, core: SimulatorCore, vfwebqq?: unknown): AccountLogin | undefined {
  const login = loginOfCookies(core, ex);
  if (!login || !core.loginAlive(login)) {
    retcode(ex, 'api', 100000);
    return undefined;
  }
  if (vfwebqq !== undefined && vfwebqq !== login.vfwebqq) {
    retcode(ex, 'api', 100001);
    return undefined;
  }
  return login;
}

/** POST calls whose `r` is `{vfwebqq, hash}`; the hash is friendListHash(self uin, current ptwebqq). */
function listCall(path: string, result: (login: AccountLogin, core: SimulatorCore) => unknown): Route {
  return {
    path,
    host: 'api',
    handle: (ex, { core }) => {
      const r: JsonObject | undefined = ex.r();
      if (!r) return retcode(ex, 'api', 100006);
      const login = apiLogin(ex, core, r.vfwebqq ?? null);
      if (!login) return;
      if (r.hash !== friendListHash(login.account.qq, login.ptwebqq)) return retcode(ex, 'api', 100001);
      ok(ex, result(login, core));
    },
  };
}

export const API_ROUTES: readonly Route[] = [
  {
    path: '/api/getvfwebqq',
    host: 'api',
    handle: (ex, { core }) => {
      const login = apiLogin(ex, core);
      if (!login) return;
      // After a 116 the current ptwebqq is the new `p` (docs/protocol.md §4, retcodes).
      if (ex.query('ptwebqq') !== login.ptwebqq) return retcode(ex, 'api', 100000);
      core.log(`login: getvfwebqq ok for ${login.account.qq}`);
      ok(ex, { vfwebqq: login.vfwebqq });
    },
  },
  listCall('/api/get_user_friends2', (login, core) => friendsResult(login.account, login.ids, core.world)),
  listCall('/api/get_group_name_list_mask2', (login) => groupsResult(login.account, login.ids)),
  {
    path: '/api/get_group_info_ext2',
    host: 'api',
    handle: (ex, { core }) => {
      const login = apiLogin(ex, core, ex.query('vfwebqq') ?? null);
      if (!login) return;
      const group = login.ids.groupByCode(Number(ex.query('gcode')));
      if (!group) return retcode(ex, 'api', 6);
      ok(ex, groupDetailResult(group, login.ids, core.world));
    },
  },
  {
    path: '/api/get_discus_list',
    host: 'api',
    handle: (ex, { core }) => {
      const login = apiLogin(ex, core, ex.query('vfwebqq') ?? null);
      if (login) ok(ex, discussionsResult(login.account, login.ids));
    },
  },
  {
    path: '/api/get_self_info2',
    host: 'api',
    handle: (ex, { core }) => {
      const login = apiLogin(ex, core);
      if (login) ok(ex, profileResult(login.account, login.account.qq, login.account.qq));
    },
  },
  {
    path: '/api/get_friend_info2',
    host: 'api',
    handle: (ex, { core }) => withPerson(ex, core, (person, uin) => ok(ex, profileResult(person, uin))),
  },
  {
    path: '/api/get_single_long_nick2',
    host: 'api',
    handle: (ex, { core }) =>
      withPerson(ex, core, (person, uin) => ok(ex, [{ uin, lnick: escapeHtml(person.lnick) }])),
  },
];

function personOfUin(core: SimulatorCore, login: AccountLogin, uin: number) {
  const qq = login.ids.personByUin(uin);
  return qq === undefined ? undefined : core.world.person(qq);
}

/** The calls about one person (`tuin`): 100001 when the uin is nobody this login knows. */
function withPerson(
  ex: Exchange,
  core: SimulatorCore,
  answer: (person: NonNullable<ReturnType<typeof personOfUin>>, uin: number) => void,
): void {
  const login = apiLogin(ex, core, ex.query('vfwebqq') ?? null);
  if (!login) return;
  const uin = Number(ex.query('tuin'));
  const person = personOfUin(core, login, uin);
  if (person) answer(person, uin);
  else retcode(ex, 'api', 100001);
}
