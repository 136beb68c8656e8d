/**
 * The account registry: one small item in the Sessions table, `{ account: '#registry', entries:
 * { '<qq>': { status, since } }, revision }` — the accounts added, paused or removed beyond those
 * the deployment is configured with (what they mean: `lib/pipeline/accounts.ts`). One item, so the
 * poller learns every account of its shard with one read per invocation (and one more every
 * `REGISTRY_RECHECK_MS` to let a paused account go).
 *
 * `#registry` can never be a QQ number, so it never meets a session item; it has no `version`, so
 * nothing that lists sessions takes it for one.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ONEBOT_MODES, POST_FORMATS, postUrlProblem } from '../onebot/post.ts';
import {
  type AccountAction,
  type AccountOneBot,
  changeRegistry,
  type Registry,
  setAccountOneBot,
} from '../pipeline/accounts.ts';
import { changeAtRevision } from './revision-put.ts';

export interface AccountRegistryOptions {
  readonly doc: DynamoDBDocumentClient;
  /** The Sessions table. */
  readonly tableName: string;
}

export const REGISTRY_KEY = '#registry';

const ENTRY = z.object({
  status: z.enum(['active', 'paused', 'removed']),
  since: z.number().int().nonnegative(),
  // An entry's OneBot bot that does not read back (written by hand, or by an older rule) is dropped,
  // not the whole registry: every account's polling depends on this item.
  onebot: z
    .object({
      postUrl: z
        .string()
        .refine((url) => postUrlProblem(url) === undefined)
        .nullable(),
      mode: z.enum(ONEBOT_MODES).optional(),
      format: z.enum(POST_FORMATS).optional(),
    })
    .optional()
    .catch(undefined),
});
const ENTRIES = z.record(z.string().regex(/^[1-9][0-9]{4,11}$/, 'not a QQ number'), ENTRY);

/** The registry as the poller reads it (GetItem only). */
export class DynamoAccountRegistryReader {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: AccountRegistryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  /** Eventually consistent: a change reaches the poller within a read or two anyway. */
  async read(): Promise<Registry> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { account: REGISTRY_KEY } }),
    );
    return entriesOf(Item).entries;
  }
}

/** The registry as the send API and `npm run accounts` read and change it. */
export class DynamoAccountRegistry {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: AccountRegistryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async read(): Promise<Registry> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { account: REGISTRY_KEY }, ConsistentRead: true }),
    );
    return entriesOf(Item).entries;
  }

  /**
   * Applies `action` (rules: `changeRegistry`) and returns the registry after it. A write that lost to
   * another change reads again and retries; a change that changes nothing writes nothing.
   */
  async change(
    configured: readonly string[],
    action: AccountAction,
    account: string,
    nowMs: number,
  ): Promise<Registry> {
    return this.#update((entries) => changeRegistry(configured, entries, action, account, nowMs));
  }

  /** Sets (or, with undefined, clears) the account's own OneBot bot (`setAccountOneBot`). */
  async setOneBot(
    configured: readonly string[],
    account: string,
    onebot: AccountOneBot | undefined,
    nowMs: number,
  ): Promise<Registry> {
    return this.#update((entries) => setAccountOneBot(configured, entries, account, onebot, nowMs));
  }

  /** The registry read, changed by `change` (the same object: nothing to write) and written at its revision. */
  async #update(change: (entries: Registry) => Registry): Promise<Registry> {
    return changeAtRevision(this.#doc, this.#table, async (put) => {
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { account: REGISTRY_KEY }, ConsistentRead: true }),
      );
      const { entries, revision } = entriesOf(Item);
      const changed = change(entries);
      if (changed === entries) return entries;
      return (await put({ account: REGISTRY_KEY, entries: changed }, revision)) ? changed : undefined;
    });
  }
}

/** The stored item's entries and revision; an item that does not parse is an error naming where. */
function entriesOf(item: Record<string, unknown> | undefined): { entries: Registry; revision: number } {
  if (!item) return { entries: {}, revision: 0 };
  const parsed = ENTRIES.safeParse(item.entries ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `the account registry item is malformed at entries.${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const revision = typeof item.revision === 'number' ? item.revision : 0;
  return { entries: parsed.data, revision };
}
