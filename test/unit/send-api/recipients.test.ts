import { describe, expect, it } from 'vitest';
import type { ContactsCache, SessionRecord } from '../../../lib/pipeline/ports.ts';
import {
  AmbiguousRecipientError,
  ContactsUnavailableError,
  RecipientNotFoundError,
  SessionOfflineError,
} from '../../../lib/send-api/errors.ts';
import { currentLogin, resolveRecipient } from '../../../lib/send-api/recipients.ts';
import type { SessionJson } from '../../../lib/smartqq/session.ts';

const contacts: ContactsCache = {
  fetchedAt: 1_000,
  linkedAt: 500,
  friends: [
    { uin: 11, nick: 'Alice', markname: 'Ali' },
    { uin: 12, nick: 'Bob & Co' },
    { uin: 13, nick: '小明', markname: '明明' },
    { uin: 14, nick: 'Dana\u00a0Lee' },
    { uin: 15, nick: 'Sam' },
    { uin: 16, nick: 'sam' },
    { uin: 17, nick: 'Kim' },
    { uin: 18, nick: 'Kimberly', markname: 'kim' },
  ],
  groups: [
    { gid: 21, code: 91, name: 'Hiking Club' },
    { gid: 22, code: 92, name: 'Tea & Code' },
    { gid: 23, code: 93, name: 'tea & code' },
  ],
  discussions: [{ did: 31, name: 'Weekend plans' }],
  members: {},
  selfUins: [1],
  selfNick: 'DemoBot',
};

describe('resolveRecipient', () => {
  it('finds a friend by markname or nick, ignoring case, spaces around and no-break spaces', () => {
    expect(resolveRecipient(contacts, 'friend', { name: 'ali' })).toEqual({
      target: { kind: 'friend', uin: 11 },
      name: 'Ali (Alice)',
    });
    expect(resolveRecipient(contacts, 'friend', { name: 'ALICE' }).target).toEqual({
      kind: 'friend',
      uin: 11,
    });
    expect(resolveRecipient(contacts, 'friend', { name: ' bob & co ' }).target).toEqual({
      kind: 'friend',
      uin: 12,
    });
    expect(resolveRecipient(contacts, 'friend', { name: '明明' }).target).toEqual({
      kind: 'friend',
      uin: 13,
    });
    expect(resolveRecipient(contacts, 'friend', { name: 'dana lee' })).toEqual({
      target: { kind: 'friend', uin: 14 },
      name: 'Dana\u00a0Lee',
    });
  });

  it("prefers a friend's markname over another friend's nick", () => {
    expect(resolveRecipient(contacts, 'friend', { name: 'Kim' }).target).toEqual({ kind: 'friend', uin: 18 });
  });

  it('finds a group or discussion by name, and each kind only among its own', () => {
    expect(resolveRecipient(contacts, 'group', { name: 'hiking club' })).toEqual({
      target: { kind: 'group', gid: 21 },
      name: 'Hiking Club',
    });
    expect(resolveRecipient(contacts, 'discussion', { name: 'Weekend Plans' })).toEqual({
      target: { kind: 'discussion', did: 31 },
      name: 'Weekend plans',
    });
    expect(() => resolveRecipient(contacts, 'group', { name: 'Weekend plans' })).toThrow(
      RecipientNotFoundError,
    );
    expect(() => resolveRecipient(contacts, 'friend', { name: 'Hiking Club' })).toThrow(
      RecipientNotFoundError,
    );
  });

  it('accepts an id only if the current contacts have it, for its kind', () => {
    expect(resolveRecipient(contacts, 'friend', { uin: 12 }).target).toEqual({ kind: 'friend', uin: 12 });
    expect(resolveRecipient(contacts, 'group', { uin: 22 }).target).toEqual({ kind: 'group', gid: 22 });
    expect(resolveRecipient(contacts, 'discussion', { uin: 31 }).target).toEqual({
      kind: 'discussion',
      did: 31,
    });
    expect(() => resolveRecipient(contacts, 'friend', { uin: 21 })).toThrow(RecipientNotFoundError);
    // A group's code is not its id (docs/protocol.md §3).
    expect(() => resolveRecipient(contacts, 'group', { uin: 91 })).toThrow(RecipientNotFoundError);
    expect(() => resolveRecipient(contacts, 'discussion', { uin: 99 })).toThrow(
      /no discussion has the current id 99/,
    );
  });

  it('says an unknown name is unknown', () => {
    expect(() => resolveRecipient(contacts, 'friend', { name: 'Nobody' })).toThrow(
      /no friend is named "Nobody"/,
    );
  });

  it('refuses an ambiguous name with every candidate and its current id', () => {
    const ambiguous = (type: 'friend' | 'group', name: string) => {
      try {
        resolveRecipient(contacts, type, { name });
      } catch (err) {
        expect(err).toBeInstanceOf(AmbiguousRecipientError);
        return (err as AmbiguousRecipientError).candidates;
      }
      throw new Error(`${name} was not ambiguous`);
    };
    expect(ambiguous('friend', 'SAM')).toEqual([
      { name: 'Sam', uin: 15 },
      { name: 'sam', uin: 16 },
    ]);
    expect(ambiguous('group', 'Tea & Code')).toEqual([
      { name: 'Tea & Code', uin: 22 },
      { name: 'tea & code', uin: 23 },
    ]);
  });
});

describe('currentLogin', () => {
  const session = { linkedAt: 500 } as SessionJson;
  const record = (changes: Partial<SessionRecord>): SessionRecord => ({
    account: '20001',
    state: 'online',
    stateSince: 400,
    version: 1,
    session,
    contacts,
    ...changes,
  });

  it('gives the session and contacts of an online record whose contacts belong to its login', () => {
    expect(currentLogin(record({}), '20001')).toEqual({ session, contacts });
  });

  it('refuses an account that never logged in, or whose session is not online, with state and since', () => {
    expect(() => currentLogin(undefined, '20001')).toThrow(SessionOfflineError);
    for (const state of ['needs_qr', 'scan_pending', 'relinking'] as const) {
      try {
        currentLogin(record({ state, stateSince: 777, reason: 'logged in elsewhere' }), '20001');
        throw new Error(`${state} was accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(SessionOfflineError);
        expect(err).toMatchObject({ state, since: 777, reason: 'logged in elsewhere' });
      }
    }
  });

  it('refuses contacts that are missing or belong to an earlier login (ids change on each login)', () => {
    expect(() => currentLogin(record({ contacts: undefined }), '20001')).toThrow(ContactsUnavailableError);
    expect(() => currentLogin(record({ contacts: { ...contacts, linkedAt: 499 } }), '20001')).toThrow(
      ContactsUnavailableError,
    );
  });
});
