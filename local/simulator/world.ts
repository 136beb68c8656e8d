/**
 * The simulated world: people (global, by QQ number) and the accounts a bot can log in as, each
 * with its friends, groups and discussions. Names are plain text here; the server escapes them
 * the way the real one did when it sends them.
 */
import { readFile } from 'node:fs/promises';
import {
  arrayAt,
  intAt,
  type JsonObject,
  objectAt,
  oneOf,
  onlyKeys,
  optional,
  qqAt,
  SimulatorInputError,
  stringAt,
} from './input.ts';

export const PRESENCES = ['online', 'away', 'busy', 'silent', 'callme', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

export interface Person {
  readonly qq: number;
  readonly nick: string;
  readonly lnick: string;
  readonly face: number;
  readonly gender: 'male' | 'female' | 'unknown';
  readonly status: Presence;
}

/** The implicit category 0 of every friend list. */
export const DEFAULT_CATEGORY = '我的好友';

export interface Friend {
  readonly qq: number;
  readonly markname: string | undefined;
  readonly category: string;
}

export interface GroupMember {
  readonly qq: number;
  readonly card: string | undefined;
}

export interface Group {
  readonly name: string;
  readonly markname: string | undefined;
  readonly memo: string;
  readonly owner: number;
  /** Always includes the account itself. */
  readonly members: readonly GroupMember[];
}

export interface Discussion {
  readonly name: string;
  /** Always includes the account itself. */
  readonly members: readonly number[];
}

export interface Account extends Person {
  readonly friends: readonly Friend[];
  /** Category names other than the implicit one, in index order (index = position + 1). */
  readonly categories: readonly string[];
  readonly groups: readonly Group[];
  readonly discussions: readonly Discussion[];
}

export class World {
  private readonly byQq = new Map<number, Person>();

  constructor(
    readonly people: readonly Person[],
    readonly accounts: readonly Account[],
  ) {
    for (const p of people) this.byQq.set(p.qq, p);
    for (const a of accounts) this.byQq.set(a.qq, a);
  }

  /** A person or an account, by QQ number. */
  person(qq: number): Person | undefined {
    return this.byQq.get(qq);
  }

  account(qq: number): Account | undefined {
    return this.accounts.find((a) => a.qq === qq);
  }
}

export async function loadWorldFile(path: string): Promise<World> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SimulatorInputError(path, `not JSON (${(err as Error).message})`);
  }
  return parseWorld(raw);
}

/** Validates a world object; a SimulatorInputError names the first bad field (`world.accounts[0]...`). */
export function parseWorld(raw: unknown): World {
  const input = objectAt(raw, 'world');
  onlyKeys(input, 'world', ['people', 'accounts']);
  const people = arrayAt(input.people, 'world.people').map((p, i) => parsePerson(p, `world.people[${i}]`));
  unique(
    people.map((p) => p.qq),
    'world.people',
    'qq',
  );
  const rawAccounts = arrayAt(input.accounts, 'world.accounts');
  if (rawAccounts.length === 0) throw new SimulatorInputError('world.accounts', 'needs at least one account');
  const known = new Set(people.map((p) => p.qq));
  const heads = rawAccounts.map((a, i) => parsePerson(a, `world.accounts[${i}]`, ACCOUNT_KEYS));
  unique(
    heads.map((a) => a.qq),
    'world.accounts',
    'qq',
  );
  for (const a of heads) known.add(a.qq);
  const accounts = rawAccounts.map((a, i) =>
    parseAccount(objectAt(a, `world.accounts[${i}]`), heads[i] as Person, known, `world.accounts[${i}]`),
  );
  return new World(people, accounts);
}

const PERSON_KEYS = ['qq', 'nick', 'lnick', 'face', 'gender', 'status'];
const ACCOUNT_KEYS = [...PERSON_KEYS, 'friends', 'groups', 'discussions'];

function parsePerson(raw: unknown, field: string, keys = PERSON_KEYS): Person {
  const o = objectAt(raw, field);
  onlyKeys(o, field, keys);
  return {
    qq: qqAt(o.qq, `${field}.qq`),
    nick: stringAt(o.nick, `${field}.nick`),
    lnick: optional(o, 'lnick', field, textAt) ?? '',
    face: optional(o, 'face', field, (r, f) => intAt(r, f, 0, 10000)) ?? 0,
    gender:
      optional(o, 'gender', field, (r, f) => oneOf(r, f, ['male', 'female', 'unknown'] as const)) ??
      'unknown',
    status: optional(o, 'status', field, (r, f) => oneOf(r, f, PRESENCES)) ?? 'online',
  };
}

function parseAccount(o: JsonObject, head: Person, known: Set<number>, field: string): Account {
  const ref = (r: unknown, f: string): number => {
    const qq = qqAt(r, f);
    if (!known.has(qq)) throw new SimulatorInputError(f, `unknown person ${qq} (not in world.people)`);
    return qq;
  };
  const friends = arrayAt(o.friends ?? [], `${field}.friends`).map((raw, i): Friend => {
    const f = `${field}.friends[${i}]`;
    const fo = objectAt(raw, f);
    onlyKeys(fo, f, ['qq', 'markname', 'category']);
    const qq = ref(fo.qq, `${f}.qq`);
    if (qq === head.qq) throw new SimulatorInputError(`${f}.qq`, 'an account cannot be its own friend');
    return {
      qq,
      markname: optional(fo, 'markname', f, stringAt),
      category: optional(fo, 'category', f, stringAt) ?? DEFAULT_CATEGORY,
    };
  });
  unique(
    friends.map((x) => x.qq),
    `${field}.friends`,
    'qq',
  );
  const groups = arrayAt(o.groups ?? [], `${field}.groups`).map((raw, i) =>
    parseGroup(raw, head.qq, ref, `${field}.groups[${i}]`),
  );
  unique(
    groups.map((g) => g.name),
    `${field}.groups`,
    'name',
  );
  const discussions = arrayAt(o.discussions ?? [], `${field}.discussions`).map((raw, i): Discussion => {
    const f = `${field}.discussions[${i}]`;
    const d = objectAt(raw, f);
    onlyKeys(d, f, ['name', 'members']);
    const members = arrayAt(d.members, `${f}.members`).map((m, j) => ref(m, `${f}.members[${j}]`));
    unique(members, `${f}.members`, 'qq');
    return { name: stringAt(d.name, `${f}.name`), members: withSelf(members, head.qq) };
  });
  unique(
    discussions.map((d) => d.name),
    `${field}.discussions`,
    'name',
  );
  const categories = [...new Set(friends.map((x) => x.category))].filter((c) => c !== DEFAULT_CATEGORY);
  return { ...head, friends, categories, groups, discussions };
}

function parseGroup(
  raw: unknown,
  self: number,
  ref: (r: unknown, f: string) => number,
  field: string,
): Group {
  const g = objectAt(raw, field);
  onlyKeys(g, field, ['name', 'markname', 'memo', 'owner', 'members']);
  const listed = arrayAt(g.members, `${field}.members`).map((raw, j): GroupMember => {
    const f = `${field}.members[${j}]`;
    if (typeof raw === 'number' || typeof raw === 'string') return { qq: ref(raw, f), card: undefined };
    const m = objectAt(raw, f);
    onlyKeys(m, f, ['qq', 'card']);
    return { qq: ref(m.qq, `${f}.qq`), card: optional(m, 'card', f, stringAt) };
  });
  unique(
    listed.map((m) => m.qq),
    `${field}.members`,
    'qq',
  );
  const members = listed.some((m) => m.qq === self) ? listed : [...listed, { qq: self, card: undefined }];
  const owner = optional(g, 'owner', field, qqAt) ?? (members[0] as GroupMember).qq;
  if (!members.some((m) => m.qq === owner)) {
    throw new SimulatorInputError(`${field}.owner`, `${owner} is not a member of the group`);
  }
  return {
    name: stringAt(g.name, `${field}.name`),
    markname: optional(g, 'markname', field, stringAt),
    memo: optional(g, 'memo', field, textAt) ?? '',
    owner,
    members,
  };
}

function textAt(raw: unknown, field: string): string {
  if (typeof raw !== 'string') throw new SimulatorInputError(field, 'must be a string');
  return raw;
}

function withSelf(members: number[], self: number): number[] {
  return members.includes(self) ? members : [...members, self];
}

function unique<T>(values: readonly T[], field: string, what: string): void {
  const seen = new Set<T>();
  values.forEach((v, i) => {
    if (seen.has(v))
      throw new SimulatorInputError(`${field}[${i}].${what}`, `duplicate ${what} ${String(v)}`);
    seen.add(v);
  });
}
