/**
 * Where the poll loop is. One invocation of the scheduled poller:
 * take the account's lease (or exit), publish what the outbox kept, log in by QR if the session
 * needs it, then run poll2 cycles while the remaining time allows a whole hold plus publishing —
 * a poll is never aborted (events are taken off the server's queue when it answers) — publishing
 * every event before the next poll, and acting on each outcome. The lease is released at the end.
 */

import { SmartQQClient } from '../smartqq/client.ts';
import type { SmartQQHosts } from '../smartqq/endpoints.ts';
import { type PollEvent, type PollLimits, type PollOutcome, pollNeedsMs } from '../smartqq/poll.ts';
import { Session } from '../smartqq/session.ts';
import { reportInbound } from './activity.ts';
import { loadContactsCache, noContacts, reportOmittedMembers } from './contacts-cache.ts';
import { isChatEvent, isUnknownMember, needsFreshContacts, toInboundMessage } from './inbound-message.ts';
import type {
  ContactsCache,
  InboundMessage,
  InboundQueue,
  Outbox,
  SessionRecord,
  SessionStore,
} from './ports.ts';
import { advanceQrLogin } from './qr-login.ts';

export interface PipelineLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface PipelineMetrics {
  count(name: string, value?: number): void;
}

export interface PollerDeps {
  readonly account: string;
  readonly sessions: SessionStore;
  readonly queue: InboundQueue;
  readonly outbox: Outbox;
  readonly hosts: SmartQQHosts;
  readonly pollLimits: PollLimits;
  /** Time the invocation has left (Lambda's getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
  /** Who holds the lease: the invocation's request id. */
  readonly owner: string;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log: PipelineLog;
  readonly metrics?: PipelineMetrics;
  /** Time kept back from every poll for publishing and saving (default PUBLISH_RESERVE_MS). */
  readonly publishReserveMs?: number;
  /**
   * Time kept back from a QR wait for linking and saving, and the least time left to start a
   * contacts refresh or wait to retry a relink (default LINK_RESERVE_MS).
   */
  readonly linkReserveMs?: number;
  /**
   * How often the schedule starts a poller. With it, an invocation that finds the lease held by
   * one that ends soon waits and takes over, instead of leaving the account unpolled until the
   * next tick. Without it, an invocation that finds the lease held exits at once.
   */
  readonly scheduleRateMs?: number;
  /** How long the lease lives unless renewed (default LEASE_MS). */
  readonly leaseMs?: number;
}

/**
 * How often a waiting invocation tries the lease again. Messages that arrive between the holder's
 * last poll and the take-over wait on the server for this long at most: a few reads a second are
 * worth it.
 */
const TAKE_OVER_EVERY_MS = 250;

/** How long a lease lives unless renewed (every third of it, while the invocation runs). */
export const LEASE_MS = 30_000;

/** Kept back from every budget: publishing a response's events and saving state after a poll. */
export const PUBLISH_RESERVE_MS = 10_000;
/** Kept back from a QR wait: check_sig, login2, the contact lists and saving them. */
export const LINK_RESERVE_MS = 15_000;
/** Tries of an outbox write after a failed publish. */
const OUTBOX_ATTEMPTS = 3;
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
  if (!(await takeLease(deps))) {
    deps.log.info('another poller holds the lease: exiting');
    return { status: 'lease_busy' };
  }
  // Short and renewed while the invocation runs: a poller that dies blocks the account's polling
  // for one lease (seconds), not for the rest of its invocation's time (up to 15 minutes).
  const leaseMs = deps.leaseMs ?? LEASE_MS;
  const renewal = setInterval(() => {
    void leaseFor(deps, leaseMs).then(
      (held) => {
        if (!held) deps.log.error('the lease was lost to another poller');
      },
      (err: Error) => deps.log.warn('could not renew the lease', { reason: err.message }),
    );
  }, leaseMs / 3);
  try {
    return await pollWithLease(deps);
  } finally {
    clearInterval(renewal);
    await sessions.releaseLease(account, deps.owner);
  }
}

/** Takes or renews the lease for `leaseMs`, saying the holder is done by the invocation's end. */
function leaseFor(deps: PollerDeps, leaseMs: number): Promise<boolean> {
  const now = (deps.now ?? Date.now)();
  const remaining = Math.max(0, deps.remainingMs());
  return deps.sessions.acquireLease(
    deps.account,
    deps.owner,
    now + Math.min(leaseMs, remaining),
    now,
    now + remaining,
  );
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
    const contacts = this.record.contacts ?? noContacts(this.client.session.tokens.linkedAt);
    const chats = events.filter(isChatEvent);
    const all = chats.map((event) => toInboundMessage(event, this.deps.account, contacts, this.now()));
    // The bot's own messages coming back (their sender known as the bot's): nothing to answer, so
    // not queued — half the records of a busy group chat. Still shown in the transcript.
    const messages = all.filter((message) => !message.fromBot);
    for (const echo of all.filter((message) => message.fromBot)) reportInbound({ message: echo });
    if (messages.length < all.length)
      this.deps.metrics?.count('own_echoes_skipped', all.length - messages.length);
    if (messages.length > 0 && !(await this.publishMessages(messages))) return false;
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

  /**
   * Publishes, keeping what SQS would not take in the outbox (invariant 1: nothing lost). False when
   * even the outbox failed: every event key is logged and counted, and the loop stops rather than
   * take more messages off the server that it could not keep either.
   */
  private async publishMessages(messages: InboundMessage[]): Promise<boolean> {
    const { failed } = await this.deps.queue.publish(messages);
    for (const message of messages) reportInbound({ message });
    this.stats.published += messages.length - failed.length;
    this.deps.metrics?.count('events_published', messages.length - failed.length);
    if (failed.length === 0) return true;
    this.deps.log.warn('events kept in the outbox for the next cycle', { count: failed.length });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.outbox.add(failed);
        return true;
      } catch (err) {
        if (attempt < OUTBOX_ATTEMPTS) {
          await this.sleep(200 * 2 ** attempt);
          continue;
        }
        this.deps.metrics?.count('events_unsaved', failed.length);
        this.deps.log.error('events neither published nor kept: lost unless the queue took them after all', {
          keys: failed.map((m) => m.key),
          conversations: failed.map((m) => m.conversation),
          reason: (err as Error).message,
        });
        return false;
      }
    }
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
      reportOmittedMembers(contacts, this.deps.log, this.deps.metrics);
      await this.save({ contacts });
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
    const contacts = this.record.contacts;
    if (!contacts) return;
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
    await this.save({ contacts: { ...contacts, selfUins: [...contacts.selfUins, ...echoes] } });
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
      const contacts = await loadContactsCache(this.client, this.now());
      reportOmittedMembers(contacts, this.deps.log, this.deps.metrics);
      return contacts;
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

  private async save(changes: Parameters<SessionStore['update']>[2]): Promise<void> {
    this.record = await this.deps.sessions.update(this.deps.account, this.record.version, changes);
  }
}

/**
 * One poller per account (invariant 3). When the holder's lease ends before the next tick would
 * find the account free — it stops polling a whole hold before its own deadline — wait for it and
 * take over, so polling goes on without a gap. Only the invocations started near the holder's end
 * wait; the others, and any that see a new holder appear, exit at once.
 */
async function takeLease(deps: PollerDeps): Promise<boolean> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const tryIt = () => leaseFor(deps, deps.leaseMs ?? LEASE_MS);
  if (await tryIt()) return true;
  if (deps.scheduleRateMs === undefined) return false;
  const enough = pollNeedsMs(deps.pollLimits) + (deps.publishReserveMs ?? PUBLISH_RESERVE_MS);
  // The holder stops about `enough` before its lease ends; a tick arrives at most a period later.
  const waitWithin = deps.scheduleRateMs + enough;
  while (deps.remainingMs() - TAKE_OVER_EVERY_MS > enough) {
    const endsBy = await deps.sessions.leaseEndsBy(deps.account);
    if (endsBy !== undefined && endsBy - now() > waitWithin) return false;
    await sleep(TAKE_OVER_EVERY_MS);
    if (await tryIt()) {
      deps.log.info('took over the lease from the previous poller');
      return true;
    }
  }
  return false;
}

async function flushOutbox(deps: PollerDeps): Promise<number> {
  const waiting = await deps.outbox.list(deps.account);
  if (waiting.length === 0) return 0;
  const { failed } = await deps.queue.publish(waiting);
  const failedKeys = new Set(failed.map((m) => m.key));
  const published = waiting.filter((m) => !failedKeys.has(m.key));
  await deps.outbox.remove(
    deps.account,
    published.map((m) => m.key),
  );
  deps.log.info('published events kept from an earlier cycle', {
    count: published.length,
    left: failed.length,
  });
  return published.length;
}

export function needsQr(nowMs: number, reason: string) {
  return { state: 'needs_qr' as const, stateSince: nowMs, reason };
}
