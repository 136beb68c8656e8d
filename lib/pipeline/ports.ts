/**
 * The pipeline's ports, in the domain's words: what the poller, the consumer and the send API need
 * from storage and the queue. DynamoDB and SQS implement them in `lib/stores` and `lib/queue`;
 * unit tests may use in-memory ones.
 */

import type { PollEvent } from '../smartqq/poll.ts';
import type { SessionJson } from '../smartqq/session.ts';

// ── Session ────────────────────────────────────────────────────────────────────────────────────

/**
 * Where an account's SmartQQ session stands (DESIGN.md invariant 4):
 * needs_qr → scan_pending (a QR is shown) → online ⇄ relinking; relinking or a dead session → needs_qr.
 */
export type SessionState = 'needs_qr' | 'scan_pending' | 'online' | 'relinking';

/** Names and current ids, fetched after each login (ids change on every login). */
export interface ContactsCache {
  readonly fetchedAt: number;
  /** The session (login2 `linkedAt`) these ids belong to. */
  readonly linkedAt: number;
  readonly friends: readonly { uin: number; nick: string; markname?: string }[];
  readonly groups: readonly { gid: number; code: number; name: string }[];
  readonly discussions: readonly { did: number; name: string }[];
  /**
   * Sender names per group gid / discussion did (`groupKey`, `discussionKey`): uin → card or nick.
   * Only the lists loaded in this process: all of them right after a login, none in the session
   * item — they are kept apart (`MemberLists`), so an account of any size fits, and each reply
   * reads the one list it needs.
   */
  readonly members: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * The uins the bot sends from: its own, its member uin, and the echo's send_uin once learned
   * (docs/protocol.md §4: a sender still in no member list after a refresh is the bot's echo).
   */
  readonly selfUins: readonly number[];
  readonly selfNick: string;
}

export interface SessionRecord {
  /** The bot account's QQ number (the partition key). */
  readonly account: string;
  readonly state: SessionState;
  /** When `state` last changed (ms since epoch). */
  readonly stateSince: number;
  /** Why the session needs a QR, in words for the owner (never a secret). */
  readonly reason?: string;
  /** Incremented by every write: all state changes are conditional on it. */
  readonly version: number;
  /** The SmartQQ session (cookie jar and tokens): secret, never logged or answered. */
  readonly session?: SessionJson;
  /** While scan_pending: the QR shown and the cookie jar holding its qrsig (secret). */
  readonly qr?: {
    readonly pngBase64: string;
    readonly fetchedAt: number;
    readonly cookies: Record<string, unknown>;
    /** When a phone scanned it (the owner has still to confirm on the phone). */
    readonly scannedAt?: number;
    /** The QR before this one was scanned and confirmed with another QQ account: refused. */
    readonly refused?: { readonly scannedBy: number; readonly at: number };
  };
  readonly contacts?: ContactsCache;
}

export type SessionChanges = Partial<Omit<SessionRecord, 'account' | 'version'>>;

export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(readonly account: string) {
    super(`session of account ${account} was changed by someone else`);
  }
}

export interface SessionStore {
  get(account: string): Promise<SessionRecord | undefined>;
  /** Creates the record in state needs_qr if there is none; returns the stored record either way. */
  ensure(account: string, nowMs: number): Promise<SessionRecord>;
  /**
   * Applies `changes` if the stored version is still `expectedVersion` (attributes set to
   * `undefined` are removed); throws VersionConflictError otherwise. Returns the new record.
   */
  update(account: string, expectedVersion: number, changes: SessionChanges): Promise<SessionRecord>;
  /**
   * One poller per account: takes (or, for its owner, renews) the lease until `untilMs` if it is
   * free or expired (DESIGN.md invariant 3). `endsByMs`: when the holder will be done at the
   * latest (its invocation's end), for the pollers deciding whether to wait and take over.
   */
  acquireLease(
    account: string,
    owner: string,
    untilMs: number,
    nowMs: number,
    endsByMs?: number,
  ): Promise<boolean>;
  /** Gives the lease back if `owner` still holds it. */
  releaseLease(account: string, owner: string): Promise<void>;
  /** When the current holder will be done at the latest (ms), or undefined when nobody holds it. */
  leaseEndsBy(account: string): Promise<number | undefined>;
}

// ── Inbound events and the queue ───────────────────────────────────────────────────────────────

/** A chat message event as published to the inbound queue: ids for replying, names for rules. */
export interface InboundMessage {
  /** Stable key (account, conversation, poll_type, msg_id, time): the dedup and idempotency key. */
  readonly key: string;
  readonly account: string;
  /** FIFO group: one conversation's messages stay in order. */
  readonly conversation: string;
  readonly chatType: 'friend' | 'group' | 'discussion';
  /** The friend uin, group gid or discussion did, valid for the session `linkedAt`. */
  readonly chatId: number;
  readonly chatName: string;
  readonly senderUin: number;
  readonly senderName: string;
  readonly senderNick: string;
  readonly text: string;
  readonly msgId: number;
  /** Unix seconds from the server. */
  readonly time: number;
  /** The session the ids belong to. */
  readonly linkedAt: number;
  readonly receivedAt: number;
  /** The sender is one of the bot's own uins (its echo, or the owner typing on another device). */
  readonly fromBot?: boolean;
}

export interface PublishResult {
  /** Events that could not be published after retries (to keep in the outbox). */
  readonly failed: readonly InboundMessage[];
}

export interface InboundQueue {
  /** SendMessageBatch of up to 10, with retries; never throws for a per-entry failure. */
  publish(messages: readonly InboundMessage[]): Promise<PublishResult>;
}

/** Durable fallback: events that could not be published wait here for the next cycle (invariant 1). */
export interface Outbox {
  add(messages: readonly InboundMessage[]): Promise<void>;
  list(account: string): Promise<InboundMessage[]>;
  remove(account: string, keys: readonly string[]): Promise<void>;
}

// ── Idempotency and pacing ─────────────────────────────────────────────────────────────────────

export type IdempotencyClaim<R> =
  | { readonly status: 'new' }
  | { readonly status: 'in_progress' }
  | { readonly status: 'done'; readonly result: R }
  /**
   * A claim whose holder's time ran out before it kept an outcome: the holder stopped, or (a claim
   * kept past its lease, `keepSeconds`) finished without writing one. Either way the side effect
   * may have happened (a message may have gone out). With a claim kept no longer than its lease,
   * the key is claimed anew by this call; otherwise it stays taken.
   */
  | { readonly status: 'lapsed' };

export interface IdempotencyStore {
  /**
   * Claims `key` for `ttlSeconds` unless it is claimed or done; a done key returns its result.
   * `keepSeconds` (longer than `ttlSeconds`) keeps the claim itself that long: its holder then
   * needs no second write when all went well, and a later claim finds it `lapsed`.
   */
  claim<R>(
    key: string,
    ttlSeconds: number,
    nowMs: number,
    keepSeconds?: number,
  ): Promise<IdempotencyClaim<R>>;
  complete<R>(key: string, result: R, ttlSeconds: number, nowMs: number): Promise<void>;
  /** Gives a claim back after a transient failure, so a retry may run. */
  release(key: string): Promise<void>;
}

/**
 * How fast an account may send: `burst` sends at once, then one per `intervalMs` (a token bucket);
 * an interval of 0 turns pacing off.
 */
export interface SendPace {
  readonly intervalMs: number;
  readonly burst: number;
}

/** A send's turn: at `atMs` (now or later), or refused with when to try again. */
export type PaceGrant =
  | { readonly ok: true; readonly atMs: number }
  | { readonly ok: false; readonly retryAfterMs: number };

/** Token buckets by name: an account's send pace, a conversation's circuit breaker. */
export interface SendPacing {
  /**
   * Takes the bucket's next turn if it comes within `maxWaitMs` (0: now or never); a refused take
   * holds nothing, so the caller can come back later without having cost anyone a turn.
   */
  take(bucket: string, pace: SendPace, nowMs: number, maxWaitMs: number): Promise<PaceGrant>;
  /**
   * Refuses every turn for `holdMs` from now (a tripped circuit breaker). True only for the call
   * that started the hold: later calls during it change nothing.
   */
  holdOff(bucket: string, pace: SendPace, nowMs: number, holdMs: number): Promise<boolean>;
}

export type { PollEvent };

/** Where the pipeline writes its log lines (Powertools in the functions). */
export interface PipelineLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface PipelineMetrics {
  count(name: string, value?: number): void;
}

/** One chat's member list: uin → card or nick. */
export type MemberList = Readonly<Record<string, string>>;

/**
 * The member lists of a login, one item per group or discussion, apart from the session item
 * (a group had up to 2,000 members: all of them would not fit in one DynamoDB item).
 */
export interface MemberLists {
  /** One chat's list of the login `linkedAt`, or undefined when none was saved. */
  get(account: string, linkedAt: number, chatKey: string): Promise<MemberList | undefined>;
  /**
   * Saves every list of the login `linkedAt` (before the session record names that login); answers
   * the chats whose list was too large for one item and was cut (its later members named by uin).
   */
  save(
    account: string,
    linkedAt: number,
    lists: Readonly<Record<string, MemberList>>,
    nowMs: number,
  ): Promise<{ readonly cut: readonly string[] }>;
}
