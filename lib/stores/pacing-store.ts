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
 * Every take is one conditional UpdateItem when the container guessed which of the two cases of
 * `max(tat, t)` applies (from the `tat` it saw last), two otherwise, and never a read-then-write
 * race: each case is its own update expression, guarded by its own condition.
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
  constructor(readonly bucket: string) {
    super(`no turn taken in pace bucket ${bucket} after ${TAKE_ATTEMPTS} tries: too many senders`);
  }
}

/** An interval of 0 or less is no pacing: always now, nothing written. */
export class DynamoSendPacing implements SendPacing {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  /** The `tat` this container last wrote or read, per bucket: which case to try first. */
  readonly #lastTat = new Map<string, number>();

  constructor(options: PacingStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async take(bucket: string, pace: SendPace, nowMs: number, maxWaitMs: number): Promise<PaceGrant> {
    if (pace.intervalMs <= 0) return { ok: true, atMs: nowMs };
    const tolerance = toleranceOf(pace);
    for (let attempt = 1; attempt <= TAKE_ATTEMPTS; attempt++) {
      // The case this container saw last first: in a burst the bucket is rarely full, so the
      // queued case is tried first and a take stays one UpdateItem.
      const busy = (this.#lastTat.get(bucket) ?? Number.NEGATIVE_INFINITY) > nowMs;
      for (const which of busy ? (['queued', 'full'] as const) : (['full', 'queued'] as const)) {
        if (which === 'full') {
          // The bucket is full (or was never used): the send goes now.
          const full = await this.#update(
            bucket,
            nowMs,
            'SET #tat = :next',
            'attribute_not_exists(#tat) OR #tat <= :now',
            { ':now': nowMs, ':next': nowMs + pace.intervalMs },
          );
          if (full.applied) {
            this.#lastTat.set(bucket, nowMs + pace.intervalMs);
            return { ok: true, atMs: nowMs };
          }
        } else {
          // Tokens in use: the send goes when its cell conforms, if that is within maxWaitMs.
          const queued = await this.#update(
            bucket,
            nowMs,
            'SET #tat = #tat + :interval',
            '#tat > :now AND #tat <= :latest',
            { ':now': nowMs, ':interval': pace.intervalMs, ':latest': nowMs + tolerance + maxWaitMs },
          );
          if (queued.applied) {
            const oldTat = queued.oldTat ?? nowMs;
            this.#lastTat.set(bucket, oldTat + pace.intervalMs);
            return { ok: true, atMs: Math.max(nowMs, oldTat - tolerance) };
          }
        }
      }
      const tat = await this.#tat(bucket);
      if (tat !== undefined) this.#lastTat.set(bucket, tat);
      if (tat !== undefined && tat - tolerance - nowMs > maxWaitMs) {
        return { ok: false, retryAfterMs: tat - tolerance - nowMs };
      }
      // Otherwise the item changed between the two conditions (or TTL cleared it): try again.
    }
    throw new ReservationContentionError(bucket);
  }

  /**
   * Moves `tat` to where the next turn conforms `holdMs` from now, unless a hold is already under
   * way (`tat` past one interval beyond where a full bucket refuses): the knocks during a hold do
   * not stretch it.
   */
  async holdOff(bucket: string, pace: SendPace, nowMs: number, holdMs: number): Promise<boolean> {
    if (pace.intervalMs <= 0) return false;
    const tolerance = toleranceOf(pace);
    const held = await this.#update(
      bucket,
      nowMs,
      'SET #tat = :held',
      'attribute_not_exists(#tat) OR #tat <= :latest',
      {
        ':latest': nowMs + tolerance + pace.intervalMs,
        ':held': nowMs + tolerance + holdMs,
      },
    );
    return held.applied;
  }

  /** Applies `update` if `condition` holds, and says so with the `tat` it replaced. */
  async #update(
    bucket: string,
    nowMs: number,
    update: string,
    condition: string,
    values: Record<string, number>,
  ): Promise<{ applied: boolean; oldTat?: number }> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: paceKey(bucket),
          UpdateExpression: `${update}, #expiresAt = :expiresAt`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#tat': 'nextAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ...values,
            // Past any time written, a hold's end included.
            ':expiresAt': Math.ceil(Math.max(nowMs, values[':held'] ?? 0) / 1000) + EXPIRY_SECONDS,
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

  async #tat(bucket: string): Promise<number | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: paceKey(bucket), ConsistentRead: true }),
    );
    const tat: unknown = Item?.nextAt;
    return typeof tat === 'number' ? tat : undefined;
  }
}

function toleranceOf(pace: SendPace): number {
  return (Math.max(1, pace.burst) - 1) * pace.intervalMs;
}

/** `pace#<account>` for an account's send pace, `pace#conversation#<key>` for a circuit breaker. */
function paceKey(bucket: string): { pk: string; sk: string } {
  return { pk: `pace#${bucket}`, sk: 'pace' };
}
