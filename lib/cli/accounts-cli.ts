/**
 * `npm run accounts -- <command> [N] <where>`: the accounts a deployment serves, through the send
 * API's account registry (`/v1/accounts`; what active, paused and removed mean:
 * `lib/pipeline/accounts.ts`).
 *
 *   list        each served account: active or paused, configured or added, since when, and the
 *               state of its session (`GET /v1/session`, a few accounts at a time)
 *   add N       serve N (`POST /v1/accounts`); its QR login is then `npm run login -- --account N`
 *   pause N     stop polling N and sending for it (`PATCH /v1/accounts/N`)
 *   resume N    poll and send for N again
 *   remove N    serve N no more (`DELETE /v1/accounts/N`); its data is kept
 *   onebot N    N's own OneBot bot: `--url URL [--mode M] [--format F]`, `--none` (no bot for N), or
 *               `--default` (the deployment's again) (`PATCH /v1/accounts/N`)
 *
 * Where the API is: `--local` (the running `npm start`: its runtime file), `--stack NAME` (a
 * deployed stack: its ApiUrl output and its token secret), or `--api URL` with the token in
 * `$QQBOT_API_TOKEN` — as `npm run login` finds it (`api-target.ts`).
 *
 * Exit codes: 0 done, 1 the API refused or could not be reached (its message), 2 bad arguments
 * (nothing sent).
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ONEBOT_MODES, POST_FORMATS, postUrlProblem } from '../onebot/post.ts';
import { QQ_NUMBER_PATTERN } from '../send-api/errors.ts';
import {
  API_TARGET_OPTIONS,
  API_TARGET_USAGE,
  type ApiTarget,
  type ApiTargetIo,
  type ApiWhere,
  apiWhere,
  locateApi,
  shellWords,
  whereArgs,
} from './api-target.ts';
import { failureText } from './failure-text.ts';
import { textTable } from './rule-table.ts';
import { UsageError } from './usage-error.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const USAGE = `Usage: npm run accounts -- <command> [N] <where>

Commands:
  list        the served accounts: active or paused, configured or added, and their session state
  add N       serve the QQ account N (then log it in: npm run login -- --account N <where>)
  pause N     stop polling N and sending for it (what it already received is still answered)
  resume N    poll and send for N again
  remove N    serve N no more (its session, rules and data are kept: add it again to pick them up)
  onebot N    N's own OneBot v11 bot: --url URL [--mode rules_first|onebot_only|both]
              [--format string|array], or --none (no bot for N), or --default (the deployment's)

${API_TARGET_USAGE}

Exit codes: 0 done, 1 the API refused or could not be reached, 2 bad arguments (nothing sent).`;

export const COMMANDS = ['list', 'add', 'pause', 'resume', 'remove', 'onebot'] as const;
export type AccountsCommand = (typeof COMMANDS)[number];

export interface AccountsRequest {
  readonly command: AccountsCommand;
  /** The QQ number; absent for `list`. */
  readonly account?: string;
  /** For `onebot`: the `onebot` field of `PATCH /v1/accounts/N` (null: the deployment's again). */
  readonly onebot?: { postUrl: string | null; mode?: string; format?: string } | null;
  readonly where: ApiWhere;
}

export interface AccountsCliIo extends ApiTargetIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly fetch?: typeof fetch;
}

/** How many `GET /v1/session` calls `list` makes at once: quick for a fleet, gentle on the API. */
export const SESSION_LOOKUPS_AT_ONCE = 8;

/** Runs one command; returns the exit code. Never throws. */
export async function runAccountsCli(argv: readonly string[], io: AccountsCliIo): Promise<number> {
  try {
    const request = parseAccountsArgs(argv, io.env);
    if (request === 'help') {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const target = await locateApi(request.where, io);
    return await COMMAND_RUNS[request.command](request, target, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`accounts: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.err(`accounts: ${failureText(err)}\n`);
    return 1;
  }
}

/** The command, its QQ number and where the API is; a UsageError names the first problem. */
export function parseAccountsArgs(
  argv: readonly string[],
  env: ApiTargetIo['env'],
): AccountsRequest | 'help' {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, account, ...extra] = positionals;
  if (values.help || command === 'help') return 'help';
  if (command === undefined) throw new UsageError(`say what to do: ${COMMANDS.join(', ')}`);
  if (!isCommand(command)) {
    throw new UsageError(`unknown command "${command}" (commands: ${COMMANDS.join(', ')})`);
  }
  if (command === 'list') {
    if (account !== undefined) throw new UsageError(`list takes no QQ number (given: ${account})`);
  } else {
    if (account === undefined) throw new UsageError(`${command} needs the QQ number: ${command} N`);
    if (!QQ_NUMBER_PATTERN.test(account)) {
      throw new UsageError(`${account} is not a QQ number (5 to 12 digits, not starting with 0)`);
    }
  }
  if (extra.length > 0) throw new UsageError(`one command at a time: ${extra.join(' ')} is left over`);
  const onebot = onebotFlags(command, values);
  const where = apiWhere(values, env);
  return {
    command,
    ...(account === undefined ? {} : { account }),
    ...(onebot === undefined ? {} : { onebot }),
    where,
  };
}

const ONEBOT_FLAGS = ['url', 'mode', 'format', 'none', 'default'] as const;

/** `onebot`'s flags, checked: exactly one of --url, --none, --default; --mode and --format with --url. */
function onebotFlags(
  command: AccountsCommand,
  values: ReturnType<typeof parseFlags>['values'],
): AccountsRequest['onebot'] {
  const given = ONEBOT_FLAGS.filter((flag) => values[flag] !== undefined);
  if (command !== 'onebot') {
    if (given.length > 0) throw new UsageError(`--${given[0]} goes with the onebot command`);
    return undefined;
  }
  const ways = given.filter((flag) => flag === 'url' || flag === 'none' || flag === 'default');
  if (ways.length !== 1) throw new UsageError('onebot needs exactly one of --url URL, --none or --default');
  if (values.url === undefined && (values.mode !== undefined || values.format !== undefined)) {
    throw new UsageError('--mode and --format go with --url');
  }
  if (values.default) return null;
  if (values.none) return { postUrl: null };
  const url = values.url as string;
  const problem = postUrlProblem(url);
  if (problem !== undefined) throw new UsageError(`--url: ${problem}`);
  const mode = values.mode as string | undefined;
  if (mode !== undefined && !(ONEBOT_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--mode must be rules_first, onebot_only or both, not ${JSON.stringify(mode)}`);
  }
  const format = values.format as string | undefined;
  if (format !== undefined && !(POST_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be string or array, not ${JSON.stringify(format)}`);
  }
  return { postUrl: url, ...(mode ? { mode } : {}), ...(format ? { format } : {}) };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      ...API_TARGET_OPTIONS,
      url: { type: 'string' },
      mode: { type: 'string' },
      format: { type: 'string' },
      none: { type: 'boolean' },
      default: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

function isCommand(word: string): word is AccountsCommand {
  return (COMMANDS as readonly string[]).includes(word);
}

type CommandRun = (request: AccountsRequest, target: ApiTarget, io: AccountsCliIo) => Promise<number>;

/** An account as `GET /v1/accounts` lists it. */
export interface AccountView {
  readonly account: string;
  readonly status: 'active' | 'paused';
  readonly configured: boolean;
  readonly since?: string;
  readonly onebot?: { readonly postUrl: string | null; readonly mode?: string };
}

interface SessionView {
  readonly state: string;
  readonly reason?: string;
}

const COMMAND_RUNS: Record<AccountsCommand, CommandRun> = {
  async list(_request, target, io) {
    const { accounts } = (await callApi(target, io, 'GET', '/v1/accounts')).body as {
      accounts: AccountView[];
    };
    if (accounts.length === 0) {
      io.out('no accounts are served (npm run accounts -- add N to serve one)\n');
      return 0;
    }
    const sessions = await eachAtMost(accounts, SESSION_LOOKUPS_AT_ONCE, (view) =>
      sessionText(target, io, view.account),
    );
    io.out(formatAccountTable(accounts, sessions));
    return 0;
  },

  async add(request, target, io) {
    const account = request.account as string;
    const answer = await callApi(target, io, 'POST', '/v1/accounts', { account });
    const view = answer.body as AccountView;
    if (answer.status === 201) {
      const login = shellWords([
        'npm',
        'run',
        'login',
        '--',
        '--account',
        account,
        ...whereArgs(request.where),
      ]);
      io.out(`added ${account}: scan its QR with \`${login}\`\n`);
    } else {
      io.out(`${account} is served already (${view.status})\n`);
    }
    return 0;
  },

  async pause(request, target, io) {
    const account = request.account as string;
    await callApi(target, io, 'PATCH', `/v1/accounts/${account}`, { status: 'paused' });
    const resume = shellWords([
      'npm',
      'run',
      'accounts',
      '--',
      'resume',
      account,
      ...whereArgs(request.where),
    ]);
    io.out(
      `paused ${account}: its polling stops within a poll cycle, and nothing is sent for it until it is resumed (\`${resume}\`); what it already received is still answered\n`,
    );
    return 0;
  },

  async resume(request, target, io) {
    const account = request.account as string;
    await callApi(target, io, 'PATCH', `/v1/accounts/${account}`, { status: 'active' });
    io.out(
      `resumed ${account}: it is polled again from the next poll cycle, and the send API sends for it\n`,
    );
    return 0;
  },

  async onebot(request, target, io) {
    const account = request.account as string;
    const onebot = request.onebot ?? null;
    await callApi(target, io, 'PATCH', `/v1/accounts/${account}`, { onebot });
    io.out(
      onebot === null
        ? `${account}: the deployment's OneBot bot again (if it has one)\n`
        : onebot.postUrl === null
          ? `${account}: no OneBot bot; its messages are answered by the rules alone\n`
          : `${account}: its events go to ${onebot.postUrl} (${onebot.mode ?? 'rules_first'}) within 10 s\n`,
    );
    return 0;
  },

  async remove(request, target, io) {
    const account = request.account as string;
    await callApi(target, io, 'DELETE', `/v1/accounts/${account}`);
    io.out(
      `removed ${account}: it is no longer polled or served; its session, rules and data are kept (adding it again picks them up)\n`,
    );
    return 0;
  },
};

/** The session column: the state, and why when the API says (never the session itself). */
async function sessionText(target: ApiTarget, io: AccountsCliIo, account: string): Promise<string> {
  try {
    const { body } = await callApi(target, io, 'GET', `/v1/session?account=${account}`);
    const view = body as SessionView;
    return view.reason === undefined ? view.state : `${view.state} (${view.reason})`;
  } catch (err) {
    // One account's session unknown (removed meanwhile, a network blip) still leaves a useful list.
    return `unknown: ${failureText(err)}`;
  }
}

/** The list as aligned columns, in the API's order (configured accounts first). */
export function formatAccountTable(accounts: readonly AccountView[], sessions: readonly string[]): string {
  // The OneBot column only when some account has a bot of its own.
  const onebots = accounts.some((view) => view.onebot !== undefined);
  const rows = accounts.map((view, i) => [
    view.account,
    view.status,
    view.configured ? 'configured' : 'added',
    view.since === undefined ? '-' : view.since.replace(/\.\d+Z$/, 'Z'),
    sessions[i] ?? '',
    ...(onebots ? [onebotText(view)] : []),
  ]);
  const head = ['account', 'status', 'origin', 'since', 'session', ...(onebots ? ['onebot'] : [])];
  return `${textTable([head, ...rows]).join('\n')}\n`;
}

function onebotText(view: AccountView): string {
  if (view.onebot === undefined) return 'the deployment’s';
  if (view.onebot.postUrl === null) return 'none';
  return `${view.onebot.postUrl} (${view.onebot.mode ?? 'rules_first'})`;
}

/** `work` on every item, at most `limit` at a time; the results in the items' order. */
export async function eachAtMost<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A call the API refused or that could not be made: the message says which, never the token. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
}

async function callApi(
  target: ApiTarget,
  io: AccountsCliIo,
  method: string,
  pathAndQuery: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const http = io.fetch ?? fetch;
  let answer: Response;
  try {
    answer = await http(`${target.apiUrl}${pathAndQuery}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND) is what helps.
    const cause = (err as { cause?: unknown }).cause;
    throw new ApiCallError(`cannot reach the send API at ${target.apiUrl}: ${failureText(cause ?? err)}`);
  }
  const json = (await answer.json().catch(() => undefined)) as
    | { error?: string; message?: string; reason?: string }
    | undefined;
  if (answer.status === 401) throw new ApiCallError('the send API refused the token (401)');
  if (!answer.ok) {
    const what = json?.message ?? json?.reason ?? json?.error;
    const code = json?.error === undefined ? `${answer.status}` : `${answer.status} ${json.error}`;
    const call = `${method} ${pathAndQuery.split('?')[0]} answered ${code}`;
    throw new ApiCallError(what === undefined ? call : `${what} (${call})`);
  }
  if (json === undefined)
    throw new ApiCallError(`${method} ${pathAndQuery} answered ${answer.status} without JSON`);
  return { status: answer.status, body: json };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runAccountsCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    projectDir: path.resolve(import.meta.dirname, '../..'),
  });
  process.exit(code);
}
