/**
 * The message as the rules see it: names, not ids (ids change on every SmartQQ login), and plain
 * text. The consumer builds it from a poll event and the contact list.
 */
import type { ChatType } from './model.ts';

export interface IncomingMessage {
  /** The bot account's QQ number. */
  readonly account: string;
  readonly chatType: ChatType;
  /** The friend (markname, else nick), the group or the discussion name. */
  readonly chatName: string;
  /** The sender as shown in the chat: group card, else markname, else nick. */
  readonly senderName: string;
  readonly senderNick: string;
  /** The sender's uin in this session (for per-sender cooldowns and the own-message guard). */
  readonly senderUin: number;
  /** Plain text (faces as `[name]`). */
  readonly text: string;
  readonly botNick: string;
  /** Every name the bot goes by in this chat (nick, group card): `@name` mentions it. */
  readonly botNames: readonly string[];
}

export interface AddressedText {
  /** Whether the message @-mentions the bot (groups and discussions). */
  readonly mentioned: boolean;
  /** The text the rules match: trimmed, without the @-mentions of the bot. */
  readonly text: string;
}

/** Finds and removes `@<bot name>` mentions; longest names first so `@Bot Two` beats `@Bot`. */
export function addressedText(message: IncomingMessage): AddressedText {
  if (message.chatType === 'friend' || !message.text.includes('@')) {
    return { mentioned: false, text: message.text.trim() };
  }
  let text = message.text;
  let mentioned = false;
  const names = [...new Set(message.botNames.filter((n) => n.trim().length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  for (const name of names) {
    const mention = `@${name}`;
    if (!text.includes(mention)) continue;
    mentioned = true;
    text = text.split(mention).join(' ');
  }
  return { mentioned, text: (mentioned ? text.replace(/[ \t]{2,}/g, ' ') : text).trim() };
}

/** Where a conversation's cooldowns and recent replies are kept: names, stable across logins. */
export function conversationKey(message: Pick<IncomingMessage, 'account' | 'chatType' | 'chatName'>): string {
  return `${message.account}|${message.chatType}|${message.chatName}`;
}
