/**
 * Stable OneBot ids. OneBot ids are permanent QQ numbers; SmartQQ's uin, gid and did change at every
 * login and the real numbers are out of reach (the uin→QQ call was shut off in 2017,
 * docs/protocol.md §3). So each person, group and discussion an account meets gets an id of its own,
 * kept per account (`lib/stores/onebot-ids-store.ts`) and found again at each login by name:
 *
 * - a person by nick (a friend) or by the name a group shows (a member's card, else nick): the same
 *   person as a friend and as a member without a card has one id;
 * - a group and a discussion by name.
 *
 * Two with the same name in one list are told apart by their order in it (`Bob`, `Bob#2`): if
 * SmartQQ lists them in another order after a login, their ids swap. A rename is a new id. The bot
 * itself is its real QQ number (`self_id`).
 */

export type IdKind = 'people' | 'groups' | 'discussions';

export interface IdTable {
  readonly people: Readonly<Record<string, number>>;
  readonly groups: Readonly<Record<string, number>>;
  readonly discussions: Readonly<Record<string, number>>;
  /** The next id to give. */
  readonly next: number;
}

/** Ids start here: far from the small numbers a bot might take for a retcode or a count. */
export const FIRST_ID = 1_000_001;

export const EMPTY_IDS: IdTable = { people: {}, groups: {}, discussions: {}, next: FIRST_ID };

/** Each name of a list as a key: the first `Bob` is `Bob`, the second `Bob#2`. */
export function keysOf(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}#${count}`;
  });
}

/** The table with an id for every key (new ones in the order given); the same table when none is new. */
export function withIds(table: IdTable, kind: IdKind, keys: readonly string[]): IdTable {
  let next = table.next;
  let added: Record<string, number> | undefined;
  for (const key of keys) {
    if (Object.hasOwn(table[kind], key) || (added && Object.hasOwn(added, key))) continue;
    added ??= {};
    // Defined, not assigned: a name such as `__proto__` is a key like any other.
    Object.defineProperty(added, key, {
      value: next++,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return added ? { ...table, [kind]: { ...table[kind], ...added }, next } : table;
}

/** The id of a key, if it has one (a name like `constructor` is a name, not an object's member). */
export function idOf(table: IdTable, kind: IdKind, key: string | undefined): number | undefined {
  return key !== undefined && Object.hasOwn(table[kind], key) ? table[kind][key] : undefined;
}

/** The key an id stands for, if any. */
export function keyOf(table: IdTable, kind: IdKind, id: number): string | undefined {
  for (const [key, value] of Object.entries(table[kind])) if (value === id) return key;
  return undefined;
}

/**
 * Of a list, the item a key names: `Bob#2` is the second item named `Bob`. Undefined when the list
 * has no such item (renamed, left, or not in this login).
 */
export function findByKey<T>(items: readonly T[], nameOf: (item: T) => string, key: string): T | undefined {
  const names = items.map(nameOf);
  const keys = keysOf(names);
  const index = keys.indexOf(key);
  return index === -1 ? undefined : items[index];
}
