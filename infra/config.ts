/**
 * The deployment's settings, from CDK context (`-c key=value` or `cdk.json`), checked once with the
 * same rules the functions apply to the environment they are given (lib/config.ts `ENV`).
 */
import { z } from 'zod';
import { ENV } from '../lib/config.ts';
import { MAX_SHARDS } from '../lib/pipeline/shard.ts';
import { QQ_NUMBER_PATTERN } from '../lib/send-api/errors.ts';

export interface BotConfig {
  /**
   * The deployment's first QQ number. It names the stack (`QQBot-<account>`): a deployment keeps it
   * when it serves more accounts, or a deploy would make a second stack beside the first.
   */
  readonly account: string;
  /** Every account the deployment is configured with: `account` first, then `accounts`, no repeats. */
  readonly accounts: readonly string[];
  /** How many poller shards, one EventBridge rule each (lib/pipeline/shard.ts). */
  readonly shards: number;
  readonly pollerMemoryMb: number;
  /** SMARTQQ_* variables for a SmartQQ-compatible server; empty means the real hosts. */
  readonly smartqq: Readonly<Partial<Record<SmartQQVariable, string>>>;
  readonly pollerRateMinutes: number;
  readonly sendIntervalMs: number;
  readonly sendBurst: number;
  readonly conversationRepliesPerMinute: number;
  readonly alarmEmail?: string;
  /** A OneBot v11 bot the consumer posts each received message to; none without `onebotPostUrl`. */
  readonly onebot?: OneBotConfig;
}

/** The consumer's ONEBOT_* variables (lib/config.ts), but for the secret: the stack generates it. */
export interface OneBotConfig {
  readonly postUrl: string;
  readonly mode: z.infer<typeof ENV.ONEBOT_MODE>;
  readonly postFormat: z.infer<typeof ENV.ONEBOT_POST_FORMAT>;
}

export type SmartQQVariable =
  | 'SMARTQQ_BASE_URL'
  | 'SMARTQQ_PTLOGIN_URL'
  | 'SMARTQQ_SWEB2_URL'
  | 'SMARTQQ_D1WEB2_URL';

/** Context key → the function variable it sets. */
const SMARTQQ_CONTEXT = {
  smartqqBaseUrl: 'SMARTQQ_BASE_URL',
  smartqqPtloginUrl: 'SMARTQQ_PTLOGIN_URL',
  smartqqSweb2Url: 'SMARTQQ_SWEB2_URL',
  smartqqD1web2Url: 'SMARTQQ_D1WEB2_URL',
} as const satisfies Record<string, SmartQQVariable>;

/** Context keys that only mean something with `onebotPostUrl`. */
const ONEBOT_OPTIONS = ['onebotMode', 'onebotPostFormat'] as const;

/**
 * At most the poller's timeout (15 minutes, infra/poller.ts): every invocation ends within it, so a
 * slower schedule would leave minutes with nobody polling at all.
 */
export const MAX_POLLER_RATE_MINUTES = 15;

/**
 * ACCOUNTS holds every configured account, and Lambda allows 4 KB of variables per function: 150
 * twelve-digit numbers are 1,949 characters, which leaves room for the others (table names, queue
 * URL, SmartQQ URLs). More accounts are added at run time, to the registry (POST /v1/accounts).
 */
export const MAX_CONFIGURED_ACCOUNTS = 150;

/**
 * The poller's memory. Peak RSS of one 60 s invocation at 20 messages a second (`npm run
 * measure:poller-memory -- --accounts N`): 87.5 MB for 1 account, 103.9 MB for 10, 128.5 MB for
 * 100. So 128 MB holds up to about 50 accounts per shard, and 192 MB up to 100
 * (ACCOUNTS_PER_SHARD, lib/pipeline/shard.ts): past that, more shards rather than more memory.
 */
export const DEFAULT_POLLER_MEMORY_MB = 128;
/** Lambda's least, and far more than any shard was measured to need. */
export const POLLER_MEMORY_RANGE_MB = { min: 128, max: 3008 } as const;

export class BotConfigError extends Error {
  override readonly name = 'BotConfigError';
}

/** `-c key=5` is a string, `"key": 5` in cdk.json a number: both are fine, and nothing else. */
function wholeNumber(min: number, max: number) {
  const error = `expected a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const qqNumber = (v: unknown) => (typeof v === 'number' ? String(v) : v);

/** `-c accounts=20002,20003` is a string; cdk.json may also hold an array, of numbers or strings. */
function accountList(v: unknown): unknown {
  if (typeof v === 'string') return v.split(',').map((account) => account.trim());
  if (Array.isArray(v)) return v.map(qqNumber);
  return typeof v === 'number' ? [String(v)] : v;
}

const CONTEXT = z.object({
  // `-c account=20001` is a string, `"account": 20001` in cdk.json a number: both are fine.
  account: z.preprocess(qqNumber, ENV.ACCOUNT),
  accounts: z
    .preprocess(
      accountList,
      z
        .array(
          z.string().regex(QQ_NUMBER_PATTERN, {
            error: (issue) => `${JSON.stringify(issue.input)} is not a QQ number`,
          }),
          { error: 'expected QQ numbers, comma-separated (-c accounts=20002,20003) or a JSON array' },
        )
        .max(MAX_CONFIGURED_ACCOUNTS, {
          error: `at most ${MAX_CONFIGURED_ACCOUNTS} accounts (ACCOUNTS must fit Lambda's 4 KB of variables): add more at run time (POST /v1/accounts)`,
        }),
    )
    .optional(),
  shards: wholeNumber(1, MAX_SHARDS).default(1),
  pollerMemoryMb: wholeNumber(POLLER_MEMORY_RANGE_MB.min, POLLER_MEMORY_RANGE_MB.max).default(
    DEFAULT_POLLER_MEMORY_MB,
  ),
  pollerRateMinutes: wholeNumber(1, MAX_POLLER_RATE_MINUTES).default(1),
  sendIntervalMs: ENV.SEND_INTERVAL_MS,
  sendBurst: ENV.SEND_BURST,
  conversationRepliesPerMinute: ENV.CONVERSATION_REPLIES_PER_MINUTE,
  alarmEmail: z.email().optional(),
  smartqqBaseUrl: ENV.SMARTQQ_BASE_URL,
  smartqqPtloginUrl: ENV.SMARTQQ_PTLOGIN_URL,
  smartqqSweb2Url: ENV.SMARTQQ_SWEB2_URL,
  smartqqD1web2Url: ENV.SMARTQQ_D1WEB2_URL,
  // The functions' own rule (lib/onebot/post.ts postUrlProblem): http or https, no user or password.
  onebotPostUrl: ENV.ONEBOT_POST_URL,
  onebotMode: ENV.ONEBOT_MODE,
  onebotPostFormat: ENV.ONEBOT_POST_FORMAT,
});

/** Reads and checks the context; throws BotConfigError naming each bad key and how to set it. */
export function readBotConfig(context: (key: string) => unknown): BotConfig {
  const raw = Object.fromEntries(
    Object.keys(CONTEXT.shape).map((k) => [k, context(k) === '' ? undefined : context(k)]),
  );
  if (raw.account === undefined) {
    throw new BotConfigError(
      "context 'account' is missing: give the bot's QQ number, e.g. npx cdk deploy -c account=123456789",
    );
  }
  const parsed = CONTEXT.safeParse(raw);
  // Checked on what was given: the parsed values carry the functions' defaults.
  const unpaired = ONEBOT_OPTIONS.filter((key) => raw[key] !== undefined && raw.onebotPostUrl === undefined);
  if (!parsed.success || unpaired.length > 0) {
    const problems = [
      ...(parsed.error?.issues ?? []).map((i) => `'${i.path.join('.')}': ${i.message}`),
      ...unpaired.map(
        (key) => `'${key}' goes with onebotPostUrl: give the bot's URL too (-c onebotPostUrl=https://…)`,
      ),
    ].join('; ');
    throw new BotConfigError(`bad CDK context: ${problems}`);
  }
  const smartqq: Partial<Record<SmartQQVariable, string>> = {};
  for (const [key, variable] of Object.entries(SMARTQQ_CONTEXT) as [
    keyof typeof SMARTQQ_CONTEXT,
    SmartQQVariable,
  ][]) {
    const url = parsed.data[key];
    if (url !== undefined) smartqq[variable] = url;
  }
  const { account, onebotPostUrl } = parsed.data;
  return {
    account,
    accounts: [...new Set([account, ...(parsed.data.accounts ?? [])])],
    shards: parsed.data.shards,
    pollerMemoryMb: parsed.data.pollerMemoryMb,
    smartqq,
    pollerRateMinutes: parsed.data.pollerRateMinutes,
    sendIntervalMs: parsed.data.sendIntervalMs,
    sendBurst: parsed.data.sendBurst,
    conversationRepliesPerMinute: parsed.data.conversationRepliesPerMinute,
    ...(parsed.data.alarmEmail === undefined ? {} : { alarmEmail: parsed.data.alarmEmail }),
    ...(onebotPostUrl === undefined
      ? {}
      : {
          onebot: {
            postUrl: onebotPostUrl,
            mode: parsed.data.onebotMode,
            postFormat: parsed.data.onebotPostFormat,
          },
        }),
  };
}
