/**
 * The consumer's work for one inbound message: match the rules (with the loop and flood guards),
 * and send each reply once — each part of a reply is claimed by (event key, rule id, part) just
 * before it is sent, and the claim is its record, so a redelivered record never sends twice
 * (DESIGN.md invariant 2). A 1202 is final too: it was probably delivered, and resending floods.
 *
 * Throws `RetryLaterError` for a transient problem (session offline, network): the record is then
 * reported as a batch item failure and retried, and after a few receives it goes to the DLQ.
 */

import { askOneBot, asksOneBot, type OneBotReplies } from '../onebot/quick-reply.ts';
import type { RuleMatch } from '../rules/matcher.ts';
import { conversationKey, type IncomingMessage } from '../rules/message.ts';
import type { ConversationGuard, CooldownGate } from '../rules/reply-plan.ts';
import { planReplies, releaseCooldowns } from '../rules/reply-plan.ts';
import type { RuleCache } from '../rules/rule-cache.ts';
import type { SmartQQClient } from '../smartqq/client.ts';
import { parseFaceMarkers, splitForSending } from '../smartqq/content.ts';
import type { SendResult, SendTarget } from '../smartqq/send.ts';
import { reportReply } from './activity.ts';
import { discussionKey, groupKey } from './contacts-cache.ts';
import type {
  IdempotencyStore,
  InboundMessage,
  MemberList,
  PipelineLog,
  PipelineMetrics,
  SendPace,
  SendPacing,
  SessionRecord,
} from './ports.ts';
import type { MemberListCache, SentHere, SessionCache, SmartQQClients } from './session-clients.ts';

export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  /** When trying again can succeed (a send turn further off): the record comes back then. */
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ReplierDeps {
  /** The session record, kept per container (`SessionCache`). */
  readonly sessions: SessionCache;
  /** The member list of the message's group or discussion, kept per container. */
  readonly memberLists: MemberListCache;
  /** One SmartQQ client per account and session, kept per container. */
  readonly clients: SmartQQClients;
  /** The reply parts this container sent. */
  readonly sentHere: SentHere;
  readonly rules: RuleCache;
  readonly cooldowns: CooldownGate;
  readonly conversationGuard: ConversationGuard;
  readonly idempotency: IdempotencyStore;
  readonly pacing: SendPacing;
  readonly sendPace: SendPace;
  /**
   * The circuit breaker: at most `burst` replies at once in one conversation, then one per
   * `intervalMs`, whatever the rules say (an interval of 0 turns it off). The last line of defence
   * against a loop no other guard recognised.
   */
  readonly conversationPace: SendPace;
  /** Time the invocation has left. */
  readonly remainingMs: () => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log: PipelineLog;
  readonly metrics?: PipelineMetrics;
  /** A OneBot bot asked about each message (`lib/onebot/quick-reply.ts`); absent: the rules alone. */
  readonly onebot?: OneBotReplies;
}

/**
 * The rule a OneBot quick reply is sent as: its claims, cooldowns (none) and transcript line. Its id
 * is outside the rule-id alphabet, so no rule's claims can take the bot's.
 */
const ONEBOT_RULE = { id: '#onebot', cooldownChatSeconds: 0, cooldownSenderSeconds: 0 } as RuleMatch['rule'];

/** How long a tripped circuit breaker keeps a conversation silent. */
export const BREAKER_OPEN_MS = 5 * 60_000;

/** The circuit breaker's bucket for "at most N replies per conversation per minute" (0: off). */
export function conversationPace(repliesPerMinute: number): SendPace {
  return repliesPerMinute > 0
    ? { intervalMs: 60_000 / repliesPerMinute, burst: repliesPerMinute }
    : { intervalMs: 0, burst: 1 };
}

/** How long a reply's claim and result are kept: longer than any redelivery. */
const REPLY_RECORD_SECONDS = 24 * 3600;
/** A claim left by a consumer that died mid-send expires after this (above the consumer timeout). */
const IN_PROGRESS_SECONDS = 120;
/** Kept back from the invocation's time when waiting for a send slot. */
const SAFETY_MS = 5_000;

/** What is kept of a reply's part when it was not sent (a sent part's claim says so). */
type ReplyRecord = {
  readonly status: SendResult['status'];
  readonly retcode?: number;
};

export interface ReplyReport {
  readonly replies: number;
  readonly skipped: readonly string[];
}

/** Waits between the tries of a reply that failed for a moment (a relink, a busy part). */
export const RETRY_WAITS_MS = [500, 1_000, 2_000] as const;

/**
 * `replyTo`, tried again after a short wait when it failed for a moment (RetryLaterError: the
 * session relinking, a part another consumer holds, a send turn further off) while the invocation
 * has the time: a record that failed for a sub-second relink is then answered in seconds, not after
 * the queue's visibility timeout. Safe to repeat: a failed try gives back its claims and cooldowns.
 */
export async function replyWithRetries(message: InboundMessage, deps: ReplierDeps): Promise<ReplyReport> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await replyTo(message, deps);
    } catch (err) {
      const waitMs = RETRY_WAITS_MS[attempt];
      if (!(err instanceof RetryLaterError) || waitMs === undefined) throw err;
      // A send turn past this invocation: the record comes back when it is due.
      if (err.retryAfterMs !== undefined) throw err;
      if (deps.remainingMs() - waitMs < SAFETY_MS) throw err;
      deps.log.info('reply failed for a moment: trying again', { attempt: attempt + 1, reason: err.message });
      await sleep(waitMs);
    }
  }
}

export async function replyTo(message: InboundMessage, deps: ReplierDeps): Promise<ReplyReport> {
  const now = deps.now ?? Date.now;
  const { record, members } = await whatIsKnown(message, deps);
  if (record?.state !== 'online' || !record.session || !record.contacts) {
    deps.sessions.forget(message.account);
    throw new RetryLaterError(`session of account ${message.account} is ${record?.state ?? 'missing'}`);
  }
  const ruleSet = await deps.rules.ruleSet(message.account, now());
  const incoming: IncomingMessage = {
    account: message.account,
    chatType: message.chatType,
    chatName: message.chatName,
    senderName: message.senderName,
    senderNick: message.senderNick,
    senderUin: message.senderUin,
    text: message.text,
    botNick: record.contacts.selfNick,
    botNames: botNamesIn(record, message, members),
  };
  const ruleMatches = deps.onebot?.mode === 'onebot_only' ? [] : ruleSet.match(incoming, Math.random);
  // The bot is asked first, before anything is sent: a post that fails leaves nothing half done. Not
  // about the bot's own words: its echo may come from an unlisted "virtual" sender (docs/protocol.md
  // §4), which the poller has already looked up again — still unlisted, it is the echo.
  const ownMessage =
    message.fromBot === true ||
    record.contacts.selfUins.includes(message.senderUin) ||
    !senderListed(record, message, members);
  const guards = {
    cooldowns: deps.cooldowns,
    conversation: deps.conversationGuard,
    breakerPace: deps.conversationPace,
    breakerHoldMs: BREAKER_OPEN_MS,
    selfUins: new Set(
      message.fromBot ? [...record.contacts.selfUins, message.senderUin] : record.contacts.selfUins,
    ),
    senderListed: senderListed(record, message, members),
    messageKey: message.key,
  };
  const planFor = (matches: readonly RuleMatch[]) =>
    planReplies({ match: () => [...matches] }, incoming, guards, now());
  const ask = () => askOneBotOnce(message, record, members, deps.onebot as OneBotReplies, deps);
  const withBot = (reply: string) => ({ rule: ONEBOT_RULE, reply });
  let plan: Awaited<ReturnType<typeof planFor>>;
  if (!deps.onebot || ownMessage) {
    plan = await planFor(ruleMatches);
  } else if (deps.onebot.mode === 'rules_first' && ruleMatches.length > 0) {
    // The rules first; the bot when they matched but none may answer now (all cooling down), as
    // when none matched — the message is not left without an answer.
    plan = await planFor(ruleMatches);
    if (plan.replies.length === 0 && plan.skipped.every((skip) => skip.reason === 'cooldown')) {
      const quick = await ask();
      if (quick !== undefined) plan = await planFor([withBot(quick)]);
    }
  } else {
    const quick = asksOneBot(deps.onebot.mode, ruleMatches.length > 0) ? await ask() : undefined;
    const rules = deps.onebot.mode === 'both' ? ruleMatches : [];
    plan = await planFor(quick === undefined ? ruleMatches : [...rules, withBot(quick)]);
  }
  const skipped = plan.skipped.map((s) => ('ruleId' in s ? `${s.reason}:${s.ruleId}` : s.reason));
  const breaker = plan.skipped.find((s) => s.reason === 'circuit_breaker');
  if (breaker) reportBreaker(message, breaker.tripped, deps);
  if (plan.replies.length === 0) return { replies: 0, skipped };
  const target = targetFor(message, record);
  if (!target) {
    deps.log.warn('chat not found in the current session: reply dropped', { chat: message.chatName });
    return { replies: 0, skipped: [...skipped, 'chat_not_found'] };
  }
  const client = deps.clients.clientFor(message.account, record.session);
  let replies = 0;
  for (const reply of plan.replies) {
    try {
      if (await sendOnce(`reply|${message.key}|${reply.rule.id}`, client, target, reply, message, deps)) {
        replies++;
      }
    } catch (err) {
      // The retry must be able to answer: give back the cooldowns this reply took.
      await releaseCooldowns([reply], incoming, conversationKey(incoming), deps.cooldowns);
      throw err;
    }
  }
  return { replies, skipped };
}

/**
 * The bot is asked about a message once, whatever its retries: the post is claimed under
 * `onebot|<event key>` and its quick reply kept there, so a retried record (a relink, a send turn
 * further off, a redelivery) reuses the answer instead of posting again — a bot that answers by
 * action would otherwise send twice. A post that failed gives its claim back (the record is retried);
 * one whose consumer died during it is taken as delivered, without a quick reply.
 */
async function askOneBotOnce(
  message: InboundMessage,
  record: SessionRecord,
  members: MemberList | undefined,
  onebot: OneBotReplies,
  deps: ReplierDeps,
): Promise<string | undefined> {
  const now = deps.now ?? Date.now;
  const key = `onebot|${message.key}`;
  const claim = await deps.idempotency.claim<{ reply?: string }>(key, IN_PROGRESS_SECONDS, now());
  if (claim.status === 'done') return claim.result.reply;
  if (claim.status === 'in_progress')
    throw new RetryLaterError('the OneBot bot is being asked by another consumer');
  if (claim.status === 'lapsed') {
    deps.log.warn('the OneBot post was attempted before: taken as delivered, not posted again');
    await deps.idempotency.complete(key, {}, REPLY_RECORD_SECONDS, now());
    return undefined;
  }
  let reply: string | undefined;
  try {
    reply = await askOneBot(
      message,
      record.contacts as NonNullable<SessionRecord['contacts']>,
      members,
      onebot,
      deps.log,
    );
  } catch (err) {
    await deps.idempotency.release(key);
    throw err;
  }
  await deps.idempotency.complete(key, reply === undefined ? {} : { reply }, REPLY_RECORD_SECONDS, now());
  return reply;
}

/**
 * Sends one reply, each of its parts (a long reply is several messages, docs/protocol.md §5) at
 * most once (DESIGN.md invariant 2). Each part is claimed under `<key>|<part>` just before it is
 * sent; the claim is kept a day, and only an outcome other than "sent" is written over it (a part
 * sent is also noted in the container, `sentHere`). So a retry resumes at the first part not yet
 * attempted, and:
 * - a part claimed by a consumer still at work (its lease running): the record is retried later,
 *   never dropped;
 * - a part claimed earlier whose lease is over: it was sent, or its consumer died around the send
 *   (it may have gone out): never resent;
 * - a part refused for the session or never sent (nothing went out): its claim is given back, and
 *   the retry sends it.
 * Returns whether any part went out (or may have: 1202).
 */
async function sendOnce(
  key: string,
  client: SmartQQClient,
  target: SendTarget,
  reply: RuleMatch,
  message: InboundMessage,
  deps: ReplierDeps,
): Promise<boolean> {
  const now = deps.now ?? Date.now;
  const parts = splitForSending(parseFaceMarkers(reply.reply));
  let sentNow = 0;
  let outcome: ReplyRecord | undefined;
  for (const [index, part] of parts.entries()) {
    const partKey = `${key}|${index}`;
    if (deps.sentHere.has(partKey)) continue;
    // The send turn is waited for before the claim, so that a claim is followed by its send at
    // once: a consumer that dies while it waits leaves no claim that would read as "maybe sent".
    // A redelivery whose part turns out done has spent a turn for nothing; redeliveries are rare.
    await waitForSendTurn(message, deps);
    const claim = await deps.idempotency.claim<ReplyRecord>(
      partKey,
      IN_PROGRESS_SECONDS,
      now(),
      REPLY_RECORD_SECONDS,
    );
    if (claim.status === 'in_progress') {
      throw new RetryLaterError(`part ${index + 1} of the reply is being sent by another consumer`);
    }
    if (claim.status === 'done') {
      if (claim.result.status !== 'sent') return false;
      continue;
    }
    if (claim.status === 'lapsed') {
      // Sent by another container, or its consumer stopped around the send: kept as such.
      deps.log.info('reply part attempted before: taken as maybe sent, not resent', {
        part: index + 1,
        parts: parts.length,
      });
      await deps.idempotency.complete<ReplyRecord>(
        partKey,
        { status: 'uncertain' },
        REPLY_RECORD_SECONDS,
        now(),
      );
      continue;
    }
    let result: SendResult;
    try {
      result = await client.sendSegments(target, part);
    } catch (err) {
      await deps.idempotency.release(partKey);
      throw err;
    }
    outcome = {
      status: result.status,
      ...('retcode' in result && result.retcode !== undefined ? { retcode: result.retcode } : {}),
    };
    if (result.status === 'session_problem' || result.status === 'not_sent') {
      // Nothing of this part went out: give it back; the parts before it stay sent.
      await deps.idempotency.release(partKey);
      // The session kept in this container may be the old one (relinked since): read it again.
      if (result.status === 'session_problem') deps.sessions.forget(message.account);
      throw new RetryLaterError(
        result.status === 'not_sent'
          ? `SmartQQ could not be reached (${result.reason}): nothing sent`
          : `send answered retcode ${result.retcode}: the session needs a relink`,
      );
    }
    // Sent: the claim says so already (no second write). Anything else is final and kept.
    if (result.status !== 'sent') {
      await deps.idempotency.complete<ReplyRecord>(partKey, outcome, REPLY_RECORD_SECONDS, now());
    }
    if (result.status === 'rejected') deps.log.error('reply rejected', { reason: result.reason });
    if (result.status === 'uncertain')
      deps.log.warn('reply uncertain: not resent', { reason: result.reason });
    if (result.status !== 'sent') break;
    deps.sentHere.add(partKey);
    sentNow++;
  }
  if (outcome) {
    deps.metrics?.count(`reply_${outcome.status}`);
    reportReply({
      message,
      ruleId: reply.rule.id,
      text: reply.reply,
      status: outcome.status as SendResult['status'],
      ...(outcome.retcode !== undefined ? { retcode: outcome.retcode } : {}),
    });
  }
  return sentNow > 0 || outcome?.status === 'uncertain';
}

/**
 * A part's turn, paced per account like any message (shared with the send API): a part that must
 * wait is delayed, not dropped; one whose turn comes too late for this invocation takes none, and
 * its record comes back when the turn is due (the consumer sets its visibility).
 */
async function waitForSendTurn(message: InboundMessage, deps: ReplierDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Waited for in the invocation, however long it has: a record failed for its turn would come
  // back counting one more receive, and a conversation under steady pacing would reach the DLQ.
  const turn = await deps.pacing.take(message.account, deps.sendPace, now(), deps.remainingMs() - SAFETY_MS);
  if (!turn.ok)
    throw new RetryLaterError(`next send turn is ${turn.retryAfterMs} ms away`, turn.retryAfterMs);
  const wait = turn.atMs - now();
  if (wait > 0) await sleep(wait);
}

/**
 * The per-conversation circuit breaker (DESIGN.md invariant 5, decided with the echo guards in
 * `planReplies`): more replies in a conversation than its pace allows trips it, and the
 * conversation gets silence for BREAKER_OPEN_MS, the owner one log line and one
 * `circuit_breaker_tripped` metric per trip, not one per message.
 */
function reportBreaker(message: InboundMessage, tripped: boolean, deps: ReplierDeps): void {
  deps.metrics?.count('replies_suppressed');
  if (!tripped) return;
  deps.metrics?.count('circuit_breaker_tripped');
  deps.log.warn('circuit breaker: too many replies in this conversation; silent there for 5 minutes', {
    conversation: message.conversation,
    chat: message.chatName,
    limitPerMinute: deps.conversationPace.burst,
  });
}

/**
 * The session record and the member list of the message's chat, as this container keeps them; each
 * read again when it is older than the message and blind to its chat or sender (a new friend, a
 * group joined, a member list the poller has just refreshed).
 */
async function whatIsKnown(
  message: InboundMessage,
  deps: ReplierDeps,
): Promise<{ record: SessionRecord | undefined; members: MemberList | undefined }> {
  const now = deps.now ?? Date.now;
  let { record, readAt } = await deps.sessions.get(message.account, now());
  if (readAt < message.receivedAt && !(record && targetFor(message, record))) {
    ({ record } = await deps.sessions.get(message.account, now(), message.receivedAt));
  }
  const contacts = record?.contacts;
  // Uins belong to one login: a message of another one is not looked up.
  if (message.chatType === 'friend' || !contacts || contacts.linkedAt !== message.linkedAt) {
    return { record, members: undefined };
  }
  const key = message.chatType === 'group' ? groupKey(message.chatId) : discussionKey(message.chatId);
  let list = await deps.memberLists.get(message.account, contacts.linkedAt, key, now());
  if (list.readAt < message.receivedAt && list.members?.[String(message.senderUin)] === undefined) {
    list = await deps.memberLists.get(message.account, contacts.linkedAt, key, now(), message.receivedAt);
  }
  return { record, members: list.members };
}

/**
 * Whether the sender is in the chat's member list as last loaded (a friend always is). Uins belong
 * to one session: a message from an earlier one cannot be judged, and counts as listed.
 */
function senderListed(
  record: SessionRecord,
  message: InboundMessage,
  members: MemberList | undefined,
): boolean {
  if (message.chatType === 'friend' || record.contacts?.linkedAt !== message.linkedAt) return true;
  // No member list for this chat (not loaded yet): nobody can be told apart, so nobody is suspect.
  return members === undefined || members[String(message.senderUin)] !== undefined;
}

/** The ids in the message belong to the session it was polled in; after a relink, find the chat by name. */
function targetFor(message: InboundMessage, record: SessionRecord): SendTarget | undefined {
  const contacts = record.contacts;
  if (!contacts) return undefined;
  const sameSession = contacts.linkedAt === message.linkedAt;
  switch (message.chatType) {
    case 'friend': {
      const friend = sameSession
        ? contacts.friends.find((f) => f.uin === message.chatId)
        : contacts.friends.find((f) => (f.markname ?? f.nick) === message.chatName);
      return friend ? { kind: 'friend', uin: friend.uin } : undefined;
    }
    case 'group': {
      const group = sameSession
        ? contacts.groups.find((g) => g.gid === message.chatId)
        : contacts.groups.find((g) => g.name === message.chatName);
      return group ? { kind: 'group', gid: group.gid } : undefined;
    }
    case 'discussion': {
      const discussion = sameSession
        ? contacts.discussions.find((d) => d.did === message.chatId)
        : contacts.discussions.find((d) => d.name === message.chatName);
      return discussion ? { kind: 'discussion', did: discussion.did } : undefined;
    }
  }
}

/** The names `@` mentions of the bot use in this chat: its nick, and its card in the group. */
function botNamesIn(
  record: SessionRecord,
  message: InboundMessage,
  members: MemberList | undefined,
): string[] {
  const contacts = record.contacts;
  if (!contacts) return [];
  const names = [contacts.selfNick];
  if (message.chatType === 'group') {
    for (const uin of contacts.selfUins) {
      const card = members?.[String(uin)];
      if (card) names.push(card);
    }
  }
  return names;
}
