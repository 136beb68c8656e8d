/**
 * The contact names and current ids the poller keeps after each login, so events can carry names
 * (rules match names; ids change on every login) and the bot can recognise its own group echo by its
 * member uin: the directory in the session record, the member lists apart (`keepMembersApart`).
 */
import type { SmartQQClient } from '../smartqq/client.ts';
import type { ContactsCache, MemberLists, PipelineLog, PipelineMetrics } from './ports.ts';

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
  return {
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
  };
}

/**
 * Saves a login's member lists apart (`MemberLists`) and answers the contacts for the session item,
 * without them: the directory (friends, groups, discussions, the bot's uins) stays small however
 * large the groups, and a reply reads only its own chat's list.
 */
export async function keepMembersApart(
  memberLists: MemberLists,
  account: string,
  contacts: ContactsCache,
  nowMs: number,
  report?: { log: Pick<PipelineLog, 'error'>; metrics?: PipelineMetrics | undefined },
): Promise<ContactsCache> {
  const { cut } = await memberLists.save(account, contacts.linkedAt, contacts.members, nowMs);
  if (cut.length > 0 && report) {
    // Loud and once per load: some senders of these chats are named by uin.
    report.metrics?.count('contacts_too_large');
    report.log.error('member lists too large for one item: cut, later members named by uin', {
      chats: cut.length,
    });
  }
  return { ...contacts, members: {} };
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
