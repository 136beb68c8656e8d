/**
 * The Guards table's short-lived records that keep the bot from flooding and from answering
 * itself: reply cooldowns, and per conversation the bot's recent replies and its circuit breaker. Items are `{ pk: '<kind>#<scope>', sk,
 * expiresAt }` with `expiresAt` in epoch seconds (the table's TTL attribute). TTL deletion runs
 * late, so every read and condition compares `expiresAt` itself; TTL only clears the table.
 */
import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Admission,
  type AdmissionVerdict,
  type ConversationGuard,
  type CooldownGate,
  ECHO_WINDOW_SECONDS,
  RECENT_REPLY_SECONDS,
} from '../rules/reply-plan.ts';

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
 * The conversation guard for `planReplies` (its echo guards and the circuit breaker) in one item per
 * conversation, so that admitting a reply is one conditional UpdateItem (issue 11):
 * `{ pk: 'chat#<conversation>', sk: 'guard', lastReplyAt, tat?, r_<hash>: sentAt…, expiresAt }`,
 * one `r_` attribute per recent reply text (a hash of its received form), `tat` the breaker's cell
 * rate state (as in pacing-store.ts). The breaker bounds how many `r_` attributes there are; old
 * ones are removed by the next write, and the whole item expires (TTL) once the chat is quiet.
 *
 * The first write is a guess of which case applies (from what this container saw last); when its
 * condition fails, one consistent read tells why: an echo, the breaker, or a wrong guess (then the
 * write is tried again, conditional on what was read). A conversation's messages come one at a
 * time (FIFO), so the guess is nearly always right.
 */
export class DynamoConversationGuard implements ConversationGuard {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  /** Per conversation: the breaker's `tat` and the reply hashes seen in the last write. */
  readonly #seen = new Map<string, { tat?: number; hashes: Map<string, number> }>();

  constructor(options: GuardStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async admit(a: Admission): Promise<AdmissionVerdict> {
    const key = { pk: `chat#${a.conversation}`, sk: 'guard' };
    const incoming = `r_${textHash(a.incoming)}`;
    const recentSince = a.nowMs - RECENT_REPLY_SECONDS * 1000;
    const echoSince = a.nowMs - ECHO_WINDOW_SECONDS * 1000;
    const breaker = a.pace.intervalMs > 0;
    const tolerance = (Math.max(1, a.pace.burst) - 1) * a.pace.intervalMs;
    let known = this.#seen.get(a.conversation);
    for (let attempt = 1; attempt <= ADMIT_ATTEMPTS; attempt++) {
      const idle = known?.tat === undefined || known.tat <= a.nowMs;
      const names: Record<string, string> = {
        '#in': incoming,
        '#last': 'lastReplyAt',
        '#exp': 'expiresAt',
        '#key': 'lastMessage',
      };
      const values: Record<string, number | string> = {
        ':key': a.messageKey,
        ':now': a.nowMs,
        ':recentSince': recentSince,
        ':exp': expiresAt(a.nowMs, RECENT_REPLY_SECONDS),
      };
      const conditions = ['(attribute_not_exists(#in) OR #in < :recentSince)'];
      const sets = ['#last = :now', '#exp = :exp', '#key = :key'];
      if (!a.senderListed) {
        conditions.push('(attribute_not_exists(#last) OR #last < :echoSince)');
        values[':echoSince'] = echoSince;
      }
      if (breaker) {
        names['#tat'] = 'tat';
        values[':interval'] = a.pace.intervalMs;
        if (idle) {
          conditions.push('(attribute_not_exists(#tat) OR #tat <= :now)');
          sets.push('#tat = :now + :interval');
        } else {
          conditions.push('(#tat > :now AND #tat <= :latest)');
          values[':latest'] = a.nowMs + tolerance;
          sets.push('#tat = #tat + :interval');
        }
      }
      for (const [i, text] of [...new Set(a.replies.map(textHash))].entries()) {
        names[`#h${i}`] = `r_${text}`;
        sets.push(`#h${i} = :now`);
      }
      const removals = removable(known?.hashes, recentSince, Object.values(names));
      removals.forEach((name, i) => {
        names[`#old${i}`] = name;
      });
      try {
        const { Attributes } = await this.#doc.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')}${removals.length ? ` REMOVE ${removals.map((_, i) => `#old${i}`).join(', ')}` : ''}`,
            // The same message again (its send failed and it is retried): admitted again.
            ConditionExpression: `#key = :key OR ${conditions.length === 1 ? conditions[0] : `(${conditions.join(' AND ')})`}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        this.#seen.set(a.conversation, seenOf(Attributes));
        return { admitted: true };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      // Why: one consistent read.
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      known = seenOf(Item);
      this.#seen.set(a.conversation, known);
      const at = (name: string): number | undefined =>
        typeof Item?.[name] === 'number' ? Item[name] : undefined;
      if ((at(incoming) ?? Number.NEGATIVE_INFINITY) >= recentSince)
        return { admitted: false, reason: 'echo_of_recent_reply' };
      if (!a.senderListed && (at('lastReplyAt') ?? Number.NEGATIVE_INFINITY) >= echoSince)
        return { admitted: false, reason: 'own_echo' };
      const tat = at('tat');
      if (breaker && tat !== undefined && tat - tolerance > a.nowMs) {
        return {
          admitted: false,
          reason: 'circuit_breaker',
          tripped: await this.#holdOff(key, a, tolerance),
        };
      }
      // Otherwise the guess of the breaker's case was wrong: try again with what was read.
    }
    throw new Error(`conversation guard of ${a.conversation}: no write after ${ADMIT_ATTEMPTS} tries`);
  }

  /** The breaker trips: silence for `holdMs`, unless a hold is already under way (said once). */
  async #holdOff(key: { pk: string; sk: string }, a: Admission, tolerance: number): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'SET #tat = :held, #exp = :exp',
          ConditionExpression: '#tat <= :latest',
          ExpressionAttributeNames: { '#tat': 'tat', '#exp': 'expiresAt' },
          ExpressionAttributeValues: {
            ':latest': a.nowMs + tolerance + a.pace.intervalMs,
            ':held': a.nowMs + tolerance + a.holdMs,
            ':exp': expiresAt(a.nowMs, Math.max(RECENT_REPLY_SECONDS, a.holdMs / 1000 + 60)),
          },
        }),
      );
      this.#seen.delete(a.conversation);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}

/**
 * The recent replies kept per conversation: an echo comes back within seconds, and a bot repeating
 * the bot's words answers its last few; the newest ones are enough, and the item stays small (one
 * write unit) however fast the chat goes.
 */
const MAX_RECENT_REPLIES = 24;

/** The `r_` attributes to drop in this write: too old, or past the newest MAX_RECENT_REPLIES. */
function removable(
  hashes: Map<string, number> | undefined,
  recentSince: number,
  writing: string[],
): string[] {
  const kept = [...(hashes ?? [])].filter(([name]) => !writing.includes(name)).sort((a, b) => b[1] - a[1]);
  const room = Math.max(0, MAX_RECENT_REPLIES - writing.filter((name) => name.startsWith('r_')).length);
  return kept.filter(([, at], index) => at < recentSince || index >= room).map(([name]) => name);
}

/** Tries of an admission: a try is lost only when the container's guess of the breaker was wrong. */
const ADMIT_ATTEMPTS = 3;

function seenOf(item: Record<string, unknown> | undefined): { tat?: number; hashes: Map<string, number> } {
  const hashes = new Map<string, number>();
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith('r_') && typeof value === 'number') hashes.set(name, value);
  }
  return typeof item?.tat === 'number' ? { tat: item.tat, hashes } : { hashes };
}

function textHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * Rounded up to the next whole second, so a cooldown lasts at least `seconds` (the condition
 * compares whole seconds: free again from the second `expiresAt` on).
 */
function expiresAt(nowMs: number, seconds: number): number {
  return Math.ceil((nowMs + seconds * 1000) / 1000);
}
