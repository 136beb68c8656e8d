/**
 * A chat event from poll2, as published to the inbound queue: the ids to reply with, the names the
 * rules match, and a stable key (account, conversation, poll_type, msg_id, time) that SQS FIFO
 * deduplicates on and the consumer is idempotent on (DESIGN.md invariant 2).
 */
import { createHash } from 'node:crypto';
import type { PollEvent } from '../smartqq/poll.ts';
import { discussionKey, groupKey } from './contacts-cache.ts';
import type { ContactsCache, InboundMessage } from './ports.ts';

export type ChatEvent = Extract<
  PollEvent,
  { kind: 'friend_message' | 'group_message' | 'discussion_message' }
>;

export function isChatEvent(event: PollEvent): event is ChatEvent {
  return (
    event.kind === 'friend_message' || event.kind === 'group_message' || event.kind === 'discussion_message'
  );
}

export function toInboundMessage(
  event: ChatEvent,
  account: string,
  contacts: ContactsCache,
  receivedAt: number,
): InboundMessage {
  const chat = chatOf(event, contacts);
  const conversation = `${account}-${chat.chatType}-${chat.chatId}`;
  const stable = `${account}|${conversation}|${event.kind}|${event.msgId}|${event.time}|${chat.senderUin}`;
  return {
    // msg_id alone is not unique across conversations, and the same event may come twice (§4).
    key: createHash('sha256').update(stable).digest('hex'),
    account,
    conversation,
    ...chat,
    text: bounded(event.text),
    msgId: event.msgId,
    time: event.time,
    linkedAt: contacts.linkedAt,
    receivedAt,
    ...(contacts.selfUins.includes(chat.senderUin) ? { fromBot: true } : {}),
  };
}

function chatOf(event: ChatEvent, contacts: ContactsCache) {
  if (event.kind === 'friend_message') {
    const friend = contacts.friends.find((f) => f.uin === event.fromUin);
    const name = friend ? (friend.markname ?? friend.nick) : String(event.fromUin);
    return {
      chatType: 'friend' as const,
      chatId: event.fromUin,
      chatName: name,
      senderUin: event.fromUin,
      senderName: name,
      senderNick: friend?.nick ?? name,
    };
  }
  if (event.kind === 'group_message') {
    const name = contacts.groups.find((g) => g.gid === event.gid)?.name;
    return roomChat('group', event.gid, name, contacts.members[groupKey(event.gid)], event.senderUin);
  }
  const name = contacts.discussions.find((d) => d.did === event.did)?.name;
  return roomChat('discussion', event.did, name, contacts.members[discussionKey(event.did)], event.senderUin);
}

/**
 * The longest text a message carries on: the rest is cut, with a note. A queue message holds 256 KB
 * and an outbox item 400 KB; no chat message a rule answers is longer, but a server (or a fault)
 * can send anything, and a message too big for either would be kept and retried for ever.
 */
export const MAX_TEXT_CHARS = 20_000;

function bounded(text: string): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  return `${text.slice(0, MAX_TEXT_CHARS)}… [cut: ${text.length} characters in all]`;
}

/** A group or discussion chat: its name, and the sender's card or nick from its member list. */
function roomChat(
  chatType: 'group' | 'discussion',
  chatId: number,
  name: string | undefined,
  members: Readonly<Record<string, string>> | undefined,
  senderUin: number,
) {
  const sender = members?.[String(senderUin)] ?? String(senderUin);
  return {
    chatType,
    chatId,
    chatName: name ?? String(chatId),
    senderUin,
    senderName: sender,
    senderNick: sender,
  };
}

/** Whether the cache lacks a name this event needs (a new friend or group since the last load). */
export function needsFreshContacts(event: ChatEvent, contacts: ContactsCache): boolean {
  if (event.kind === 'friend_message') return !contacts.friends.some((f) => f.uin === event.fromUin);
  return !contacts.selfUins.includes(event.senderUin) && isUnknownMember(event, contacts);
}

/** A group or discussion message from a uin in no member list of that chat. */
export function isUnknownMember(event: ChatEvent, contacts: ContactsCache): boolean {
  if (event.kind === 'group_message')
    return contacts.members[groupKey(event.gid)]?.[String(event.senderUin)] === undefined;
  if (event.kind === 'discussion_message')
    return contacts.members[discussionKey(event.did)]?.[String(event.senderUin)] === undefined;
  return false;
}
