import { describe, expect, it } from 'vitest';
import { needsFreshContacts, toInboundMessage } from '../../../lib/pipeline/inbound-message.ts';
import type { ContactsCache } from '../../../lib/pipeline/ports.ts';

const contacts: ContactsCache = {
  fetchedAt: 1,
  linkedAt: 1000,
  friends: [{ uin: 11, nick: 'Alice', markname: 'Ali' }],
  groups: [{ gid: 22, code: 23, name: 'Hiking Club' }],
  discussions: [{ did: 33, name: 'Weekend plans' }],
  members: { g22: { '44': 'Trail Boss' }, d33: { '55': 'Bob & Co' } },
  selfUins: [99],
  selfNick: 'DemoBot',
};
const base = { msgId: 7, time: 1_700_000_000, segments: [], text: 'hi' };

describe('toInboundMessage', () => {
  it('carries ids to reply with and names for the rules', () => {
    expect(
      toInboundMessage({ kind: 'friend_message', fromUin: 11, ...base }, '20001', contacts, 5),
    ).toMatchObject({
      account: '20001',
      conversation: '20001-friend-11',
      chatType: 'friend',
      chatId: 11,
      chatName: 'Ali',
      senderName: 'Ali',
      senderNick: 'Alice',
      text: 'hi',
      linkedAt: 1000,
      receivedAt: 5,
    });
    expect(
      toInboundMessage({ kind: 'group_message', gid: 22, senderUin: 44, ...base }, '20001', contacts, 5),
    ).toMatchObject({ conversation: '20001-group-22', chatName: 'Hiking Club', senderName: 'Trail Boss' });
    expect(
      toInboundMessage({ kind: 'discussion_message', did: 33, senderUin: 55, ...base }, '20001', contacts, 5),
    ).toMatchObject({
      conversation: '20001-discussion-33',
      chatName: 'Weekend plans',
      senderName: 'Bob & Co',
    });
  });

  it('keys an event stably: the same event twice gives one key, the same msg_id elsewhere another', () => {
    const friend = toInboundMessage({ kind: 'friend_message', fromUin: 11, ...base }, '20001', contacts, 5);
    const again = toInboundMessage({ kind: 'friend_message', fromUin: 11, ...base }, '20001', contacts, 999);
    const group = toInboundMessage(
      { kind: 'group_message', gid: 22, senderUin: 44, ...base },
      '20001',
      contacts,
      5,
    );
    expect(again.key).toBe(friend.key);
    expect(group.key).not.toBe(friend.key);
    expect(friend.key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('falls back to ids when the cache lacks a name, and says the cache needs refreshing', () => {
    const stranger = { kind: 'group_message' as const, gid: 22, senderUin: 404, ...base };
    expect(toInboundMessage(stranger, '20001', contacts, 5).senderName).toBe('404');
    expect(needsFreshContacts(stranger, contacts)).toBe(true);
    expect(needsFreshContacts({ kind: 'friend_message', fromUin: 11, ...base }, contacts)).toBe(false);
  });
});
