/**
 * Configuration from the environment, read and checked once per cold start: a missing or bad
 * variable fails the start with its name (it never becomes ''). Each function reads the part it
 * needs; the CDK stack and the local runtime set the same names.
 */
import { z } from 'zod';
import { ONEBOT_MODES, POST_FORMATS, postUrlProblem } from './onebot/post.ts';
import { REAL_HOSTS, type SmartQQHosts, singleBaseHosts } from './smartqq/endpoints.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const optionalUrl = z.string().url().optional();
const ms = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const ENV = {
  /** The bot account's QQ number: the one this deployment logs in and answers for. */
  ACCOUNT: z.string().regex(/^[1-9][0-9]{4,11}$/, 'must be a QQ number'),
  /**
   * The accounts this deployment serves (comma-separated QQ numbers; default ACCOUNT alone): one
   * poller invocation holds them all, each with its own lease (lib/pipeline/shard.ts), and the send
   * API sends for any of them (`account` then required in its calls).
   */
  ACCOUNTS: z
    .string()
    .regex(/^[1-9][0-9]{4,11}(,[1-9][0-9]{4,11})*$/, 'must be QQ numbers separated by commas')
    .transform((list) => [...new Set(list.split(','))])
    .optional(),
  SESSIONS_TABLE: z.string().min(1),
  RULES_TABLE: z.string().min(1),
  GUARDS_TABLE: z.string().min(1),
  INBOUND_QUEUE_URL: z.string().url(),
  /**
   * The inbound queue's dead-letter queue: the consumer sends a record that can never parse there
   * itself, at once, instead of failing it until the redrive moves it.
   */
  INBOUND_DLQ_URL: z.string().url(),
  /** Emulator endpoints (local runtime and tests); unset in AWS. */
  DYNAMODB_ENDPOINT: optionalUrl,
  SQS_ENDPOINT: optionalUrl,
  /** One base URL for every SmartQQ host (the simulator); unset means the real hosts... */
  SMARTQQ_BASE_URL: optionalUrl,
  /** ...or each host role on its own. */
  SMARTQQ_PTLOGIN_URL: optionalUrl,
  SMARTQQ_SWEB2_URL: optionalUrl,
  SMARTQQ_D1WEB2_URL: optionalUrl,
  /** The longest poll2 hold the server may use, and the margin for the answer to arrive. */
  POLL_MAX_HOLD_MS: ms(120_000),
  POLL_MARGIN_MS: ms(5_000),
  /**
   * How often the schedule starts the poller. A poller that finds the lease held by one ending
   * within about a period waits to take over, so polling does not pause until the next tick.
   */
  POLLER_RATE_MS: ms(60_000),
  /**
   * Send pacing per account, a token bucket: SEND_BURST messages at once, refilled at one every
   * SEND_INTERVAL_MS (0 = off). Bots kept about 3 s between sends and accounts that sent fast for a
   * while were muted (docs/protocol.md §5); a few at once let a reply and an API send go together.
   */
  SEND_INTERVAL_MS: ms(3_000),
  SEND_BURST: z.coerce.number().int().min(1).max(20).default(3),
  /**
   * The circuit breaker: replies per conversation per minute before the bot falls silent there for
   * five minutes, whatever the rules say (0 = off). A loop that no other guard caught ends here.
   */
  CONVERSATION_REPLIES_PER_MINUTE: z.coerce.number().int().min(0).max(60).default(6),
  /**
   * OneBot v11 (`lib/onebot`): the URL each received message is posted to as an event (unset: no
   * OneBot bot), the secret its `X-Signature` is made with, which answers (`rules_first`: the rules,
   * and the bot when none answered; `onebot_only`; `both`), and the event's `message` as a CQ code
   * string or an array of segments.
   */
  ONEBOT_POST_URL: z
    .string()
    .refine((url) => postUrlProblem(url) === undefined, {
      error: (issue) => postUrlProblem(String(issue.input)) ?? 'invalid',
    })
    .optional(),
  ONEBOT_SECRET: z.string().min(1).optional(),
  /** ONEBOT_SECRET from Secrets Manager (the stack's generated secret): its SecretString. */
  ONEBOT_SECRET_ID: z.string().min(1).optional(),
  ONEBOT_MODE: z.enum(ONEBOT_MODES).default('rules_first'),
  ONEBOT_POST_FORMAT: z.enum(POST_FORMATS).default('string'),
  /** The send API's bearer token: a Secrets Manager secret in AWS, a plain value locally. */
  API_TOKEN_SECRET_ID: z.string().min(1).optional(),
  API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
} as const;

type EnvKey = keyof typeof ENV;
export type Env<K extends EnvKey> = { readonly [P in K]: z.output<(typeof ENV)[P]> };

/** Reads and checks the named variables; throws ConfigError naming each bad one. */
export function readEnv<K extends EnvKey>(
  keys: readonly K[],
  source: NodeJS.ProcessEnv = process.env,
): Env<K> {
  const shape = Object.fromEntries(keys.map((k) => [k, ENV[k]])) as unknown as Record<K, z.ZodType>;
  const raw = Object.fromEntries(keys.map((k) => [k, source[k] === '' ? undefined : source[k]]));
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`bad configuration: ${problems}`);
  }
  return parsed.data as Env<K>;
}

/** The SmartQQ hosts from the configuration: one base URL, per-role URLs, or the real hosts. */
export function smartQQHosts(
  env: Partial<Env<'SMARTQQ_BASE_URL' | 'SMARTQQ_PTLOGIN_URL' | 'SMARTQQ_SWEB2_URL' | 'SMARTQQ_D1WEB2_URL'>>,
): SmartQQHosts {
  const base = env.SMARTQQ_BASE_URL ? singleBaseHosts(env.SMARTQQ_BASE_URL) : REAL_HOSTS;
  return {
    ptlogin: env.SMARTQQ_PTLOGIN_URL ?? base.ptlogin,
    sweb2: env.SMARTQQ_SWEB2_URL ?? base.sweb2,
    d1web2: env.SMARTQQ_D1WEB2_URL ?? base.d1web2,
  };
}
