/**
 * The outbox: events the poller could not publish wait here for its next cycle (DESIGN.md
 * invariant 1). Guards table items `{ pk: 'outbox#<account>', sk: <event key>, message, expiresAt }`:
 * `message` is the InboundMessage as a DynamoDB map, `expiresAt` (epoch seconds, the TTL attribute)
 * a week after it was added, long past any chance of a useful reply.
 */

import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { InboundMessage, Outbox } from '../pipeline/ports.ts';
import { type BatchRequest, batchWrite } from './batch-write.ts';

export interface OutboxStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Items per Query page (DynamoDB's default: up to 1 MB). Tests make it small. */
  readonly pageSize?: number;
  readonly now?: () => number;
  /** Tests pass a fake to skip the waits between retries of unprocessed items. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const OUTBOX_TTL_SECONDS = 7 * 24 * 60 * 60;

export class DynamoOutbox implements Outbox {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pageSize: number | undefined;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: OutboxStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#pageSize = options.pageSize;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Adding an event that is already there replaces it (an event is its key). */
  async add(messages: readonly InboundMessage[]): Promise<void> {
    const expiresAt = Math.ceil(this.#now() / 1000) + OUTBOX_TTL_SECONDS;
    // One request per key: BatchWriteItem refuses a batch that names an item twice.
    const byItem = new Map(messages.map((message) => [itemId(message.account, message.key), message]));
    await this.#batchWrite(
      [...byItem.values()].map((message) => ({
        PutRequest: { Item: { ...outboxKey(message.account, message.key), message, expiresAt } },
      })),
    );
  }

  /**
   * Oldest first (by `receivedAt`, then key), so a republished backlog keeps its order. Without the
   * expired ones that TTL has not deleted yet.
   */
  async list(account: string): Promise<InboundMessage[]> {
    const nowSeconds = this.#now() / 1000;
    const messages: InboundMessage[] = [];
    const input: QueryCommandInput = {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': outboxKey(account, '').pk },
      ConsistentRead: true,
      ...(this.#pageSize === undefined ? {} : { Limit: this.#pageSize }),
    };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) continue;
        messages.push(item.message as InboundMessage);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return messages.sort((a, b) => a.receivedAt - b.receivedAt || compare(a.key, b.key));
  }

  async remove(account: string, keys: readonly string[]): Promise<void> {
    await this.#batchWrite(
      [...new Set(keys)].map((key) => ({ DeleteRequest: { Key: outboxKey(account, key) } })),
    );
  }

  async #batchWrite(requests: readonly BatchRequest[]): Promise<void> {
    await batchWrite(this.#doc, this.#table, requests, 'outbox', this.#sleep);
  }
}

function outboxKey(account: string, key: string): { pk: string; sk: string } {
  return { pk: `outbox#${account}`, sk: key };
}

function itemId(account: string, key: string): string {
  return JSON.stringify([account, key]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
