/**
 * Where the send API is, and its token, for the tools that call it (`npm run login`, `npm run
 * accounts`): the running `npm start` (`--local`, its runtime file), a deployed stack (`--stack`, its
 * ApiUrl output and its token secret), or any deployment (`--api URL`, the token in
 * `$QQBOT_API_TOKEN`).
 *
 * Checking the flags (`apiWhere`) is kept apart from looking the API up (`locateApi`): a command can
 * refuse its own bad arguments before anything is read or asked of AWS.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalRuntimeFileError, readLocalRuntime } from '../state/runtime-file.ts';
import { stackOutputs } from './table-location.ts';
import { UsageError } from './usage-error.ts';

/** The variable `--api` reads the token from: never a flag, so it stays out of shell history and `ps`. */
export const API_TOKEN_ENV = 'QQBOT_API_TOKEN';

/** The `parseArgs` options of the where-flags. */
export const API_TARGET_OPTIONS = {
  local: { type: 'boolean' },
  'data-dir': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  api: { type: 'string' },
} as const;

/** The where-flags' lines of a usage text. */
export const API_TARGET_USAGE = `Where the send API is (one of):
  --local [--data-dir DIR]        the running \`npm start\` (default when nothing else is given)
  --stack NAME [--region R]       a deployed stack (its ApiUrl output and its token secret)
  --api URL                       any deployment; the API token in $${API_TOKEN_ENV}`;

export interface ApiTargetFlags {
  readonly local?: boolean | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
  readonly api?: string | undefined;
}

/** Where the API is, as the flags say it (checked, nothing looked up yet). */
export type ApiWhere =
  | { readonly kind: 'local'; readonly dataDir?: string }
  | { readonly kind: 'stack'; readonly stack: string; readonly region?: string }
  | { readonly kind: 'api'; readonly apiUrl: string; readonly token: string };

export interface ApiTarget {
  /** The base URL, without a trailing slash (`${apiUrl}/v1/accounts`). */
  readonly apiUrl: string;
  readonly token: string;
  /** `--local`: the account the local runtime was started for, when its runtime file says. */
  readonly localAccount?: string;
}

export type StackLookup = (
  stack: string,
  region: string | undefined,
) => Promise<{ apiUrl: string; token: string }>;

export interface ApiTargetIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The repository: `--local` reads `.local-data/runtime.json` here. */
  readonly projectDir: string;
  /** For `--stack`: the stack's outputs and the token secret (default: CloudFormation and Secrets Manager). */
  readonly stackLookup?: StackLookup;
}

/** Checks the where-flags; a UsageError names the first problem. Reads nothing. */
export function apiWhere(flags: ApiTargetFlags, env: ApiTargetIo['env']): ApiWhere {
  const ways = [flags.local === true, flags.stack !== undefined, flags.api !== undefined].filter(
    Boolean,
  ).length;
  if (ways > 1) throw new UsageError('give only one of --local, --stack and --api');
  // Given with another way, these would be ignored without a word.
  if (flags['data-dir'] !== undefined && ways === 1 && flags.local !== true) {
    throw new UsageError('--data-dir goes with --local (the data folder npm start was given)');
  }
  if (flags.region !== undefined && flags.stack === undefined) {
    throw new UsageError('--region goes with --stack NAME');
  }
  if (flags.api !== undefined) {
    if (!URL.canParse(flags.api)) throw new UsageError(`--api ${flags.api} is not a URL`);
    const token = env[API_TOKEN_ENV];
    if (!token) throw new UsageError(`--api needs the API token in $${API_TOKEN_ENV}`);
    return { kind: 'api', apiUrl: withoutTrailingSlash(flags.api), token };
  }
  if (flags.stack !== undefined) {
    return {
      kind: 'stack',
      stack: flags.stack,
      ...(flags.region === undefined ? {} : { region: flags.region }),
    };
  }
  return { kind: 'local', ...(flags['data-dir'] === undefined ? {} : { dataDir: flags['data-dir'] }) };
}

/** The API's URL and token: the runtime file, or the stack's output and secret. */
export async function locateApi(where: ApiWhere, io: ApiTargetIo): Promise<ApiTarget> {
  if (where.kind === 'api') return { apiUrl: where.apiUrl, token: where.token };
  if (where.kind === 'stack') {
    const { apiUrl, token } = await (io.stackLookup ?? stackLookup)(where.stack, where.region);
    return { apiUrl: withoutTrailingSlash(apiUrl), token };
  }
  try {
    const info = readLocalRuntime(io.projectDir, where.dataDir);
    if (!info.sendApiUrl || !info.apiToken) {
      throw new UsageError('--local: the runtime file names no send API: is npm start up to date?');
    }
    return {
      apiUrl: withoutTrailingSlash(info.sendApiUrl),
      token: info.apiToken,
      ...(info.account === undefined ? {} : { localAccount: info.account }),
    };
  } catch (err) {
    if (err instanceof LocalRuntimeFileError) throw new UsageError(`--local: ${err.message}`);
    throw err;
  }
}

/**
 * The where-flags again, to print in a command to run next (`npm run login -- --account N …`):
 * `--local` spelled out, never the token.
 */
export function whereArgs(where: ApiWhere): string[] {
  switch (where.kind) {
    case 'local':
      return where.dataDir === undefined ? ['--local'] : ['--local', '--data-dir', where.dataDir];
    case 'stack':
      return where.region === undefined
        ? ['--stack', where.stack]
        : ['--stack', where.stack, '--region', where.region];
    case 'api':
      return ['--api', where.apiUrl];
  }
}

/** Arguments as a shell line: a word with anything but plain characters in single quotes. */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
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

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
