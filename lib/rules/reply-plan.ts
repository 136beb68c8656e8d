/**
 * From a message to the replies to send, with the loop and flood guards:
 * - never answer the bot's own messages (its uins, or the session-random send_uin of its group echo);
 * - never answer a sender in no member list of the chat right after the bot spoke there: the
 *   server's echo of the bot comes from a uin listed nowhere (docs/protocol.md §4, §7);
 * - never answer a message that is itself one of the bot's recent replies in that chat (echoes
 *   whose send_uin is not known yet, and two bots answering each other);
 * - honour each rule's cooldowns, per chat and per sender, through a shared store so concurrent
 *   consumers agree on who answers;
 * - the circuit breaker: at most so many replies per conversation, whatever the rules say.
 * The echo guards and the breaker are one decision (`ConversationGuard`), asked only when a rule
 * would answer.
 * The stores are ports: DynamoDB in the product, in-memory in unit tests.
 */
import { parseFaceMarkers, plainText, splitForSending } from '../smartqq/content.ts';
import type { RuleMatch, RuleSet } from './matcher.ts';
import { conversationKey, type IncomingMessage } from './message.ts';

export interface CooldownGate {
  /** True when the key was free (or expired) and is now taken for `seconds`; false when cooling down. */
  tryAcquire(key: string, seconds: number, nowMs: number): Promise<boolean>;
  /** Frees a key this consumer took, when its reply could not be sent and will be retried. */
  release(key: string): Promise<void>;
}

/** A rate: at most `burst` at once, then one per `intervalMs` (an interval of 0: no limit). */
export interface Pace {
  readonly intervalMs: number;
  readonly burst: number;
}

/** A message the rules would answer, put to its conversation's guard. */
export interface Admission {
  readonly conversation: string;
  /**
   * The message's own key: asked again for the same message (a retry after a failed send), the
   * guard admits it again rather than take the bot's reply to it for an echo.
   */
  readonly messageKey: string;
  /** The message's text as received (`asReceived`). */
  readonly incoming: string;
  /** The forms the replies' echoes may take (`echoForms`), remembered when admitted. */
  readonly replies: readonly string[];
  readonly senderListed: boolean;
  /** The circuit breaker's pace for the conversation, and how long it stays silent once tripped. */
  readonly pace: Pace;
  readonly holdMs: number;
  readonly nowMs: number;
}

export type AdmissionVerdict =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly reason: 'echo_of_recent_reply' | 'own_echo' }
  /** `tripped`: this message tripped the breaker (once per trip, for the owner's log line). */
  | { readonly admitted: false; readonly reason: 'circuit_breaker'; readonly tripped: boolean };

/**
 * A conversation's echo guards and circuit breaker, decided together (one conditional write in
 * DynamoDB): refuses a message that is one of the bot's recent replies there, or from an unlisted
 * sender within ECHO_WINDOW_SECONDS of a reply (the server's echo), or past the breaker's pace;
 * otherwise remembers the replies and counts them.
 */
export interface ConversationGuard {
  admit(admission: Admission): Promise<AdmissionVerdict>;
}

export interface ReplyGuards {
  readonly cooldowns: CooldownGate;
  readonly conversation: ConversationGuard;
  /** The circuit breaker: replies per conversation (DESIGN.md invariant 5). */
  readonly breakerPace: Pace;
  readonly breakerHoldMs: number;
  /** The uins the bot itself sends from in this session (its own uin, its group/discussion send_uins). */
  readonly selfUins: ReadonlySet<number>;
  /** The sender is in the chat's member list as the bot last loaded it (always, for a friend). */
  readonly senderListed: boolean;
  /** The message's stable key (its event key), for `Admission.messageKey`. */
  readonly messageKey: string;
}

/** How long a sent reply counts as "recent" for the echo guard. */
export const RECENT_REPLY_SECONDS = 10 * 60;
/** How soon after the bot spoke in a chat an unlisted sender there is taken for its echo. */
export const ECHO_WINDOW_SECONDS = 2 * 60;

export type Skip =
  | { readonly reason: 'own_message' }
  | { readonly reason: 'own_echo' }
  | { readonly reason: 'echo_of_recent_reply' }
  | { readonly reason: 'circuit_breaker'; readonly tripped: boolean }
  | { readonly reason: 'cooldown'; readonly ruleId: string };

export interface ReplyPlan {
  readonly replies: readonly RuleMatch[];
  readonly skipped: readonly Skip[];
}

export async function planReplies(
  ruleSet: Pick<RuleSet, 'match'>,
  message: IncomingMessage,
  guards: ReplyGuards,
  nowMs: number,
  random: () => number = Math.random,
): Promise<ReplyPlan> {
  if (guards.selfUins.has(message.senderUin)) return { replies: [], skipped: [{ reason: 'own_message' }] };
  const conversation = conversationKey(message);
  const replies: RuleMatch[] = [];
  const skipped: Skip[] = [];
  for (const match of ruleSet.match(message, random)) {
    if (await coolingDown(match, message, conversation, guards.cooldowns, nowMs)) {
      skipped.push({ reason: 'cooldown', ruleId: match.rule.id });
      continue;
    }
    replies.push(match);
  }
  if (replies.length === 0) return { replies, skipped };
  // Asked only of a message that would be answered: the others cost nothing.
  const verdict = await guards.conversation
    .admit({
      conversation,
      messageKey: guards.messageKey,
      incoming: asReceived(message.text),
      // The whole reply, and each message it is sent as: a long reply comes back as several echoes.
      replies: replies.flatMap((match) => echoForms(match.reply)),
      senderListed: guards.senderListed,
      pace: guards.breakerPace,
      holdMs: guards.breakerHoldMs,
      nowMs,
    })
    .catch(async (err: unknown) => {
      await releaseCooldowns(replies, message, conversation, guards.cooldowns);
      throw err;
    });
  if (verdict.admitted) return { replies, skipped };
  // Not answered after all: the cooldowns taken are given back.
  await releaseCooldowns(replies, message, conversation, guards.cooldowns);
  return {
    replies: [],
    skipped: [
      verdict.reason === 'circuit_breaker'
        ? { reason: 'circuit_breaker', tripped: verdict.tripped }
        : { reason: verdict.reason },
    ],
  };
}

/** Gives back the cooldowns of replies that will not be sent. */
export async function releaseCooldowns(
  replies: readonly RuleMatch[],
  message: IncomingMessage,
  conversation: string,
  gate: CooldownGate,
): Promise<void> {
  for (const match of replies) {
    for (const { key } of cooldownKeys(match, message, conversation)) await gate.release(key);
  }
}

/** Stands for any face: received faces may come back under another name, or as `[表情]` (docs/protocol.md §6). */
const FACE = '\u{fffc}';
/** A generic face (`[表情]`, 2018), or one whose id has no name here (`[face:N]`). */
const ANY_FACE = /\[表情\]|\[face:\d+\]/g;
const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
};
/** `<` and `>` came back as entities, and one bot sent them full-width (docs/protocol.md §5). */
const FULL_WIDTH: Record<string, string> = { '＜': '<', '＞': '>' };

/**
 * A text in the form both a reply as sent (`晴 /微笑`) and its echo through poll (`晴 [微笑]`, or
 * `晴 [表情]` when the server sent every face as one generic id, `&lt;` for `<`) take: faces become
 * one placeholder, entities and full-width brackets their characters, whitespace runs (`\r\n`,
 * no-break spaces) one space, zero-width characters nothing, ends trimmed, Unicode in NFC.
 */
export function asReceived(text: string): string {
  return parseFaceMarkers(text.replace(ANY_FACE, FACE))
    .map((segment) => (segment.type === 'face' ? FACE : segment.text))
    .join('')
    .replace(/&(lt|gt|amp|quot|#39|nbsp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/[＜＞]/g, (c) => FULL_WIDTH[c] ?? c)
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .normalize('NFC')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** The forms a reply's echo can take: the whole text, and each message it is split into when long. */
export function echoForms(reply: string): string[] {
  const parts = splitForSending(parseFaceMarkers(reply)).map((part) => asReceived(plainText(part)));
  return [...new Set([asReceived(reply), ...parts])];
}

/** The keys a rule's cooldowns are kept under; names, not ids, except the sender (per session). */
export function cooldownKeys(
  match: RuleMatch,
  message: IncomingMessage,
  conversation: string,
): { key: string; seconds: number }[] {
  const { rule } = match;
  const keys: { key: string; seconds: number }[] = [];
  if (rule.cooldownSenderSeconds > 0) {
    keys.push({
      key: `cooldown|${rule.account}|${rule.id}|${conversation}|${message.senderUin}`,
      seconds: rule.cooldownSenderSeconds,
    });
  }
  if (rule.cooldownChatSeconds > 0) {
    keys.push({
      key: `cooldown|${rule.account}|${rule.id}|${conversation}`,
      seconds: rule.cooldownChatSeconds,
    });
  }
  return keys;
}

async function coolingDown(
  match: RuleMatch,
  message: IncomingMessage,
  conversation: string,
  gate: CooldownGate,
  nowMs: number,
): Promise<boolean> {
  // Narrowest first: a sender still cooling down must not use up the whole chat's cooldown. And all
  // or none: when a wider key refuses (or the gate fails), the keys this call took are given back,
  // or a sender the rule did not answer would stay refused for their whole cooldown.
  const taken: string[] = [];
  let answered = false;
  try {
    for (const { key, seconds } of cooldownKeys(match, message, conversation)) {
      if (!(await gate.tryAcquire(key, seconds, nowMs))) return true;
      taken.push(key);
    }
    answered = true;
    return false;
  } finally {
    if (!answered) for (const key of taken.reverse()) await gate.release(key);
  }
}
