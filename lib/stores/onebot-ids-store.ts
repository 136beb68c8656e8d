/**
 * The OneBot ids of each account (what they are: `lib/onebot/ids.ts`): one item per account in the
 * Sessions table, `{ account: 'onebot-ids#<qq>', people, groups, discussions, next, revision }`,
 * kept like the session (retained with the table). Written only to add ids, each write conditional
 * on the revision it read, so two functions adding at once both land.
 *
 * One item holds about 10,000 names (400 KB): people are added as they are met — a sender, a
 * friend list, a member list asked for — not every member of every group at login.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { EMPTY_IDS, type IdKind, type IdTable, withIds } from '../onebot/ids.ts';
import { changeAtRevision } from './revision-put.ts';

export interface OneBotIdsStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  /** The Sessions table. */
  readonly tableName: string;
}

export class DynamoOneBotIds {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: OneBotIdsStoreOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async read(account: string): Promise<IdTable> {
    return (await this.#read(account)).table;
  }

  /** The table with ids for every key of `want` (added and saved when new). */
  async ensure(account: string, want: Partial<Record<IdKind, readonly string[]>>): Promise<IdTable> {
    return changeAtRevision(this.#doc, this.#table, async (put) => {
      const { table, revision } = await this.#read(account);
      let changed = table;
      for (const [kind, keys] of Object.entries(want) as [IdKind, readonly string[]][]) {
        changed = withIds(changed, kind, keys);
      }
      if (changed === table) return table;
      return (await put({ account: itemKey(account), ...changed }, revision)) ? changed : undefined;
    });
  }

  async #read(account: string): Promise<{ table: IdTable; revision: number }> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { account: itemKey(account) }, ConsistentRead: true }),
    );
    if (!Item) return { table: EMPTY_IDS, revision: 0 };
    return {
      table: {
        people: (Item.people ?? {}) as Record<string, number>,
        groups: (Item.groups ?? {}) as Record<string, number>,
        discussions: (Item.discussions ?? {}) as Record<string, number>,
        next: typeof Item.next === 'number' ? Item.next : EMPTY_IDS.next,
      },
      revision: typeof Item.revision === 'number' ? Item.revision : 0,
    };
  }
}

function itemKey(account: string): string {
  return `onebot-ids#${account}`;
}
