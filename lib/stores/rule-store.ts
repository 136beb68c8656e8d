/**
 * Where the auto-reply rules live: one DynamoDB item per rule with exactly the rule's plain
 * attributes (partition key `account`, sort key `id`), readable and editable in the AWS console.
 *
 * Every write goes through `checkRule` first, so the store never writes an invalid rule; reads
 * hand back the raw items, because a person may have broken one in the console and the reader
 * (the consumer, `rules test`) must skip it and keep the rest.
 *
 * Reads never fail on an item: they send the low-level commands and convert each attribute here
 * (`itemFromDynamo`), a number no JavaScript number is becoming an `UnrepresentableNumber` that
 * `checkRule` reports with the rule and the field. The document client's own unmarshall throws
 * for the whole page on a number beyond ±2^53 that is not whole (`9007199254740993.5`), turns a
 * large whole number into a bigint, and reads `1.00000000000000000000000000001` as 1. Its
 * `wrapNumbers` option would avoid that, but the option lives on the DynamoDBClient's config, which
 * the document client shares (`DynamoDBDocumentClient.from` sets it there): a second document client
 * for this store would switch every other store on that client to wrapped numbers. The low-level
 * commands go through the same client (`doc.send`: same middleware, same config); writes still use
 * the document client, their values being checked rules.
 */

import {
  type AttributeValue,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ALL_ACCOUNTS, checkRule, type Rule, type RuleInput, type RuleProblem } from '../rules/model.ts';
import { storedNumber } from '../rules/stored-number.ts';
import { type BatchRequest, batchWrite } from './batch-write.ts';

export interface RuleKey {
  readonly account: string;
  readonly id: string;
}

export interface PutRuleOptions {
  /** Refuse to overwrite: `rules add` must not replace a rule by accident. */
  readonly onlyIfNew?: boolean;
}

export interface ImportOptions {
  /** Also delete the rules of the imported accounts that are not among the imported rules. */
  readonly replace?: boolean;
}

export interface ImportResult {
  readonly written: number;
  readonly deleted: readonly RuleKey[];
}

export interface RuleStore {
  /**
   * The raw items of `account`'s rules and of the `*` rules, or of every rule when no account is
   * given. Not validated: that is the reader's job (a hand-edited item may be broken).
   */
  list(account?: string): Promise<unknown[]>;
  /** The raw item, or undefined. */
  get(account: string, id: string): Promise<unknown | undefined>;
  /** Validates, stamps `updatedAt`, writes; throws `RuleValidationError` and writes nothing if invalid. */
  put(rule: RuleInput, options?: PutRuleOptions): Promise<Rule>;
  /**
   * Validates every item first and writes nothing if any is invalid (`RuleImportError` lists every
   * problem); then writes them all and bumps the version once.
   */
  importRules(items: readonly unknown[], options?: ImportOptions): Promise<ImportResult>;
  /** Throws `RuleNotFoundError` if there is no such rule. */
  delete(account: string, id: string): Promise<void>;
  /** Throws `RuleNotFoundError` if there is no such rule. */
  setEnabled(account: string, id: string, enabled: boolean): Promise<void>;
  /**
   * A counter every write through the store increases: readers poll it (one GetItem) and reload
   * only on change. Edits made by hand in the console do not move it.
   */
  version(): Promise<number>;
}

export class RuleValidationError extends Error {
  override readonly name = 'RuleValidationError';
  constructor(readonly problem: RuleProblem) {
    super(formatRuleProblem(problem));
  }
}

export interface ImportProblem extends RuleProblem {
  /** The item's position in the imported array, from 0. */
  readonly index: number;
}

export class RuleImportError extends Error {
  override readonly name = 'RuleImportError';
  constructor(readonly problems: readonly ImportProblem[]) {
    super(
      `${problems.length} invalid rule${problems.length === 1 ? '' : 's'}, nothing imported:\n` +
        problems.map((p) => `  item ${p.index}: ${formatRuleProblem(p)}`).join('\n'),
    );
  }
}

export class RuleNotFoundError extends Error {
  override readonly name = 'RuleNotFoundError';
  constructor(readonly key: RuleKey) {
    super(`no rule "${key.id}" for account ${key.account}`);
  }
}

export class RuleExistsError extends Error {
  override readonly name = 'RuleExistsError';
  constructor(readonly key: RuleKey) {
    super(`rule "${key.id}" for account ${key.account} already exists`);
  }
}

export function formatRuleProblem(problem: RuleProblem): string {
  return `rule "${problem.ruleId}": ${problem.field}: ${problem.message}`;
}

/**
 * The change marker's item. Its account can never be a rule's (`checkRule` accepts only QQ
 * numbers and `*`), and no rule query reads its partition.
 */
export const RULES_VERSION_KEY: RuleKey = { account: '#meta', id: 'version' };

export interface DynamoRuleStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Items per Query/Scan page (DynamoDB's default: up to 1 MB). Tests make it small. */
  readonly pageSize?: number;
  readonly now?: () => Date;
}

export class DynamoRuleStore implements RuleStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pageSize: number | undefined;
  readonly #now: () => Date;

  constructor(options: DynamoRuleStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#pageSize = options.pageSize;
    this.#now = options.now ?? (() => new Date());
  }

  async list(account?: string): Promise<unknown[]> {
    if (account === undefined) return this.#scanAll();
    const own = await this.#queryPartition(account);
    return account === ALL_ACCOUNTS ? own : [...own, ...(await this.#queryPartition(ALL_ACCOUNTS))];
  }

  async get(account: string, id: string): Promise<unknown | undefined> {
    const { Item } = await this.#doc.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { account: { S: account }, id: { S: id } },
        ConsistentRead: true,
      }),
    );
    return Item && itemFromDynamo(Item);
  }

  async put(input: RuleInput, options: PutRuleOptions = {}): Promise<Rule> {
    const rule = this.#stamp(validRule(input));
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: rule,
          ...(options.onlyIfNew
            ? { ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'id' } }
            : {}),
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new RuleExistsError(rule);
      throw err;
    }
    await this.#bumpVersion();
    return rule;
  }

  async importRules(items: readonly unknown[], options: ImportOptions = {}): Promise<ImportResult> {
    const rules = validImport(items).map((rule) => this.#stamp(rule));
    const deleted: RuleKey[] = [];
    if (options.replace) {
      const keep = new Set(rules.map(keyString));
      for (const account of new Set(rules.map((r) => r.account))) {
        for (const item of await this.#queryPartition(account)) {
          const key = keyOf(item);
          if (key && !keep.has(keyString(key))) deleted.push(key);
        }
      }
    }
    try {
      // Writes before deletes: a failure half-way leaves extra rules, never missing ones.
      await this.#batchWrite(rules.map((Item) => ({ PutRequest: { Item } })));
      await this.#batchWrite(
        deleted.map((Key) => ({ DeleteRequest: { Key: { account: Key.account, id: Key.id } } })),
      );
    } finally {
      if (rules.length > 0 || deleted.length > 0) await this.#bumpVersion();
    }
    return { written: rules.length, deleted };
  }

  async delete(account: string, id: string): Promise<void> {
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { account, id },
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new RuleNotFoundError({ account, id });
      throw err;
    }
    await this.#bumpVersion();
  }

  async setEnabled(account: string, id: string, enabled: boolean): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { account, id },
          UpdateExpression: 'SET #enabled = :enabled, #updatedAt = :now',
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#enabled': 'enabled', '#updatedAt': 'updatedAt', '#id': 'id' },
          ExpressionAttributeValues: { ':enabled': enabled, ':now': this.#now().toISOString() },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new RuleNotFoundError({ account, id });
      throw err;
    }
    await this.#bumpVersion();
  }

  async version(): Promise<number> {
    // Consistent, like the rule queries: a reader that sees the new version must read the new rules.
    const { Item } = await this.#doc.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { account: { S: RULES_VERSION_KEY.account }, id: { S: RULES_VERSION_KEY.id } },
        ConsistentRead: true,
        ProjectionExpression: '#version',
        ExpressionAttributeNames: { '#version': 'version' },
      }),
    );
    const version: unknown = Item && itemFromDynamo(Item).version;
    return typeof version === 'number' ? version : 0;
  }

  #stamp(rule: Rule): Rule {
    return { ...rule, updatedAt: this.#now().toISOString() };
  }

  async #bumpVersion(): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: RULES_VERSION_KEY,
        UpdateExpression: 'ADD #version :one SET #updatedAt = :now',
        ExpressionAttributeNames: { '#version': 'version', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':one': 1, ':now': this.#now().toISOString() },
      }),
    );
  }

  async #queryPartition(account: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const input: QueryCommandInput = {
      TableName: this.#table,
      KeyConditionExpression: '#account = :account',
      ExpressionAttributeNames: { '#account': 'account' },
      ExpressionAttributeValues: { ':account': { S: account } },
      ConsistentRead: true,
      ...(this.#pageSize === undefined ? {} : { Limit: this.#pageSize }),
    };
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []).map(itemFromDynamo).filter((item) => !isVersionItem(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async #scanAll(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#doc.send(
        new ScanCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          ...(this.#pageSize === undefined ? {} : { Limit: this.#pageSize }),
        }),
      );
      items.push(...(page.Items ?? []).map(itemFromDynamo).filter((item) => !isVersionItem(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async #batchWrite(requests: readonly BatchRequest[]): Promise<void> {
    await batchWrite(this.#doc, this.#table, requests, 'rule');
  }
}

/** The one gate before a write: the rule with its defaults, or `RuleValidationError` naming id and field. */
export function validRule(input: unknown): Rule {
  const checked = checkRule(input);
  if (!checked.ok) throw new RuleValidationError(checked.problem);
  return checked.rule;
}

/** Every problem of the items, with a rule given twice counted as one; or the rules. */
function validImport(items: readonly unknown[]): Rule[] {
  const problems: ImportProblem[] = [];
  const rules: Rule[] = [];
  const firstIndex = new Map<string, number>();
  items.forEach((item, index) => {
    const checked = checkRule(item);
    if (!checked.ok) {
      problems.push({ index, ...checked.problem });
      return;
    }
    const key = keyString(checked.rule);
    const earlier = firstIndex.get(key);
    if (earlier !== undefined) {
      problems.push({
        index,
        ruleId: checked.rule.id,
        field: 'id',
        message: `is also item ${earlier}'s id for account ${checked.rule.account}`,
      });
      return;
    }
    firstIndex.set(key, index);
    rules.push(checked.rule);
  });
  if (problems.length > 0) throw new RuleImportError(problems);
  return rules;
}

/**
 * An item as the document client reads it (strings, booleans, null, lists, maps, sets, binary),
 * except its numbers: `storedNumber`'s, so an item never fails to read. Never throws: an attribute
 * of a type this SDK does not know stays as DynamoDB sent it, and `checkRule` rejects it.
 */
export function itemFromDynamo(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, nativeValue(value)]));
}

function nativeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return storedNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(nativeValue);
  if (value.M !== undefined) return itemFromDynamo(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(storedNumber));
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return new Set(value.BS);
  return value;
}

function keyOf(item: Record<string, unknown>): RuleKey | undefined {
  const { account, id } = item;
  return typeof account === 'string' && typeof id === 'string' ? { account, id } : undefined;
}

function keyString(key: RuleKey): string {
  return JSON.stringify([key.account, key.id]);
}

function isVersionItem(item: Record<string, unknown>): boolean {
  return item.account === RULES_VERSION_KEY.account;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
