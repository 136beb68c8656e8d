/**
 * Per-account send pacing in the Guards table (DESIGN.md invariant 5: sending fast got accounts
 * muted, PROTOCOL.md §5). Item: `{ pk: 'pace#<account>', sk: 'pace', nextAt, expiresAt }`: `nextAt`
 * (ms) is the first moment the account may send again; `expiresAt` (epoch seconds, the TTL
 * attribute) a minute after it, when the item says nothing any more and TTL may clear it.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SendPacing } from '../pipeline/ports.ts';

export interface PacingStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Tries of the read-then-conditional-write before giving up: each loss means another sender won. */
const RESERVE_ATTEMPTS = 20;
const EXPIRY_MARGIN_SECONDS = 60;

export class ReservationContentionError extends Error {
  override readonly name = 'ReservationContentionError';
  constructor(readonly account: string) {
    super(`no send slot reserved for account ${account} after ${RESERVE_ATTEMPTS} tries: too many senders`);
  }
}

/** An interval of 0 or less is no pacing: always now, nothing written. */
export class DynamoSendPacing implements SendPacing {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: PacingStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async tryNow(
    account: string,
    intervalMs: number,
    nowMs: number,
  ): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    if (intervalMs <= 0) return { ok: true };
    for (let attempt = 1; attempt <= RESERVE_ATTEMPTS; attempt++) {
      if (await this.#take(account, nowMs, intervalMs, { freeBy: nowMs })) return { ok: true };
      const nextAt = await this.#nextAt(account);
      // Otherwise the slot was freed (or the item cleared) between the write and the read: try again.
      if (nextAt !== undefined && nextAt > nowMs) return { ok: false, retryAfterMs: nextAt - nowMs };
    }
    throw new ReservationContentionError(account);
  }

  /**
   * Takes the earliest free slot, now or later: reads `nextAt`, then writes `slot + interval` only
   * if `nextAt` is still what it read, so concurrent senders get distinct slots an interval apart.
   */
  async reserve(account: string, intervalMs: number, nowMs: number): Promise<number> {
    if (intervalMs <= 0) return nowMs;
    for (let attempt = 1; attempt <= RESERVE_ATTEMPTS; attempt++) {
      const nextAt = await this.#nextAt(account);
      const slot = nextAt === undefined ? nowMs : Math.max(nowMs, nextAt);
      if (await this.#take(account, slot, intervalMs, { unchanged: nextAt })) return slot;
    }
    throw new ReservationContentionError(account);
  }

  /** Sets `nextAt = slot + interval` if the condition holds; false if another sender got there first. */
  async #take(
    account: string,
    slot: number,
    intervalMs: number,
    condition: { freeBy: number } | { unchanged: number | undefined },
  ): Promise<boolean> {
    const next = slot + intervalMs;
    const [expression, values] =
      'freeBy' in condition
        ? ['attribute_not_exists(#nextAt) OR #nextAt <= :now', { ':now': condition.freeBy }]
        : condition.unchanged === undefined
          ? ['attribute_not_exists(#nextAt)', {}]
          : ['#nextAt = :seen', { ':seen': condition.unchanged }];
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: paceKey(account),
          UpdateExpression: 'SET #nextAt = :next, #expiresAt = :expiresAt',
          ConditionExpression: expression,
          ExpressionAttributeNames: { '#nextAt': 'nextAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ...values,
            ':next': next,
            ':expiresAt': Math.ceil(next / 1000) + EXPIRY_MARGIN_SECONDS,
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async #nextAt(account: string): Promise<number | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: paceKey(account), ConsistentRead: true }),
    );
    const nextAt: unknown = Item?.nextAt;
    return typeof nextAt === 'number' ? nextAt : undefined;
  }
}

function paceKey(account: string): { pk: string; sk: string } {
  return { pk: `pace#${account}`, sk: 'pace' };
}
