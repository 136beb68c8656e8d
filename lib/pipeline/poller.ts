/**
 * Where the poll loop is. One invocation of the scheduled poller for one account:
 * take the account's lease (or exit: `lease.ts`), publish what the outbox kept (`publishing.ts`),
 * log in by QR if the session needs it (`qr-login.ts`), then run poll2 cycles while the remaining
 * time allows a whole hold plus publishing — a poll is never aborted (events are taken off the
 * server's queue when it answers) — publishing every event before the next poll, and acting on
 * each outcome (relink, contacts refresh). The lease is released at the end.
 */

import { SmartQQClient } from '../smartqq/client.ts';
import type { PollEvent, PollOutcome } from '../smartqq/poll.ts';
import { Session } from '../smartqq/session.ts';
import { reportInbound } from './activity.ts';
import {
  discussionKey,
  groupKey,
  keepMembersApart,
  loadContactsCache,
  noContacts,
} from './contacts-cache.ts';
import {
  type ChatEvent,
  isChatEvent,
  isUnknownMember,
  needsFreshContacts,
  toInboundMessage,
} from './inbound-message.ts';
import { withLease } from './lease.ts';
import { LINK_RESERVE_MS, needsQr, type PollerDeps, PUBLISH_RESERVE_MS } from './poller-deps.ts';
import type { ContactsCache, MemberList, SessionRecord, SessionStore } from './ports.ts';
import { flushOutbox, publishOrKeep } from './publishing.ts';
import { advanceQrLogin } from './qr-login.ts';

/** Tries of a relink within one invocation before leaving it to the next. */
const RELINK_ATTEMPTS = 5;

export type PollerReport =
  | { readonly status: 'lease_busy' }
  | {
      readonly status: 'done';
      readonly state: SessionRecord['state'];
      readonly polls: number;
      readonly published: number;
    };

export async function runPoller(deps: PollerDeps): Promise<PollerReport> {
  const now = deps.now ?? Date.now;
  const { account, sessions } = deps;
  await sessions.ensure(account, now());
  const report = await withLease(deps, () => pollWithLease(deps));
  if (report === undefined) {
    deps.log.info('another poller holds the lease: exiting');
    return { status: 'lease_busy' };
  }
  return report;
}

async function pollWithLease(deps: PollerDeps): Promise<PollerReport> {
  const now = deps.now ?? Date.now;
  const stats = { polls: 0, published: 0 };
  stats.published += await flushOutbox(deps);
  let record = (await deps.sessions.get(deps.account)) as SessionRecord;
  // A session that ends here needs a QR: it is shown at once (the owner is waiting for it), not at
  // the next tick; the time left bounds the round trips.
  for (;;) {
    if (record.state === 'needs_qr' || record.state === 'scan_pending') {
      record = await advanceQrLogin(deps, record);
      if (record.state !== 'online') return { status: 'done', state: record.state, ...stats };
    }
    const session = record.session ? Session.fromJSON(record.session) : undefined;
    if (!session) {
      record = await deps.sessions.update(deps.account, record.version, needsQr(now(), 'no saved session'));
    } else {
      const client = new SmartQQClient({ hosts: deps.hosts, session, pollLimits: deps.pollLimits });
      try {
        record = await new PollLoop(deps, client, record, stats).run();
      } finally {
        client.close();
      }
    }
    if (record.state !== 'needs_qr' || deps.remainingMs() <= (deps.linkReserveMs ?? LINK_RESERVE_MS)) {
      return { status: 'done', state: record.state, ...stats };
    }
  }
}

/** The loop and the state it carries: the client, the latest record, counters. */
class PollLoop {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private contactsRefreshed = false;
  /** The member lists of this login read or loaded so far (the session record holds none). */
  private members: Record<string, MemberList | undefined> = {};

  constructor(
    private readonly deps: PollerDeps,
    private readonly client: SmartQQClient,
    private record: SessionRecord,
    private readonly stats: { polls: number; published: number },
  ) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run(): Promise<SessionRecord> {
    if (this.record.state === 'relinking' || !this.record.contacts) {
      if (!(await this.relink(this.record.state === 'relinking' ? 'resuming a relink' : 'no contacts yet'))) {
        return this.record;
      }
    }
    let consecutiveErrors = 0;
    while (this.record.state === 'online') {
      const budget = this.deps.remainingMs() - (this.deps.publishReserveMs ?? PUBLISH_RESERVE_MS);
      if (budget < this.client.pollNeedsMs) break;
      const outcome = await this.client.poll({ budgetMs: budget });
      this.stats.polls++;
      this.deps.metrics?.count(`poll_${outcome.kind}`);
      if (outcome.kind === 'error') {
        consecutiveErrors++;
        this.deps.log.warn('poll failed', { reason: outcome.error.message });
        // A bounded pause, then poll again; a run of failures ends the invocation (the next one retries).
        if (consecutiveErrors >= 5) break;
        await this.sleep(Math.min(1_000 * 2 ** consecutiveErrors, 10_000));
        continue;
      }
      consecutiveErrors = 0;
      if (!(await this.act(outcome))) break;
    }
    return this.record;
  }

  /** Acts on one poll outcome; false ends the loop. */
  private async act(outcome: PollOutcome): Promise<boolean> {
    switch (outcome.kind) {
      case 'events':
        return this.publish(outcome.events);
      case 'nothing_yet':
        return true;
      case 'ptwebqq_rotated':
        // Stored before the next poll, so a relink (here or in a later invocation) uses the new one.
        await this.save({ session: this.client.session.toJSON() });
        this.deps.log.info('ptwebqq rotated (116)');
        return true;
      case 'not_registered':
        try {
          await this.client.register();
          return true;
        } catch (err) {
          return this.relink(`poll2 answered 103 and get_online_buddies2 failed (${(err as Error).message})`);
        }
      case 'relink':
      case 'session_expired':
        return this.relink(`poll2 answered retcode ${outcome.retcode}`);
      case 'too_frequent':
        await this.sleep(5_000);
        return true;
      case 'rejected':
        this.deps.log.error('poll2 rejected the request', { retcode: outcome.retcode });
        return false;
      case 'not_started':
        return false;
      case 'error':
        return false;
    }
  }

  /**
   * Publishes a poll answer's messages before anything else happens (invariant 1: the server took
   * them off its queue when it answered, so until they are on ours they exist only in this
   * process); only then are unknown senders looked up and a kick acted on.
   */
  private async publish(events: readonly PollEvent[]): Promise<boolean> {
    const chats = events.filter(isChatEvent);
    const contacts = await this.contactsFor(chats);
    const all = chats.map((event) => toInboundMessage(event, this.deps.account, contacts, this.now()));
    // The bot's own messages coming back (their sender known as the bot's): nothing to answer, so
    // not queued — half the records of a busy group chat. Still shown in the transcript.
    const messages = all.filter((message) => !message.fromBot);
    for (const echo of all.filter((message) => message.fromBot)) reportInbound({ message: echo });
    if (messages.length < all.length)
      this.deps.metrics?.count('own_echoes_skipped', all.length - messages.length);
    if (messages.length > 0 && !(await publishOrKeep(this.deps, messages, this.stats))) return false;
    for (const event of events) {
      if (event.kind === 'unreadable') {
        this.deps.log.error('unreadable poll event', { pollType: event.pollType, reason: event.reason });
      }
    }
    const unknown = chats.filter((event) => needsFreshContacts(event, contacts));
    // Once per invocation, and only with time for it: a refresh is one call per group and discussion.
    if (
      unknown.length > 0 &&
      !this.contactsRefreshed &&
      this.deps.remainingMs() > (this.deps.linkReserveMs ?? LINK_RESERVE_MS)
    ) {
      this.contactsRefreshed = true;
      if (await this.refreshContacts()) await this.learnEchoSenders(unknown);
    }
    if (events.some((event) => event.kind === 'kick')) return this.relink('kicked: logged in elsewhere');
    return true;
  }

  /** True when the contacts were reloaded. */
  private async refreshContacts(): Promise<boolean> {
    const reserve = this.deps.linkReserveMs ?? LINK_RESERVE_MS;
    try {
      const contacts = await loadContactsCache(
        this.client,
        this.now(),
        () => this.deps.remainingMs() > reserve,
      );
      await this.save({ contacts: await this.keepMembers(contacts) });
      return true;
    } catch (err) {
      this.deps.log.warn('could not refresh contacts', { reason: (err as Error).message });
      return false;
    }
  }

  /**
   * A group or discussion sender still in no member list right after a fresh load is the bot: its
   * echo comes from a uin listed nowhere (docs/protocol.md §4, §7; pandolia/qqbot took "the member
   * still unknown after a refresh" for itself). Kept with the contacts for the session, so its
   * later echoes are known at once and trigger no refresh.
   */
  private async learnEchoSenders(events: readonly PollEvent[]): Promise<void> {
    const stored = this.record.contacts;
    if (!stored) return;
    const contacts = this.withMembers(stored);
    const echoes = new Set<number>();
    for (const event of events) {
      if (!isChatEvent(event) || event.kind === 'friend_message') continue;
      if (isUnknownMember(event, contacts) && !contacts.selfUins.includes(event.senderUin))
        echoes.add(event.senderUin);
    }
    if (echoes.size === 0) return;
    this.deps.log.info('a sender in no member list after a refresh: taken for the bot’s own echo', {
      uins: echoes.size,
    });
    await this.save({ contacts: { ...stored, selfUins: [...stored.selfUins, ...echoes] } });
  }

  /** Relink without a QR; if the server refuses, the owner must scan a new QR (said once, clearly). */
  /**
   * Relinks without a QR, retried with backoff while the invocation has time: a new login ends the
   * server's session and drops what it queued (invariant 1), so a relink that failed for the network
   * is tried again, here and then in the next invocation (the state stays `relinking`), and only a
   * relink the server refuses asks the owner for a new QR (said once, clearly).
   */
  private async relink(reason: string): Promise<boolean> {
    this.deps.log.warn('relinking the session', { reason });
    if (this.record.state !== 'relinking')
      await this.save({ state: 'relinking', stateSince: this.now(), reason });
    for (let attempt = 1; ; attempt++) {
      const result = await this.client.relink();
      if (result.status === 'needs_qr') {
        const why = `${reason}; relink refused by ${result.endpoint} (retcode ${result.retcode}): scan a new QR code`;
        this.deps.log.error('session needs a new QR scan', { reason: why });
        this.deps.metrics?.count('session_needs_qr');
        await this.save({ ...needsQr(this.now(), why), session: undefined, contacts: undefined });
        return false;
      }
      if (result.status === 'online') break;
      const backoffMs = Math.min(1_000 * 2 ** (attempt - 1), 8_000);
      if (
        attempt >= RELINK_ATTEMPTS ||
        this.deps.remainingMs() - backoffMs < (this.deps.linkReserveMs ?? LINK_RESERVE_MS)
      ) {
        this.deps.log.warn('relink failed: the next invocation tries again', {
          reason: result.error.message,
          attempts: attempt,
        });
        return false;
      }
      await this.sleep(backoffMs);
    }
    await this.save({
      state: 'online',
      stateSince: this.now(),
      reason: undefined,
      session: this.client.session.toJSON(),
      contacts: await this.contactsAfterLink(),
    });
    this.deps.log.info('session relinked');
    return true;
  }

  /**
   * The contacts of the new link; if they cannot be loaded now, the old ones (names still right,
   * ids fixed at the next refresh) or none: a contacts error never ends a session.
   */
  private async contactsAfterLink(): Promise<ContactsCache> {
    try {
      return await this.keepMembers(await loadContactsCache(this.client, this.now()));
    } catch (err) {
      this.deps.log.warn('contacts not loaded after the relink: kept the earlier ones', {
        reason: (err as Error).message,
      });
      return {
        ...(this.record.contacts ?? noContacts(0)),
        linkedAt: this.client.session.tokens.linkedAt,
        fetchedAt: 0,
      };
    }
  }

  /**
   * The contacts with the member lists of the chats these events come from: read from the
   * member-list store the first time a chat is seen in this invocation.
   */
  private async contactsFor(events: readonly ChatEvent[]): Promise<ContactsCache> {
    const contacts = this.record.contacts ?? noContacts(this.client.session.tokens.linkedAt);
    const keys = new Set<string>();
    for (const event of events) {
      if (event.kind === 'group_message') keys.add(groupKey(event.gid));
      if (event.kind === 'discussion_message') keys.add(discussionKey(event.did));
    }
    // One round of reads side by side: it stands between a poll answer and its publishing.
    const unread = [...keys].filter((key) => !(key in this.members));
    const lists = await Promise.all(
      unread.map((key) => this.deps.memberLists.get(this.deps.account, contacts.linkedAt, key)),
    );
    unread.forEach((key, i) => {
      this.members[key] = lists[i];
    });
    return this.withMembers(contacts);
  }

  private withMembers(contacts: ContactsCache): ContactsCache {
    const members = Object.fromEntries(
      Object.entries(this.members).filter((entry): entry is [string, MemberList] => entry[1] !== undefined),
    );
    return { ...contacts, members };
  }

  /** Saves a fresh load's member lists apart, keeps them here, and answers the rest for the record. */
  private async keepMembers(contacts: ContactsCache): Promise<ContactsCache> {
    const stored = await keepMembersApart(
      this.deps.memberLists,
      this.deps.account,
      contacts,
      this.now(),
      this.deps,
    );
    this.members = { ...contacts.members };
    return stored;
  }

  private async save(changes: Parameters<SessionStore['update']>[2]): Promise<void> {
    this.record = await this.deps.sessions.update(this.deps.account, this.record.version, changes);
  }
}
