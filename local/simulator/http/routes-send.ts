/** The three send calls: text/plain answers with a trailing newline (docs/protocol.md §1, §5). */
import { SEND_ENDPOINTS } from '../send-request.ts';
import { performSend } from '../sending.ts';
import { TEXT_TYPE } from './exchange.ts';
import type { Route } from './route.ts';
import { loginOfCookies } from './session-auth.ts';

export const SEND_ROUTES: readonly Route[] = Object.entries(SEND_ENDPOINTS).map(
  ([endpoint, kind]): Route => ({
    path: `/channel/${endpoint}`,
    host: 'channel',
    handle: (ex, { core, fault }) => {
      const delivered1202 = fault?.kind === 'retcode' && fault.delivered === true;
      const body = performSend(
        core,
        kind,
        ex.r(),
        loginOfCookies(core, ex),
        delivered1202 ? 'delivered-1202' : 'normal',
      );
      ex.reply(200, TEXT_TYPE, `${body}\n`);
    },
  }),
);
