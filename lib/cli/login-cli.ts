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
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LoginStateView } from '../send-api/login-page.ts';
import { STATE_TEXT } from '../send-api/login-page.ts';
import { renderQrForTerminal } from '../smartqq/qr-terminal.ts';
import { LocalRuntimeFileError, readLocalRuntime } from '../state/runtime-file.ts';
import { failureText } from './failure-text.ts';
import { stackOutputs } from './table-location.ts';
import { UsageError } from './usage-error.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const USAGE = `Usage: npm run login -- [--account N] <where> [--timeout-s S]

Where the send API is (one of):
  --local [--data-dir DIR]        the running \`npm start\` (default when nothing else is given)
  --stack NAME [--region R]       a deployed stack (its ApiUrl output and its token secret)
  --api URL                       any deployment; the API token in $QQBOT_API_TOKEN

--account N     the bot's QQ number (default: the local runtime's account)
--timeout-s S   give up after S seconds (default 600)

Prints a link to open on a phone (no token in it) and the QR code; exits 0 once the bot is online,
1 on a timeout or an error.`;

export interface LoginTarget {
  readonly apiUrl: string;
  readonly token: string;
  readonly account: string;
}

export interface LoginCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly projectDir: string;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** For `--stack`: the stack's outputs and the token secret. */
  readonly stackLookup?: (
    stack: string,
    region: string | undefined,
  ) => Promise<{ apiUrl: string; token: string }>;
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
        local: { type: 'boolean' },
        'data-dir': { type: 'string' },
        stack: { type: 'string' },
        region: { type: 'string' },
        api: { type: 'string' },
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
  const ways = [values.local === true, values.stack !== undefined, values.api !== undefined].filter(
    Boolean,
  ).length;
  if (ways > 1) throw new UsageError('give only one of --local, --stack and --api');
  if (values.account !== undefined && !/^[1-9][0-9]{4,11}$/.test(values.account)) {
    throw new UsageError(
      `--account ${values.account} is not a QQ number (5 to 12 digits, not starting with 0)`,
    );
  }
  if (values.api !== undefined) {
    if (!URL.canParse(values.api)) throw new UsageError(`--api ${values.api} is not a URL`);
    const token = io.env.QQBOT_API_TOKEN;
    if (!token) throw new UsageError('--api needs the API token in $QQBOT_API_TOKEN');
    if (values.account === undefined) throw new UsageError('--api needs --account N');
    return { apiUrl: values.api.replace(/\/+$/, ''), token, account: values.account };
  }
  if (values.stack !== undefined) {
    if (values.account === undefined) throw new UsageError('--stack needs --account N');
    const lookup = io.stackLookup ?? stackLookup;
    const { apiUrl, token } = await lookup(values.stack, values.region);
    return { apiUrl, token, account: values.account };
  }
  try {
    const info = readLocalRuntime(io.projectDir, values['data-dir']);
    if (!info.sendApiUrl || !info.apiToken) {
      throw new UsageError('--local: the runtime file names no send API: is npm start up to date?');
    }
    const account = values.account ?? info.account;
    if (account === undefined) throw new UsageError('--local: say which account with --account N');
    return { apiUrl: info.sendApiUrl, token: info.apiToken, account };
  } catch (err) {
    if (err instanceof LocalRuntimeFileError) throw new UsageError(`--local: ${err.message}`);
    throw err;
  }
}

async function stackLookup(
  stack: string,
  region: string | undefined,
): Promise<{ apiUrl: string; token: string }> {
  const { region: stackRegion, outputs } = await stackOutputs(stack, region);
  const apiUrl = outputs.get('ApiUrl');
  const secret = outputs.get('ApiTokenSecretName');
  if (!apiUrl || !secret) throw new UsageError(`--stack ${stack}: no ApiUrl or ApiTokenSecretName output`);
  const sm = new SecretsManagerClient({ region: stackRegion });
  try {
    const { SecretString } = await sm.send(new GetSecretValueCommand({ SecretId: secret }));
    if (!SecretString) throw new Error(`the secret ${secret} holds no string`);
    return { apiUrl, token: SecretString };
  } finally {
    sm.destroy();
  }
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
