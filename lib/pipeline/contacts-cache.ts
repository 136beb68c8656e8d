/**
 * The contact names and current ids the poller keeps in the session record after each login, so
 * events can carry names (rules match names; ids change on every login) and the bot can recognise
 * its own group echo by its member uin.
 */
import type { SmartQQClient } from '../smartqq/client.ts';
import type { ContactsCache } from './ports.ts';

export class ContactsOutOfTimeError extends Error {
  override readonly name = 'ContactsOutOfTimeError';
}

/**
 * `hasTime` is asked before each call (one per group and discussion): a load that would run past
 * the invocation's end stops there, with a ContactsOutOfTimeError, and the caller keeps what it had.
 */
export async function loadContactsCache(
  client: SmartQQClient,
  nowMs: number,
  hasTime: () => boolean = () => true,
): Promise<ContactsCache> {
  const enough = <T>(call: () => Promise<T>): Promise<T> => {
    if (!hasTime()) throw new ContactsOutOfTimeError('no time left to load the contacts');
    return call();
  };
  const self = await client.getSelfInfo();
  const book = await client.loadContacts();
  const members: Record<string, Record<string, string>> = {};
  const selfUins = new Set<number>([client.session.tokens.uin, self.uin]);
  // The bot's own echo comes back with its member uin, listed under its nick (docs/protocol.md §4). A
  // member who shares the bot's nick is then never answered either: silence beats a reply loop.
  const remember = (key: string, list: readonly { uin: number; nick: string; card?: string }[]) => {
    members[key] = Object.fromEntries(list.map((m) => [String(m.uin), m.card ?? m.nick]));
    for (const m of list) if (m.nick === self.nick) selfUins.add(m.uin);
  };
  for (const group of book.groups)
    remember(groupKey(group.gid), (await enough(() => client.getGroupDetail(group.code))).members);
  for (const discussion of book.discussions) {
    remember(
      discussionKey(discussion.did),
      (await enough(() => client.getDiscussionDetail(discussion.did))).members,
    );
  }
  return fitForSessionItem({
    fetchedAt: nowMs,
    linkedAt: client.session.tokens.linkedAt,
    friends: book.friends.map((f) => ({
      uin: f.uin,
      nick: f.nick,
      ...(f.markname ? { markname: f.markname } : {}),
    })),
    groups: book.groups.map((g) => ({ gid: g.gid, code: g.code, name: g.name })),
    discussions: book.discussions.map((d) => ({ did: d.did, name: d.name })),
    members,
    selfUins: [...selfUins],
    selfNick: self.nick,
  });
}

/**
 * The contacts live in the session item, and a DynamoDB item holds 400 KB at most: an account with
 * many large groups does not fit (a write of it fails, and a login that cannot be saved would be
 * retried forever). Past this many bytes the member lists are left out — senders in groups and
 * discussions are then named by uin — and `membersOmitted` says so, for the owner to be told.
 */
export const MAX_CONTACTS_BYTES = 300_000;

export function fitForSessionItem(contacts: ContactsCache): ContactsCache {
  if (Buffer.byteLength(JSON.stringify(contacts)) <= MAX_CONTACTS_BYTES) return contacts;
  return { ...contacts, members: {}, membersOmitted: true };
}

/** Says, loudly and once per load, that the member lists did not fit. */
export function reportOmittedMembers(
  contacts: ContactsCache,
  log: { error(message: string, extra?: Record<string, unknown>): void },
  metrics?: { count(name: string, value?: number): void },
): void {
  if (!contacts.membersOmitted) return;
  metrics?.count('contacts_too_large');
  log.error('contacts too large for the session item: group and discussion members left out', {
    groups: contacts.groups.length,
    discussions: contacts.discussions.length,
    limitBytes: MAX_CONTACTS_BYTES,
  });
}

/** Contacts not known (yet): messages still go out, with uins for names. */
export function noContacts(linkedAt: number): ContactsCache {
  return {
    fetchedAt: 0,
    linkedAt,
    friends: [],
    groups: [],
    discussions: [],
    members: {},
    selfUins: [],
    selfNick: '',
  };
}

export function groupKey(gid: number): string {
  return `g${gid}`;
}

export function discussionKey(did: number): string {
  return `d${did}`;
}
