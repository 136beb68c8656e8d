/**
 * Idempotency records in the Guards table, so an event is handled once however often it is
 * delivered (DESIGN.md invariant 2). Item: `{ pk: 'idem#<key>', sk: 'idem', status: 'in_progress' |
 * 'done', result?, expiresAt }` with `expiresAt` in epoch seconds (the TTL attribute). TTL deletes
 * late, so the claim's condition compares `expiresAt` itself, as the cooldowns do (`guard-store.ts`):
 * a record is free again from the second `expiresAt` on.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyClaim, IdempotencyStore } from '../pipeline/ports.ts';

export interface IdempotencyStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * A claim that meets a record which is gone or expired by the time it is read (released or
 * expired in between) tries again, this many times in all.
 */
const CLAIM_ATTEMPTS = 3;

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: IdempotencyStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  /**
   * One conditional PutItem: of any number of concurrent claims of a free key, exactly one is 'new'
   * ('lapsed' when what it replaced was a claim that ran out before its outcome was kept). A claim
   * kept past its lease (`keepSeconds`) is read back as 'lapsed' once the lease is over.
   */
  async claim<R>(
    key: string,
    ttlSeconds: number,
    nowMs: number,
    keepSeconds = ttlSeconds,
  ): Promise<IdempotencyClaim<R>> {
    const nowSeconds = Math.floor(nowMs / 1000);
    for (let attempt = 1; ; attempt++) {
      try {
        const { Attributes } = await this.#doc.send(
          new PutCommand({
            TableName: this.#table,
            Item: {
              ...idemKey(key),
              status: 'in_progress',
              leaseUntil: expiresAt(nowMs, ttlSeconds),
              expiresAt: expiresAt(nowMs, Math.max(ttlSeconds, keepSeconds)),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': nowSeconds },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return Attributes?.status === 'in_progress' ? { status: 'lapsed' } : { status: 'new' };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: idemKey(key), ConsistentRead: true }),
      );
      const live = Item !== undefined && typeof Item.expiresAt === 'number' && Item.expiresAt > nowSeconds;
      if (live && Item.status === 'done') return { status: 'done', result: Item.result as R };
      // Kept past its lease, with no outcome: its holder is gone (or did not need to write one).
      const leaseUntil = typeof Item?.leaseUntil === 'number' ? Item.leaseUntil : Item?.expiresAt;
      if (live && typeof leaseUntil === 'number' && leaseUntil <= nowSeconds) return { status: 'lapsed' };
      if (live || attempt >= CLAIM_ATTEMPTS) return { status: 'in_progress' };
    }
  }

  /** `result` is stored as a DynamoDB value: plain JSON data (undefined properties are left out). */
  async complete<R>(key: string, result: R, ttlSeconds: number, nowMs: number): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...idemKey(key), status: 'done', result, expiresAt: expiresAt(nowMs, ttlSeconds) },
      }),
    );
  }

  /** Deletes the claim if it is still in progress: a done record stays, a missing one is fine. */
  async release(key: string): Promise<void> {
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: idemKey(key),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress' },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

function idemKey(key: string): { pk: string; sk: string } {
  return { pk: `idem#${key}`, sk: 'idem' };
}

/** Rounded up to the next whole second, so a record lasts at least `seconds`. */
function expiresAt(nowMs: number, seconds: number): number {
  return Math.ceil((nowMs + seconds * 1000) / 1000);
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
