/**
 * The accounts the send API serves, from the deployment's configuration and the account registry
 * (rules: `lib/pipeline/accounts.ts`), and the bodies of the calls that change them
 * (`POST /v1/accounts`, `PATCH /v1/accounts/{account}`).
 *
 * The registry is read at most once every `SERVED_CACHE_MS` per container: a change made through
 * another container reaches this one within that long; one made here, at once.
 */
import { z } from 'zod';
import { ONEBOT_MODES, POST_FORMATS, postUrlProblem } from '../onebot/post.ts';

import {
  type AccountAction,
  type AccountOneBot,
  type Registry,
  type ServedAccount,
  servedAccounts,
} from '../pipeline/accounts.ts';
import { AccountPausedError, InvalidRequestError } from './errors.ts';
import { checkAccount, parseJsonBody } from './request.ts';

export const SERVED_CACHE_MS = 10_000;

export interface RegistryStore {
  read(): Promise<Registry>;
  change(
    configured: readonly string[],
    action: AccountAction,
    account: string,
    nowMs: number,
  ): Promise<Registry>;
  setOneBot(
    configured: readonly string[],
    account: string,
    onebot: AccountOneBot | undefined,
    nowMs: number,
  ): Promise<Registry>;
}

export class ServedAccounts {
  readonly #configured: readonly string[];
  readonly #store: RegistryStore;
  readonly #now: () => number;
  #kept: { readonly registry: Registry; readonly at: number } | undefined;

  constructor(configured: readonly string[], store: RegistryStore, now: () => number = Date.now) {
    this.#configured = configured;
    this.#store = store;
    this.#now = now;
  }

  async list(): Promise<ServedAccount[]> {
    return servedAccounts(this.#configured, await this.#registry());
  }

  /**
   * The account a call reads about (`account` optional when one is served): paused or not. A number
   * that is not served is `UnknownAccountError`.
   */
  async forReading(requested: string | undefined): Promise<ServedAccount> {
    const served = await this.list();
    const account = checkAccount(
      requested,
      served.map((s) => s.account),
    );
    return served.find((s) => s.account === account) as ServedAccount;
  }

  /** As `forReading`, and refused with `AccountPausedError` while the account is paused. */
  async forSending(requested: string | undefined): Promise<string> {
    const served = await this.forReading(requested);
    if (served.status === 'paused') throw new AccountPausedError(served.account);
    return served.account;
  }

  /** Every served account's number, for the checks a request body makes itself. */
  async numbers(): Promise<string[]> {
    return (await this.list()).map((s) => s.account);
  }

  /** Sets the account's own OneBot bot (undefined: the deployment's again); the account after it. */
  async setOneBot(account: string, onebot: AccountOneBot | undefined): Promise<ServedAccount | undefined> {
    const registry = await this.#store.setOneBot(this.#configured, account, onebot, this.#now());
    this.#kept = { registry, at: this.#now() };
    return servedAccounts(this.#configured, registry).find((s) => s.account === account);
  }

  /** Applies the change; the account as listed after it, or undefined once removed. */
  async change(action: AccountAction, account: string): Promise<ServedAccount | undefined> {
    const registry = await this.#store.change(this.#configured, action, account, this.#now());
    this.#kept = { registry, at: this.#now() };
    return servedAccounts(this.#configured, registry).find((s) => s.account === account);
  }

  async #registry(): Promise<Registry> {
    const now = this.#now();
    if (!this.#kept || now - this.#kept.at >= SERVED_CACHE_MS) {
      this.#kept = { registry: await this.#store.read(), at: now };
    }
    return this.#kept.registry;
  }
}

export const ADD_BODY = z.strictObject({
  account: z
    .union([z.string(), z.number().int()])
    .transform(String)
    .meta({ description: 'The QQ number to serve (a string, or a number).' }),
});
const ONEBOT_BOT = z
  .strictObject({
    postUrl: z
      .string()
      .refine((url) => postUrlProblem(url) === undefined, {
        error: (issue) => postUrlProblem(String(issue.input)) ?? 'invalid',
      })
      .meta({ format: 'uri' })
      .nullable()
      .meta({ description: "Where this account's events are posted; null: no OneBot bot for it." }),
    mode: z.enum(ONEBOT_MODES, { error: `expected one of ${ONEBOT_MODES.join(', ')}` }).optional(),
    format: z.enum(POST_FORMATS, { error: "expected 'string' or 'array'" }).optional(),
  })
  .nullable()
  .meta({
    description: "The account's own OneBot bot, over the deployment's; null: the deployment's again.",
  });

export const PATCH_BODY = z
  .strictObject({
    status: z.enum(['active', 'paused'], { error: "expected 'active' or 'paused'" }).optional(),
    onebot: ONEBOT_BOT.optional(),
  })
  .refine((body) => body.status !== undefined || body.onebot !== undefined, {
    error: 'expected "status" or "onebot"',
  })
  .meta({ description: 'At least one of status and onebot.', minProperties: 1 });

/** What `PATCH /v1/accounts/{account}` changes. */
export interface AccountPatch {
  readonly action?: 'pause' | 'resume';
  /** null: back to the deployment's bot. */
  readonly onebot?: AccountOneBot | null;
}

/** `POST /v1/accounts`: `{"account": "123456"}` (a number is taken too). */
export function parseAddAccount(body: string | undefined): string {
  const json = parseJsonBody(body);
  const parsed = ADD_BODY.safeParse(json);
  if (!parsed.success) throw bodyError(parsed.error.issues, json);
  return parsed.data.account;
}

/**
 * `PATCH /v1/accounts/{account}`: `{"status": "paused" | "active"}`, and/or `{"onebot": {"postUrl":
 * …, "mode"?: …, "format"?: …} | null}`.
 */
export function parsePatchAccount(body: string | undefined): AccountPatch {
  const json = parseJsonBody(body);
  const parsed = PATCH_BODY.safeParse(json);
  if (!parsed.success) throw bodyError(parsed.error.issues, json);
  const { status, onebot } = parsed.data;
  return {
    ...(status === undefined ? {} : { action: status === 'paused' ? 'pause' : 'resume' }),
    ...(onebot === undefined
      ? {}
      : {
          onebot:
            onebot === null
              ? null
              : {
                  postUrl: onebot.postUrl,
                  ...(onebot.mode ? { mode: onebot.mode } : {}),
                  ...(onebot.format ? { format: onebot.format } : {}),
                },
        }),
  };
}

/** The first problem, named by its field: `required` when the body lacks it. */
function bodyError(issues: readonly z.core.$ZodIssue[], json: unknown): InvalidRequestError {
  const issue = issues[0];
  if (issue?.code === 'unrecognized_keys') return new InvalidRequestError('body', 'unknown field');
  const [name] = issue?.path ?? [];
  // A rule over the whole body (`refine`) names itself; anything else at the top is not an object.
  if (name === undefined) {
    return new InvalidRequestError(
      'body',
      issue?.code === 'custom' ? issue.message : 'expected a JSON object',
    );
  }
  const given = typeof json === 'object' && json !== null && String(name) in json;
  return new InvalidRequestError(String(name), given ? (issue?.message ?? 'invalid') : 'required');
}
