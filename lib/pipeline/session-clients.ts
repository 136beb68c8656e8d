/**
 * What a consumer container keeps between messages and batches (issue 11: no session read and no
 * new TCP connection per reply):
 * - `SessionCache`: the account's session record, read at most once per `maxAgeMs` (concurrent
 *   readers share one read), forgotten when a send says the session is no longer good, and read
 *   again when it is older than the message it must answer and does not know its chat or sender;
 * - `MemberListCache`: the member list of each chat a reply was asked in, kept like the session
 *   record (read again when older than the message and blind to its sender);
 * - `SmartQQClients`: one SmartQQ client (keep-alive connections, cookie jar) per account, kept as
 *   long as the stored session is the same, replaced when it changes (relink, new login, 116).
 *
 * msg_id needs no shared counter: any number that grows within a session is accepted
 * (docs/protocol.md §5), so each client counts with the web client's own formula from a random
 * start, and two containers sending in the same second do not pick the same number.
 */
import { randomInt } from 'node:crypto';
import { SmartQQClient } from '../smartqq/client.ts';
import type { SmartQQHosts } from '../smartqq/endpoints.ts';
import { Session, type SessionJson } from '../smartqq/session.ts';
import type { MemberList, MemberLists, SessionRecord, SessionStore } from './ports.ts';

/** How long a container trusts the session record it read. */
export const SESSION_CACHE_MS = 10_000;

/**
 * Reads kept per key for `maxAgeMs` (concurrent readers of one key share one read, and get the same
 * entry), read again when older than that or than `readAfterMs`; at most `capacity` keys, the least
 * recently read dropped first.
 */
class KeptReads<E extends { readonly readAt: number }> {
  readonly #entries = new Map<string, E>();
  readonly #reading = new Map<string, Promise<E>>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  /** The entry kept, or a new one `read` makes (stamped `nowMs`). */
  get(
    key: string,
    read: () => Promise<E>,
    nowMs: number,
    readAfterMs = Number.NEGATIVE_INFINITY,
  ): Promise<E> {
    const kept = this.#entries.get(key);
    if (kept && nowMs - kept.readAt < this.maxAgeMs && kept.readAt > readAfterMs)
      return Promise.resolve(kept);
    const pending = this.#reading.get(key);
    if (pending) return pending;
    const reading = read()
      .then((entry) => {
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        if (this.#entries.size > this.capacity)
          this.#entries.delete(this.#entries.keys().next().value as string);
        return entry;
      })
      .finally(() => this.#reading.delete(key));
    this.#reading.set(key, reading);
    return reading;
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}

export interface CachedSession {
  readonly record: SessionRecord | undefined;
  /** When it was read (ms). */
  readonly readAt: number;
}

export class SessionCache {
  readonly #store: Pick<SessionStore, 'get'>;
  readonly #kept: KeptReads<CachedSession>;

  constructor(store: Pick<SessionStore, 'get'>, maxAgeMs = SESSION_CACHE_MS) {
    this.#store = store;
    this.#kept = new KeptReads(maxAgeMs);
  }

  /** The record, read again when the one kept is older than `maxAgeMs` or than `readAfterMs`. */
  get(account: string, nowMs: number, readAfterMs = Number.NEGATIVE_INFINITY): Promise<CachedSession> {
    const read = async () => ({ record: await this.#store.get(account), readAt: nowMs });
    return this.#kept.get(account, read, nowMs, readAfterMs);
  }

  /** The next `get` reads the store. */
  forget(account: string): void {
    this.#kept.forget(account);
  }
}

export interface CachedMemberList {
  readonly members: MemberList | undefined;
  readonly readAt: number;
}

/** One chat's member list per login, read at most once per `maxAgeMs` (a list is a login's). */
export class MemberListCache {
  readonly #store: Pick<MemberLists, 'get'>;
  readonly #kept: KeptReads<CachedMemberList>;

  constructor(store: Pick<MemberLists, 'get'>, maxAgeMs = SESSION_CACHE_MS, capacity = 1_000) {
    this.#store = store;
    this.#kept = new KeptReads(maxAgeMs, capacity);
  }

  get(
    account: string,
    linkedAt: number,
    chatKey: string,
    nowMs: number,
    readAfterMs = Number.NEGATIVE_INFINITY,
  ): Promise<CachedMemberList> {
    const read = async () => ({ members: await this.#store.get(account, linkedAt, chatKey), readAt: nowMs });
    return this.#kept.get(`${account}|${linkedAt}|${chatKey}`, read, nowMs, readAfterMs);
  }
}

export class SmartQQClients {
  readonly #hosts: SmartQQHosts;
  readonly #clients = new Map<string, { client: SmartQQClient; stored: SessionJson; key: string }>();

  constructor(hosts: SmartQQHosts) {
    this.#hosts = hosts;
  }

  /** The account's client for this stored session: the same one while the session is unchanged. */
  clientFor(account: string, session: SessionJson): SmartQQClient {
    const kept = this.#clients.get(account);
    // The session cache hands the same object back while it keeps a record: no comparison needed.
    if (kept?.stored === session) return kept.client;
    const key = JSON.stringify(session);
    if (kept?.key === key) {
      this.#clients.set(account, { ...kept, stored: session });
      return kept.client;
    }
    kept?.client.close();
    const restored = Session.fromJSON(session);
    // The web client's seq, from a random start: containers sending in one second differ.
    restored.msgIdSeq = randomInt(10_000);
    const client = new SmartQQClient({ hosts: this.#hosts, session: restored });
    this.#clients.set(account, { client, stored: session, key });
    return client;
  }

  close(): void {
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

/**
 * The reply parts this container sent, most recent `capacity` kept: a retry in the same container
 * (a later part failed for a relink) resumes after them without waiting for their claims' lease.
 */
export class SentHere {
  readonly #keys = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  add(key: string): void {
    this.#keys.add(key);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }
}
