/**
 * The member lists of each login, in the Guards table: `{ pk: 'members#<account>#<linkedAt>',
 * sk: '<chatKey>', members: { uin: card or nick }, expiresAt }`. A list is fetched again at every
 * login and relink (a new `linkedAt`), so it is a cache of SmartQQ's: kept 30 days (TTL), longer
 * than a SmartQQ login lasts, and lost with the stack like the rest of the Guards table.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { MemberList, MemberLists } from '../pipeline/ports.ts';
import { batchWrite } from './batch-write.ts';

export interface MemberListsStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** How long a login's member lists are kept (a login lasts days at most). */
export const MEMBER_LISTS_TTL_SECONDS = 30 * 24 * 3600;
/**
 * A list's size at most (an item holds 400 KB): 2,000 members with cards of a hundred characters
 * fit; a longer list is cut, its first members kept.
 */
export const MAX_MEMBER_LIST_BYTES = 350_000;

/** The lists as the poller reads and writes them. */
export class DynamoMemberLists implements MemberLists {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: MemberListsStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async get(account: string, linkedAt: number, chatKey: string): Promise<MemberList | undefined> {
    const { Item } = await this.#doc.send(new GetCommand(getInput(this.#table, account, linkedAt, chatKey)));
    return listOf(Item);
  }

  async save(
    account: string,
    linkedAt: number,
    lists: Readonly<Record<string, MemberList>>,
    nowMs: number,
  ): Promise<{ readonly cut: readonly string[] }> {
    const expiresAt = Math.ceil(nowMs / 1000) + MEMBER_LISTS_TTL_SECONDS;
    const cut: string[] = [];
    const items = Object.entries(lists).map(([chatKey, members]) => {
      const fitting = fitted(members);
      if (fitting !== members) cut.push(chatKey);
      return { PutRequest: { Item: { ...key(account, linkedAt, chatKey), members: fitting, expiresAt } } };
    });
    // A call carries at most 25 lists of up to 350 KB: within BatchWriteItem's 16 MB.
    await batchWrite(this.#doc, this.#table, items, 'member list');
    return { cut };
  }
}

/** The lists as the consumer reads them: it never writes one (no write grant). */
export class DynamoMemberListReader implements Pick<MemberLists, 'get'> {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: MemberListsStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async get(account: string, linkedAt: number, chatKey: string): Promise<MemberList | undefined> {
    const { Item } = await this.#doc.send(new GetCommand(getInput(this.#table, account, linkedAt, chatKey)));
    return listOf(Item);
  }
}

/** Consistent: the poller saves a login's lists just before the session record names it. */
function getInput(table: string, account: string, linkedAt: number, chatKey: string) {
  return { TableName: table, Key: key(account, linkedAt, chatKey), ConsistentRead: true };
}

function listOf(item: Record<string, unknown> | undefined): MemberList | undefined {
  const members = item?.members;
  return members !== null && typeof members === 'object' ? (members as MemberList) : undefined;
}

/** The list, or its first members that fit in MAX_MEMBER_LIST_BYTES. */
function fitted(members: MemberList): MemberList {
  if (Buffer.byteLength(JSON.stringify(members)) <= MAX_MEMBER_LIST_BYTES) return members;
  const kept: Record<string, string> = {};
  let bytes = 2;
  for (const [uin, name] of Object.entries(members)) {
    bytes += Buffer.byteLength(JSON.stringify(uin)) + Buffer.byteLength(JSON.stringify(name)) + 2;
    if (bytes > MAX_MEMBER_LIST_BYTES) break;
    kept[uin] = name;
  }
  return kept;
}

function key(account: string, linkedAt: number, chatKey: string) {
  return { pk: `members#${account}#${linkedAt}`, sk: chatKey };
}
