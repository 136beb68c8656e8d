/**
 * Who a message goes to, from the contacts cache of the current login. Ids (`uin`, `gid`, `did`)
 * change on every login (docs/protocol.md §3), so a name is resolved against the cache, and an id is
 * accepted only if the cache of this login has it.
 */
import type { ContactsCache, SessionRecord } from '../pipeline/ports.ts';
import type { SendTarget } from '../smartqq/send.ts';
import type { SessionJson } from '../smartqq/session.ts';
import {
  AmbiguousRecipientError,
  type ChatType,
  ContactsUnavailableError,
  RecipientNotFoundError,
  SessionOfflineError,
} from './errors.ts';
import type { RecipientRef } from './request.ts';

export interface Recipient {
  readonly target: SendTarget;
  /** For logs and answers: the name the contacts list shows. */
  readonly name: string;
}

export interface CurrentLogin {
  /** The SmartQQ session: secret, never logged or answered. */
  readonly session: SessionJson;
  readonly contacts: ContactsCache;
}

/**
 * The account's current login and its contacts: the session must be online, and the cache must
 * belong to the same login2 as the session (after a relink the old ids point nowhere).
 */
export function currentLogin(record: SessionRecord | undefined, account: string): CurrentLogin {
  if (record?.state !== 'online' || record.session === undefined) {
    throw new SessionOfflineError(
      account,
      record?.state ?? 'needs_qr',
      record?.stateSince,
      record?.reason ?? (record ? undefined : 'never logged in'),
    );
  }
  const { session, contacts } = record;
  if (contacts === undefined || contacts.linkedAt !== session.linkedAt) {
    throw new ContactsUnavailableError(account);
  }
  return { session, contacts };
}

/**
 * A friend is found by markname or nick, a group or discussion by name; case-insensitive. For
 * friends, markname matches win over nick matches (the markname is the owner's own name for them,
 * as in `ContactBook.findFriends`). Several matches of the winning kind are ambiguous: the caller
 * gets every candidate with its current id and chooses.
 */
export function resolveRecipient(contacts: ContactsCache, type: ChatType, to: RecipientRef): Recipient {
  const candidates = type === 'friend' ? friendCandidates(contacts, to) : chatCandidates(contacts, type, to);
  const [only, ...others] = candidates;
  if (only === undefined) throw new RecipientNotFoundError(type, to);
  if (others.length > 0) {
    throw new AmbiguousRecipientError(
      type,
      'name' in to ? to.name : String(to.uin),
      candidates.map((c) => ({ name: c.name, uin: targetId(c.target) })),
    );
  }
  return only;
}

/** The name a person would type, as compared: no-break spaces as spaces, trimmed, lower case. */
export function nameKey(name: string): string {
  return name
    .replace(/\u00a0/g, ' ')
    .trim()
    .normalize('NFC')
    .toLowerCase();
}

export function friendLabel(friend: ContactsCache['friends'][number]): string {
  return friend.markname ? `${friend.markname} (${friend.nick})` : friend.nick;
}

function friendCandidates(contacts: ContactsCache, to: RecipientRef): Recipient[] {
  const asRecipient = (f: ContactsCache['friends'][number]): Recipient => ({
    target: { kind: 'friend', uin: f.uin },
    name: friendLabel(f),
  });
  if ('uin' in to) return contacts.friends.filter((f) => f.uin === to.uin).map(asRecipient);
  const key = nameKey(to.name);
  const byMarkname = contacts.friends.filter((f) => f.markname !== undefined && nameKey(f.markname) === key);
  const matches =
    byMarkname.length > 0 ? byMarkname : contacts.friends.filter((f) => nameKey(f.nick) === key);
  return matches.map(asRecipient);
}

function chatCandidates(
  contacts: ContactsCache,
  type: 'group' | 'discussion',
  to: RecipientRef,
): Recipient[] {
  const chats =
    type === 'group'
      ? contacts.groups.map((g) => ({ id: g.gid, name: g.name }))
      : contacts.discussions.map((d) => ({ id: d.did, name: d.name }));
  const key = 'name' in to ? nameKey(to.name) : undefined;
  return chats
    .filter((c) => (key === undefined ? 'uin' in to && c.id === to.uin : nameKey(c.name) === key))
    .map((c) => ({
      target: type === 'group' ? { kind: 'group', gid: c.id } : { kind: 'discussion', did: c.id },
      name: c.name,
    }));
}

export function targetId(target: SendTarget): number {
  switch (target.kind) {
    case 'friend':
      return target.uin;
    case 'group':
      return target.gid;
    case 'discussion':
      return target.did;
  }
}
