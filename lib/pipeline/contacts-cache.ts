/**
 * The contact names and current ids the poller keeps in the session record after each login, so
 * events can carry names (rules match names; ids change on every login) and the bot can recognise
 * its own group echo by its member uin.
 */
import type { SmartQQClient } from '../smartqq/client.ts';
import type { ContactsCache } from './ports.ts';

export async function loadContactsCache(client: SmartQQClient, nowMs: number): Promise<ContactsCache> {
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
    remember(groupKey(group.gid), (await client.getGroupDetail(group.code)).members);
  for (const discussion of book.discussions) {
    remember(discussionKey(discussion.did), (await client.getDiscussionDetail(discussion.did)).members);
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

export function groupKey(gid: number): string {
  return `g${gid}`;
}

export function discussionKey(did: number): string {
  return `d${did}`;
}
