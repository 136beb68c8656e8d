/**
 * Per-account send pacing in the Guards table (DESIGN.md invariant 5: sending fast got accounts
 * muted, docs/protocol.md §5), shared by the replies and the send API.
 *
 * A token bucket of `burst` sends refilled at one per `intervalMs`, kept as one number: the
 * generic cell rate algorithm's theoretical arrival time `tat` (ms). A send at `t` conforms when
 * `tat - (burst - 1) * interval <= t`, and moves `tat` to `max(tat, t) + interval`. With a burst of
 * 1 that is "one send per interval". Item: `{ pk: 'pace#<account>', sk: 'pace', nextAt: tat,
 * expiresAt }`, `expiresAt` (epoch seconds, the TTL attribute) well after any `tat` still in use.
 *
 * Every take is one or two conditional UpdateItems and never a read-then-write race: the two cases
 * of `max(tat, t)` are two update expressions, each guarded by its own condition.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PaceGrant, SendPace, SendPacing } from '../pipeline/ports.ts';

export interface PacingStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Tries before giving up: a try is lost only when the item changed between two conditions. */
const TAKE_ATTEMPTS = 20;
/** Kept well past any `tat` a take could leave: TTL deleting it early would grant a free burst. */
const EXPIRY_SECONDS = 3_600;

export class ReservationContentionError extends Error {
  override readonly name = 'ReservationContentionError';
  constructor(readonly account: string) {
    super(`no send slot reserved for account ${account} after ${TAKE_ATTEMPTS} tries: too many senders`);
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

  async take(account: string, pace: SendPace, nowMs: number, maxWaitMs: number): Promise<PaceGrant> {
    if (pace.intervalMs <= 0) return { ok: true, atMs: nowMs };
    const tolerance = (Math.max(1, pace.burst) - 1) * pace.intervalMs;
    for (let attempt = 1; attempt <= TAKE_ATTEMPTS; attempt++) {
      // The bucket is full (or was never used): the send goes now.
      const full = await this.#update(
        account,
        nowMs,
        pace,
        'SET #tat = :nowPlus',
        'attribute_not_exists(#tat) OR #tat <= :now',
      );
      if (full.applied) return { ok: true, atMs: nowMs };
      // Tokens in use: the send goes when its cell conforms, if that is within maxWaitMs.
      const queued = await this.#update(
        account,
        nowMs,
        pace,
        'SET #tat = #tat + :interval',
        '#tat > :now AND #tat <= :latest',
        nowMs + tolerance + maxWaitMs,
      );
      if (queued.applied) return { ok: true, atMs: Math.max(nowMs, (queued.oldTat ?? nowMs) - tolerance) };
      const tat = await this.#tat(account);
      if (tat !== undefined && tat - tolerance - nowMs > maxWaitMs) {
        return { ok: false, retryAfterMs: tat - tolerance - nowMs };
      }
      // Otherwise the item changed between the two conditions (or TTL cleared it): try again.
    }
    throw new ReservationContentionError(account);
  }

  /** Applies `update` if `condition` holds, and says so with the `tat` it replaced. */
  async #update(
    account: string,
    nowMs: number,
    pace: SendPace,
    update: string,
    condition: string,
    latestMs?: number,
  ): Promise<{ applied: boolean; oldTat?: number }> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: paceKey(account),
          UpdateExpression: `${update}, #expiresAt = :expiresAt`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#tat': 'nextAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ...(update.includes(':nowPlus') ? { ':nowPlus': nowMs + pace.intervalMs } : {}),
            ...(update.includes(':interval') ? { ':interval': pace.intervalMs } : {}),
            ...(latestMs !== undefined ? { ':latest': latestMs } : {}),
            ':expiresAt': Math.ceil(nowMs / 1000) + EXPIRY_SECONDS,
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const old: unknown = Attributes?.nextAt;
      return typeof old === 'number' ? { applied: true, oldTat: old } : { applied: true };
    } catch (err) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return { applied: false };
      throw err;
    }
  }

  async #tat(account: string): Promise<number | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: paceKey(account), ConsistentRead: true }),
    );
    const tat: unknown = Item?.nextAt;
    return typeof tat === 'number' ? tat : undefined;
  }
}

function paceKey(account: string): { pk: string; sk: string } {
  return { pk: `pace#${account}`, sk: 'pace' };
}
