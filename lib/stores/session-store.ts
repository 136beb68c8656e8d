/**
 * The SmartQQ session of each bot account: one item per account in the Sessions table (partition
 * key `account`), holding the session record and the poller's lease.
 *
 * Item: `{ account, state, stateSince, version, reason?, session?, qr?, contacts?, leaseOwner?,
 * leaseUntil?, leaseEndsBy? }`. `session`, `qr` and `contacts` are DynamoDB maps; `session` and
 * `qr` hold cookies and tokens: never log an item or a record.
 *
 * Session state moves only by writes conditional on `version` (DESIGN.md invariant 4). The lease
 * is not session state: it changes without bumping `version`, so a poller renewing its lease never
 * makes a state change fail. (msg_ids need no shared counter: lib/pipeline/session-clients.ts.)
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type SessionChanges,
  type SessionRecord,
  type SessionStore,
  VersionConflictError,
} from '../pipeline/ports.ts';

export interface SessionStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The record's attributes a change may set or remove; `account` and `version` are the store's. */
const CHANGEABLE: Record<keyof SessionChanges, true> = {
  state: true,
  stateSince: true,
  reason: true,
  session: true,
  qr: true,
  contacts: true,
};

export class DynamoSessionStore implements SessionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: SessionStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async get(account: string): Promise<SessionRecord | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { account }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  /**
   * An UpdateItem rather than a PutItem, conditional on `version` rather than on the key: a lease or
   * a msg_id may have created the item before any session state (and a PutItem would wipe them).
   */
  async ensure(account: string, nowMs: number): Promise<SessionRecord> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { account },
          UpdateExpression: 'SET #state = :state, #stateSince = :now, #version = :one',
          ConditionExpression: 'attribute_not_exists(#version)',
          ExpressionAttributeNames: { '#state': 'state', '#stateSince': 'stateSince', '#version': 'version' },
          ExpressionAttributeValues: { ':state': 'needs_qr', ':now': nowMs, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const created = Attributes && toRecord(Attributes);
      if (created) return created;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const stored = await this.get(account);
    if (!stored) throw new Error(`session of account ${account} vanished while being created`);
    return stored;
  }

  async update(account: string, expectedVersion: number, changes: SessionChanges): Promise<SessionRecord> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':next': expectedVersion + 1 };
    const set = ['#version = :next'];
    const remove: string[] = [];
    for (const [field, value] of Object.entries(changes)) {
      if (!Object.hasOwn(CHANGEABLE, field)) throw new Error(`a session change cannot set "${field}"`);
      names[`#${field}`] = field;
      if (value === undefined) {
        remove.push(`#${field}`);
      } else {
        values[`:${field}`] = value;
        set.push(`#${field} = :${field}`);
      }
    }
    const input: UpdateCommandInput = {
      TableName: this.#table,
      Key: { account },
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
    try {
      const { Attributes } = await this.#doc.send(new UpdateCommand(input));
      const updated = Attributes && toRecord(Attributes);
      if (!updated) throw new Error(`session of account ${account} has no state after an update`);
      return updated;
    } catch (err) {
      // Also when there is no record at all: the caller's version is not the stored one either way.
      if (isConditionFailure(err)) throw new VersionConflictError(account);
      throw err;
    }
  }

  async acquireLease(
    account: string,
    owner: string,
    untilMs: number,
    nowMs: number,
    endsByMs = untilMs,
  ): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { account },
          UpdateExpression: 'SET #owner = :owner, #until = :until, #endsBy = :endsBy',
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :now OR #owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'leaseOwner',
            '#until': 'leaseUntil',
            '#endsBy': 'leaseEndsBy',
          },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': untilMs,
            ':now': nowMs,
            ':endsBy': endsByMs,
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async leaseEndsBy(account: string): Promise<number | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { account },
        ProjectionExpression: 'leaseUntil, leaseEndsBy',
        ConsistentRead: true,
      }),
    );
    if (typeof Item?.leaseUntil !== 'number') return undefined;
    return typeof Item.leaseEndsBy === 'number' ? Item.leaseEndsBy : Item.leaseUntil;
  }

  async releaseLease(account: string, owner: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { account },
          UpdateExpression: 'REMOVE #owner, #until, #endsBy',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'leaseOwner',
            '#until': 'leaseUntil',
            '#endsBy': 'leaseEndsBy',
          },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      // Someone else holds it now, or nobody: either way it is not ours to give back.
      if (!isConditionFailure(err)) throw err;
    }
  }
}

/**
 * Ends the lease whoever holds it. Only for a caller that knows no poller can be running: the local
 * runtime at its start, on data no other `npm start` may use (its runtime file), after a stop that
 * may have come before the last poller gave its lease back.
 */
export async function clearLease(
  store: { readonly doc: DynamoDBDocumentClient; readonly tableName: string },
  account: string,
): Promise<boolean> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { account },
        UpdateExpression: 'REMOVE #owner, #until, #endsBy',
        ConditionExpression: 'attribute_exists(#until)',
        ExpressionAttributeNames: {
          '#owner': 'leaseOwner',
          '#until': 'leaseUntil',
          '#endsBy': 'leaseEndsBy',
        },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * The record part of an item: without the lease (nor the msg_id counter items of earlier versions
 * kept), and undefined for an item that a lease created before any session state.
 */
function toRecord(item: Record<string, unknown>): SessionRecord | undefined {
  if (typeof item.version !== 'number') return undefined;
  const {
    leaseOwner: _owner,
    leaseUntil: _until,
    leaseEndsBy: _endsBy,
    msgIdCounter: _counter,
    ...record
  } = item;
  return record as unknown as SessionRecord;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
