/**
 * The deployment's settings, from CDK context (`-c key=value` or `cdk.json`), checked once with the
 * same rules the functions apply to the environment they are given (lib/config.ts `ENV`).
 */
import { z } from 'zod';
import { ENV } from '../lib/config.ts';

export interface BotConfig {
  /** The bot's QQ number: the one account this deployment logs in and answers for. */
  readonly account: string;
  /** SMARTQQ_* variables for a SmartQQ-compatible server; empty means the real hosts. */
  readonly smartqq: Readonly<Partial<Record<SmartQQVariable, string>>>;
  readonly pollerRateMinutes: number;
  readonly sendIntervalMs: number;
  readonly sendBurst: number;
  readonly conversationRepliesPerMinute: number;
  readonly alarmEmail?: string;
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

/**
 * At most the poller's timeout (15 minutes, infra/poller.ts): every invocation ends within it, so a
 * slower schedule would leave minutes with nobody polling at all.
 */
export const MAX_POLLER_RATE_MINUTES = 15;

export class BotConfigError extends Error {
  override readonly name = 'BotConfigError';
}

const CONTEXT = z.object({
  // `-c account=20001` is a string, `"account": 20001` in cdk.json a number: both are fine.
  account: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), ENV.ACCOUNT),
  pollerRateMinutes: z.coerce.number().int().min(1).max(MAX_POLLER_RATE_MINUTES).default(1),
  sendIntervalMs: ENV.SEND_INTERVAL_MS,
  sendBurst: ENV.SEND_BURST,
  conversationRepliesPerMinute: ENV.CONVERSATION_REPLIES_PER_MINUTE,
  alarmEmail: z.email().optional(),
  smartqqBaseUrl: ENV.SMARTQQ_BASE_URL,
  smartqqPtloginUrl: ENV.SMARTQQ_PTLOGIN_URL,
  smartqqSweb2Url: ENV.SMARTQQ_SWEB2_URL,
  smartqqD1web2Url: ENV.SMARTQQ_D1WEB2_URL,
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
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `'${i.path.join('.')}': ${i.message}`).join('; ');
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
  return {
    account: parsed.data.account,
    smartqq,
    pollerRateMinutes: parsed.data.pollerRateMinutes,
    sendIntervalMs: parsed.data.sendIntervalMs,
    sendBurst: parsed.data.sendBurst,
    conversationRepliesPerMinute: parsed.data.conversationRepliesPerMinute,
    ...(parsed.data.alarmEmail === undefined ? {} : { alarmEmail: parsed.data.alarmEmail }),
  };
}
