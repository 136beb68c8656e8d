/**
 * The Guards table's short-lived records that keep the bot from flooding and from answering
 * itself: reply cooldowns and the bot's recent replies. Items are `{ pk: '<kind>#<scope>', sk,
 * expiresAt }` with `expiresAt` in epoch seconds (the table's TTL attribute). TTL deletion runs
 * late, so every read and condition compares `expiresAt` itself; TTL only clears the table.
 */
import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CooldownGate, RecentReplies } from '../rules/reply-plan.ts';

export interface GuardStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Cooldowns for `planReplies`: one conditional PutItem, so of any number of concurrent consumers
 * exactly one takes a free (or expired) key. `seconds <= 0` is no cooldown.
 */
export class DynamoCooldownStore implements CooldownGate {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: GuardStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async tryAcquire(key: string, seconds: number, nowMs: number): Promise<boolean> {
    if (seconds <= 0) return true;
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `cooldown#${key}`, sk: 'cooldown', expiresAt: expiresAt(nowMs, seconds) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await this.#doc.send(
      new DeleteCommand({ TableName: this.#table, Key: { pk: `cooldown#${key}`, sk: 'cooldown' } }),
    );
  }
}

/**
 * The bot's recent replies per conversation, for `planReplies`' echo guard: a hash of the
 * normalized text is the sort key, so any number of replies can be remembered and looked up by one
 * GetItem.
 */
export class DynamoRecentReplies implements RecentReplies {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: GuardStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async remember(conversationKey: string, text: string, seconds: number, nowMs: number): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...recentKey(conversationKey, text), sentAt: nowMs, expiresAt: expiresAt(nowMs, seconds) },
      }),
    );
  }

  async isRecent(conversationKey: string, text: string, nowMs: number): Promise<boolean> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: recentKey(conversationKey, text), ConsistentRead: true }),
    );
    const until: unknown = Item?.expiresAt;
    return typeof until === 'number' && until * 1000 > nowMs;
  }

  /** One Query of the conversation's few recent replies (asked only for an unlisted sender). */
  async repliedWithin(conversationKey: string, seconds: number, nowMs: number): Promise<boolean> {
    const { Items } = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'sentAt >= :since',
        ExpressionAttributeValues: {
          ':pk': recentKey(conversationKey, '').pk,
          ':since': nowMs - seconds * 1000,
        },
        ProjectionExpression: 'sentAt',
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).length > 0;
  }
}

/**
 * Rounded up to the next whole second, so a cooldown lasts at least `seconds` (the condition
 * compares whole seconds: free again from the second `expiresAt` on).
 */
function expiresAt(nowMs: number, seconds: number): number {
  return Math.ceil((nowMs + seconds * 1000) / 1000);
}

function recentKey(conversationKey: string, text: string): { pk: string; sk: string } {
  return {
    pk: `recent#${conversationKey}`,
    sk: createHash('sha256').update(text).digest('base64url'),
  };
}
