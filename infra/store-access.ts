/**
 * The DynamoDB actions each store of `lib/stores` calls, so that a function is granted exactly what
 * the stores it builds use (test/infra/store-access.test.ts reads the stores and the handlers and
 * fails when this table no longer matches them).
 *
 * IAM names BatchWriteItem on its own: it needs neither PutItem nor DeleteItem.
 */
export const STORE_ACTIONS = {
  /** session-store.ts: get → GetItem; ensure, update and the lease → UpdateItem. */
  DynamoSessionStore: ['GetItem', 'UpdateItem'],
  /** member-lists-store.ts: get → GetItem; save → BatchWriteItem (batch-write.ts). */
  DynamoMemberLists: ['GetItem', 'BatchWriteItem'],
  /** member-lists-store.ts, as the consumer reads: get → GetItem. */
  DynamoMemberListReader: ['GetItem'],
  /** outbox-store.ts: list → Query; add and remove → BatchWriteItem (batch-write.ts). */
  DynamoOutbox: ['Query', 'BatchWriteItem'],
  /** guard-store.ts: a cooldown is a conditional PutItem; release → DeleteItem. */
  DynamoCooldownStore: ['PutItem', 'DeleteItem'],
  /** guard-store.ts: admit → UpdateItem, and GetItem when its condition fails. */
  DynamoConversationGuard: ['GetItem', 'UpdateItem'],
  /** idempotency-store.ts: claim and complete → PutItem (GetItem on a lost claim); release → DeleteItem. */
  DynamoIdempotencyStore: ['GetItem', 'PutItem', 'DeleteItem'],
  /** pacing-store.ts: a turn or a hold is a conditional UpdateItem; a refused one is read back → GetItem. */
  DynamoSendPacing: ['GetItem', 'UpdateItem'],
  /**
   * rule-store.ts as the consumer's RuleCache reads it: version() → GetItem, list(account) → Query.
   * Not the rest of the store (put, import, delete, and the Scan of list() without an account): that is
   * the rules CLI's, run with the operator's own credentials.
   */
  DynamoRuleStore: ['GetItem', 'Query'],
  /** onebot-ids-store.ts: read and ensure → GetItem; a new id → a conditional PutItem. */
  DynamoOneBotIds: ['GetItem', 'PutItem'],
  /**
   * account-registry.ts as the poller reads it: read → GetItem of the one registry item (Sessions).
   * It never changes the registry: the send API does.
   */
  DynamoAccountRegistryReader: ['GetItem'],
  /** account-registry.ts: read → GetItem; change → GetItem, then a conditional PutItem of the item. */
  DynamoAccountRegistry: ['GetItem', 'PutItem'],
} as const satisfies Record<string, readonly DynamoAction[]>;

export type DynamoAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'BatchWriteItem'
  | 'BatchGetItem';

export type StoreName = keyof typeof STORE_ACTIONS;

/** The IAM actions (`dynamodb:…`) for the stores a function builds on one table, sorted, no repeats. */
export function dynamoActions(stores: readonly StoreName[]): string[] {
  const actions = new Set<string>(stores.flatMap((store) => STORE_ACTIONS[store]));
  return [...actions].sort().map((action) => `dynamodb:${action}`);
}
