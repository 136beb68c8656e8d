/**
 * `npm start`'s flags: parsed and checked before anything starts, so a mistake gets one line naming
 * the flag (and the usage), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ONEBOT_MODES, postUrlProblem } from '../lib/onebot/post.ts';
import { DEFAULT_DATA_DIR } from '../lib/state/runtime-file.ts';

export const USAGE = [
  'usage: npm start -- [options]',
  '  --smartqq-url URL   a SmartQQ-compatible server instead of the built-in simulator (needs --account)',
  '  --account QQ        serve this one account (default: every account of the world: 20001, 20002)',
  '  --world FILE        the built-in simulator’s world (default local/demo-world.json)',
  '  --rules FILE        rules to run by, a JSON array as `npm run rules -- export` writes',
  '                      (default: the demo rules, on first start)',
  '  --data-dir DIR      keep DynamoDB (rules, session, outbox) in DIR across restarts',
  `                      (default: in memory; the runtime file goes to ${DEFAULT_DATA_DIR}/)`,
  '  --log-level LEVEL   the functions’ own logs: TRACE, DEBUG, INFO, WARN (default), ERROR, SILENT',
  '  --wait-scan         do not scan the QR by itself: use the simulator’s control API',
  '  --quiet-demo        no demo chatter; talk to the bot through the simulator’s control API',
  '  --port N            the simulator’s port; --api-port N the send API’s (default: free ones)',
  '  --hold-ms N         the longest poll hold (default 30000 with the simulator, 120000 otherwise)',
  '  --onebot-url URL    post each message to a OneBot v11 bot there (its actions: <send API>/onebot/v11/)',
  '  --onebot-secret S   sign those posts (X-Signature, HMAC-SHA1)',
  '  --onebot-mode MODE  rules_first (default: the bot when no rule answers), onebot_only, or both',
  '  --help              this text',
].join('\n');

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StartOptions {
  readonly help: boolean;
  readonly smartqqUrl?: string;
  readonly account?: string;
  /** The world file's JSON, already read. */
  readonly world?: unknown;
  /** The rules file's items, already read. */
  readonly rules?: readonly unknown[];
  /** Absolute. */
  readonly dataDir?: string;
  readonly logLevel?: LogLevel;
  readonly waitScan: boolean;
  readonly quietDemo: boolean;
  readonly simulatorPort: number;
  readonly sendApiPort: number;
  readonly holdMs?: number;
  readonly onebot?: { readonly url: string; readonly secret?: string; readonly mode?: string };
}

export class StartUsageError extends Error {
  override readonly name = 'StartUsageError';
}

const SIMULATOR_ONLY = ['world', 'wait-scan', 'quiet-demo', 'port'] as const;

/** Parses `argv` (without node and the script); files are read relative to `cwd`. */
export function parseStartArgs(argv: readonly string[], cwd = process.cwd()): StartOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new StartUsageError(parseArgsProblem(err as Error & { code?: string }));
  }
  const url = values['smartqq-url'];
  if (url !== undefined) {
    checkUrl(url);
    for (const flag of SIMULATOR_ONLY) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw new StartUsageError(
          `--${flag} is for the built-in simulator; it does not go with --smartqq-url`,
        );
      }
    }
    if (values.account === undefined) {
      throw new StartUsageError('--smartqq-url needs --account QQ: the QQ number the bot logs in as');
    }
  }
  const account = values.account;
  if (account !== undefined && !/^[1-9][0-9]{4,11}$/.test(account)) {
    throw new StartUsageError(
      `--account must be a QQ number (5 to 12 digits), not ${JSON.stringify(account)}`,
    );
  }
  const logLevel = values['log-level'];
  const level = logLevel === undefined ? undefined : LOG_LEVELS.find((l) => l === logLevel.toUpperCase());
  if (logLevel !== undefined && level === undefined) {
    throw new StartUsageError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}`,
    );
  }
  const rules = values.rules === undefined ? undefined : jsonFile('--rules', values.rules, cwd);
  if (rules !== undefined && !Array.isArray(rules)) {
    throw new StartUsageError(
      `--rules ${values.rules}: must hold a JSON array of rules (as \`npm run rules -- export\` writes)`,
    );
  }
  const holdMs =
    values['hold-ms'] === undefined ? undefined : whole('--hold-ms', values['hold-ms'], 1_000, 300_000);
  return {
    help: values.help === true,
    ...(url !== undefined ? { smartqqUrl: url.replace(/\/+$/, '') } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(values.world !== undefined ? { world: jsonFile('--world', values.world, cwd) } : {}),
    ...(rules !== undefined ? { rules } : {}),
    ...(values['data-dir'] !== undefined
      ? { dataDir: path.resolve(cwd, nonEmpty('--data-dir', values['data-dir'])) }
      : {}),
    ...(level !== undefined ? { logLevel: level } : {}),
    waitScan: values['wait-scan'] === true,
    quietDemo: values['quiet-demo'] === true,
    simulatorPort: values.port === undefined ? 0 : whole('--port', values.port, 0, 65_535),
    sendApiPort: values['api-port'] === undefined ? 0 : whole('--api-port', values['api-port'], 0, 65_535),
    ...(holdMs !== undefined ? { holdMs } : {}),
    ...onebotOptions(values),
  };
}

function onebotOptions(values: ReturnType<typeof parse>['values']): Pick<StartOptions, 'onebot'> {
  const url = values['onebot-url'];
  const secret = values['onebot-secret'];
  const mode = values['onebot-mode'];
  if (url === undefined) {
    if (secret !== undefined || mode !== undefined) {
      throw new StartUsageError(
        `--onebot-${secret !== undefined ? 'secret' : 'mode'} goes with --onebot-url`,
      );
    }
    return {};
  }
  if (postUrlProblem(url) !== undefined) {
    throw new StartUsageError(`--onebot-url must be an http or https URL, not ${JSON.stringify(url)}`);
  }
  if (mode !== undefined && !(ONEBOT_MODES as readonly string[]).includes(mode)) {
    throw new StartUsageError(
      `--onebot-mode must be one of ${ONEBOT_MODES.join(', ')}, not ${JSON.stringify(mode)}`,
    );
  }
  if (secret !== undefined && secret === '') throw new StartUsageError('--onebot-secret needs a value');
  return {
    onebot: { url, ...(secret !== undefined ? { secret } : {}), ...(mode !== undefined ? { mode } : {}) },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      'smartqq-url': { type: 'string' },
      account: { type: 'string' },
      world: { type: 'string' },
      rules: { type: 'string' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
      'wait-scan': { type: 'boolean' },
      'quiet-demo': { type: 'boolean' },
      port: { type: 'string' },
      'api-port': { type: 'string' },
      'hold-ms': { type: 'string' },
      'onebot-url': { type: 'string' },
      'onebot-secret': { type: 'string' },
      'onebot-mode': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** node:util's parseArgs errors, in a line that names the flag. */
function parseArgsProblem(err: Error & { code?: string }): string {
  const named = /'([^']+)'/.exec(err.message)?.[1]?.split(' ')[0] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${named}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(named)}: every option is a --flag`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return err.message.includes('argument missing') ? `${named} needs a value` : `${named} takes no value`;
    default:
      return err.message;
  }
}

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StartUsageError(
      `--smartqq-url must be a URL such as http://127.0.0.1:8788, not ${JSON.stringify(value)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StartUsageError(`--smartqq-url must be an http or https URL, not ${JSON.stringify(value)}`);
  }
}

function whole(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new StartUsageError(
      `${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new StartUsageError(`${flag} needs a folder`);
  return value;
}

function jsonFile(flag: string, file: string, cwd: string): unknown {
  const where = path.resolve(cwd, nonEmpty(flag, file));
  let text: string;
  try {
    text = readFileSync(where, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartUsageError(
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StartUsageError(`${flag} ${file}: not JSON (${(err as Error).message})`);
  }
}
