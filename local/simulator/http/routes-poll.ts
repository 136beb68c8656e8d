/**
 * poll2 over HTTP: checks the session, then hands the request to the PollHub as a waiter, and
 * writes what the hub answers: events, an empty hold in the current era's form, or the session's end.
 */
import type { SimulatorCore } from '../core.ts';
import { pollResultBody } from '../events.ts';
import type { PollAnswer, PollWaiter } from '../poll-hub.ts';
import { CLIENT_ID } from '../send-request.ts';
import type { EmptyPollEra } from '../settings.ts';
import { type Exchange, TEXT_TYPE } from './exchange.ts';
import { nginxPage } from './nginx-pages.ts';
import { type Route, retcode } from './route.ts';
import { loginOfCookies } from './session-auth.ts';

const EMPTY_BODIES: Readonly<Record<Exclude<EmptyPollEra, '504' | '502'>, object>> = {
  '102': { retcode: 102, errmsg: '' },
  errmsg: { errmsg: 'error', retcode: 0 },
  '100012': { retcode: 100012, errmsg: 'error!!!' },
  retmsg: { retcode: 0, retmsg: 'ok', errmsg: 'error' },
};

/** 121: the session was replaced or kicked ("logged in elsewhere"); relink. */
const ENDED_121 = { retcode: 121, t: '0' };

function answerBody(answer: PollAnswer, era: EmptyPollEra): { status: number; type: string; body: string } {
  if (answer.kind === 'events') return { status: 200, type: TEXT_TYPE, body: pollResultBody(answer.events) };
  if (answer.kind === 'ended') {
    const body = answer.reason === 'expired' ? { retcode: 100001 } : ENDED_121;
    return { status: 200, type: TEXT_TYPE, body: JSON.stringify(body) };
  }
  if (era === '504' || era === '502')
    return { status: Number(era), type: 'text/html', body: nginxPage(Number(era)) };
  return { status: 200, type: TEXT_TYPE, body: JSON.stringify(EMPTY_BODIES[era]) };
}

function httpWaiter(ex: Exchange, core: SimulatorCore): PollWaiter {
  return {
    isGone: () => ex.socketGone(),
    answer: (answer, written) => {
      const { status, type, body } = answerBody(answer, core.settings.era.emptyPoll);
      ex.replyTracked(status, type, body, written);
    },
  };
}

export const POLL_ROUTE: Route = {
  path: '/channel/poll2',
  host: 'channel',
  handle: (ex, { core, fault }) => {
    const r = ex.r();
    if (!r) return retcode(ex, 'channel', 100006);
    // r.ptwebqq is not checked: late clients sent it empty (docs/protocol.md §4).
    const login = loginOfCookies(core, ex);
    const session = typeof r.psessionid === 'string' ? core.logins.session(r.psessionid) : undefined;
    if (!login || !session || session.login !== login || Number(r.clientid) !== CLIENT_ID) {
      return retcode(ex, 'channel', 100001);
    }
    if (!core.loginAlive(login) || session.ended === 'expired') return retcode(ex, 'channel', 100001);
    if (session.ended) return ex.json(ENDED_121, TEXT_TYPE);
    if (!session.registered) return retcode(ex, 'channel', 103, { errmsg: '' });
    core.hub.poll(session, httpWaiter(ex, core), fault?.kind === 'redeliver');
  },
};
