/**
 * `npm run login -- --account N <where>`: the QR login in a terminal. Asks the send API for a login
 * link (`POST /v1/accounts/{account}/login`), prints the link for a phone, then follows the login
 * through the link's state (`GET /login/{token}/state`): the QR drawn in the terminal (again when a
 * new one comes), each change of state in words, and exits 0 once the bot is online.
 *
 * Where the API is: `--local` (the running `npm start`: its runtime file), `--stack NAME` (a
 * deployed stack: its ApiUrl output and its token secret), or `--api URL` with the token in
 * `$QQBOT_API_TOKEN`.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoginStateView } from '../send-api/login-page.ts';
import { STATE_TEXT } from '../send-api/login-page.ts';
import { renderQrForTerminal } from '../smartqq/qr-terminal.ts';
import { API_TARGET_OPTIONS, API_TARGET_USAGE, type ApiTargetIo, apiWhere, locateApi } from './api-target.ts';
import { failureText } from './failure-text.ts';
import { UsageError } from './usage-error.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const USAGE = `Usage: npm run login -- [--account N] <where> [--timeout-s S]

${API_TARGET_USAGE}

--account N     the bot's QQ number (default: the local runtime's account)
--timeout-s S   give up after S seconds (default 600)

Prints a link to open on a phone (no token in it) and the QR code; exits 0 once the bot is online,
1 on a timeout or an error.`;

export interface LoginTarget {
  readonly apiUrl: string;
  readonly token: string;
  readonly account: string;
}

export interface LoginCliIo extends ApiTargetIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const LOOK_EVERY_MS = 2_000;

export async function runLoginCli(argv: readonly string[], io: LoginCliIo): Promise<number> {
  try {
    const target = await resolveTarget(argv, io);
    const { values } = parse(argv);
    const timeoutMs = seconds(values['timeout-s'] ?? '600', '--timeout-s') * 1000;
    return await followLogin(target, timeoutMs, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.err(`login: ${failureText(err)}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        account: { type: 'string' },
        ...API_TARGET_OPTIONS,
        'timeout-s': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number of seconds, not ${text}`);
  return n;
}

export async function resolveTarget(argv: readonly string[], io: LoginCliIo): Promise<LoginTarget> {
  const { values } = parse(argv);
  if (values.help) throw new UsageError('');
  const where = apiWhere(values, io.env);
  if (values.account !== undefined && !/^[1-9][0-9]{4,11}$/.test(values.account)) {
    throw new UsageError(
      `--account ${values.account} is not a QQ number (5 to 12 digits, not starting with 0)`,
    );
  }
  // Only the local runtime knows an account to default to; asked before the stack is looked up.
  if (values.account === undefined && where.kind !== 'local') {
    throw new UsageError(`--${where.kind} needs --account N`);
  }
  const { apiUrl, token, localAccount } = await locateApi(where, io);
  const account = values.account ?? localAccount;
  if (account === undefined) throw new UsageError('--local: say which account with --account N');
  return { apiUrl, token, account };
}

/** Asks for a link and follows the login until it is online (0) or the time is over (1). */
export async function followLogin(target: LoginTarget, timeoutMs: number, io: LoginCliIo): Promise<number> {
  const http = io.fetch ?? fetch;
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + timeoutMs;
  let link = await newLink(target, http);
  io.out(
    `Open this link on a phone to see the QR code there (valid until ${link.expiresAt}):\n  ${link.url}\n\n`,
  );
  let shown = { state: '', png: '', refused: -1 };
  while (now() < deadline) {
    // A link lives 15 minutes; a login may take longer.
    if (Date.parse(link.expiresAt) - now() < 60_000) link = await newLink(target, http);
    const answer = await http(`${link.url}/state`);
    if (answer.status === 410) {
      link = await newLink(target, http);
      continue;
    }
    if (!answer.ok) throw new Error(`GET the login state answered ${answer.status}`);
    const view = (await answer.json()) as LoginStateView;
    if (view.refusedScanBy !== undefined && view.refusedScanBy !== shown.refused) {
      io.out(
        `The last QR code was scanned with QQ ${view.refusedScanBy}, not with QQ ${view.account}: refused.\n`,
      );
    }
    if (view.png && view.png !== shown.png) {
      io.out(`\n${renderQrForTerminal(Buffer.from(view.png, 'base64'))}\n`);
    }
    if (view.state !== shown.state) {
      io.out(
        `${STATE_TEXT[view.state] ?? view.state}${view.reason && view.state === 'waiting_for_qr' ? ` (${view.reason})` : ''}\n`,
      );
    }
    shown = { state: view.state, png: view.png ?? shown.png, refused: view.refusedScanBy ?? shown.refused };
    if (view.state === 'online') return 0;
    await sleep(LOOK_EVERY_MS);
  }
  io.err(
    `login: QQ ${target.account} is not online after ${Math.round(timeoutMs / 1000)} s (state: ${shown.state})\n`,
  );
  return 1;
}

async function newLink(target: LoginTarget, http: typeof fetch): Promise<{ url: string; expiresAt: string }> {
  const answer = await http(`${target.apiUrl}/v1/accounts/${target.account}/login`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}` },
  });
  const body = (await answer.json().catch(() => ({}))) as {
    url?: string;
    expiresAt?: string;
    reason?: string;
    error?: string;
  };
  if (answer.status === 401) throw new Error('the send API refused the token (401)');
  if (!answer.ok || !body.url || !body.expiresAt) {
    throw new Error(
      `POST /v1/accounts/${target.account}/login answered ${answer.status} ${body.reason ?? body.error ?? ''}`.trim(),
    );
  }
  return { url: body.url, expiresAt: body.expiresAt };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runLoginCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    projectDir: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
  });
  process.exit(code);
}
