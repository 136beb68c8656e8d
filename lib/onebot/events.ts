/**
 * OneBot v11 message events from the messages the poller received: who and where, by stable id
 * (`ids.ts`), and the message as a CQ string or segments.
 */
import { createHash } from 'node:crypto';
import type { ContactsCache, InboundMessage } from '../pipeline/ports.ts';
import { parseFaceMarkers } from '../smartqq/content.ts';
import { type IdKind, type IdTable, idOf, keysOf } from './ids.ts';
import { type MessageSegment, receivedSegments, toCqString } from './message.ts';
import type { PostMessageFormat } from './post.ts';

export type { PostMessageFormat };

/**
 * A OneBot message_id for a received message: stable for the message (its event key), whatever
 * delivery or login: a positive 31-bit integer, as bots store it in an int32.
 */
export function messageIdOf(key: string): number {
  return Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16) & 0x7fffffff || 1;
}

/**
 * The keys (`ids.ts`) the message's sender and chat are known by. The lists tell apart two of the same
 * name when they are of the message's own login (its uins); otherwise the name alone is the key.
 */
export function keysOfMessage(
  message: InboundMessage,
  contacts: ContactsCache,
  members: Readonly<Record<string, string>> | undefined,
): Partial<Record<IdKind, string>> {
  const sameLogin = contacts.linkedAt === message.linkedAt;
  if (message.chatType === 'friend') {
    const index = sameLogin ? contacts.friends.findIndex((f) => f.uin === message.senderUin) : -1;
    return { people: keysOf(contacts.friends.map((f) => f.nick))[index] ?? message.senderNick };
  }
  const uins = sameLogin ? Object.keys(members ?? {}) : [];
  const senderIndex = uins.indexOf(String(message.senderUin));
  const person = keysOf(uins.map((uin) => members?.[uin] ?? uin))[senderIndex] ?? message.senderName;
  const chats = message.chatType === 'group' ? contacts.groups : contacts.discussions;
  const chatIndex = sameLogin ? chats.findIndex((c) => ('gid' in c ? c.gid : c.did) === message.chatId) : -1;
  const chat = keysOf(chats.map((c) => c.name))[chatIndex] ?? message.chatName;
  return { people: person, [message.chatType === 'group' ? 'groups' : 'discussions']: chat };
}

export interface MessageEvent {
  readonly [field: string]: unknown;
}

/** The event as posted; `ids` must hold the message's keys (`keysOfMessage`). */
export function messageEvent(
  message: InboundMessage,
  keys: Partial<Record<IdKind, string>>,
  ids: IdTable,
  format: PostMessageFormat,
): MessageEvent {
  const segments: MessageSegment[] = receivedSegments(parseFaceMarkers(message.text));
  const raw = toCqString(segments);
  const userId = idOf(ids, 'people', keys.people) ?? 0;
  const common = {
    time: message.time,
    self_id: Number(message.account),
    post_type: 'message',
    message_id: messageIdOf(message.key),
    user_id: userId,
    message: format === 'array' ? segments : raw,
    raw_message: raw,
    font: 0,
  };
  const sender = { user_id: userId, nickname: message.senderNick, sex: 'unknown', age: 0 };
  if (message.chatType === 'friend') {
    return { ...common, message_type: 'private', sub_type: 'friend', sender };
  }
  if (message.chatType === 'group') {
    return {
      ...common,
      message_type: 'group',
      sub_type: 'normal',
      group_id: idOf(ids, 'groups', keys.groups) ?? 0,
      anonymous: null,
      sender: { ...sender, card: message.senderName, role: 'member' },
    };
  }
  return {
    ...common,
    message_type: 'discuss',
    discuss_id: idOf(ids, 'discussions', keys.discussions) ?? 0,
    sender,
  };
}
