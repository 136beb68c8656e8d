/**
 * The long poll (docs/protocol.md §4): a poll is held until there are events or the hold ends; only
 * the most recent poller of a session gets events; events are taken off the queue when the answer
 * is written, and a client that has gone by then loses them (counted, not requeued: the real quirk).
 * Knows nothing of HTTP: a PollWaiter is whatever can be answered.
 */
import type { Counters } from './counters.ts';
import type { QueuedEvent } from './events.ts';
import type { Session, SessionEnd } from './logins.ts';
import type { Timers } from './timers.ts';

export type PollAnswer =
  | { readonly kind: 'events'; readonly events: readonly QueuedEvent[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'ended'; readonly reason: SessionEnd };

export interface PollWaiter {
  /** The client's connection is known to be gone. */
  isGone(): boolean;
  /** Writes the answer; `written(false)` when the write did not complete. */
  answer(answer: PollAnswer, written: (ok: boolean) => void): void;
}

/** At most this many events in one poll answer. */
export const MAX_EVENTS_PER_POLL = 20;
/** Events injected within this window reach a held poll together, as several events in one answer. */
export const COALESCE_MS = 15;

interface HeldPoll {
  readonly waiter: PollWaiter;
  readonly timer: NodeJS.Timeout;
}

export interface PollHubDeps {
  readonly counters: Counters;
  readonly timers: Timers;
  readonly holdMs: () => number;
  /** The session's login has outlived its TTL (checked when a hold ends). */
  readonly isExpired: (session: Session) => boolean;
  readonly log: (line: string) => void;
}

export class PollHub {
  private readonly held = new Map<Session, HeldPoll>();
  private readonly flushes = new Map<Session, NodeJS.Timeout>();
  private readonly delivered = new Set<string>();

  constructor(private readonly deps: PollHubDeps) {}

  /** A registered, live session's poll: answered now if there is something, else held. */
  poll(session: Session, waiter: PollWaiter, redeliver: boolean): void {
    const older = this.takeHeld(session);
    if (older) this.answerEmpty(session, older.waiter, 'displaced by a newer poll');
    const extra = redeliver && session.lastDelivered ? [session.lastDelivered] : [];
    if (session.queue.length > 0 || extra.length > 0) {
      this.deliver(session, waiter, extra);
      return;
    }
    const timer = this.deps.timers.after(this.deps.holdMs(), () => {
      if (this.held.get(session)?.waiter !== waiter) return;
      this.held.delete(session);
      if (this.deps.isExpired(session)) this.end(session, 'expired', waiter);
      else this.answerEmpty(session, waiter, 'hold ended');
    });
    this.held.set(session, { waiter, timer });
  }

  enqueue(session: Session, event: QueuedEvent): void {
    session.queue.push(event);
    this.deps.counters.add('eventsInjected');
    if (!this.held.has(session) || this.flushes.has(session)) return;
    const flush = this.deps.timers.after(COALESCE_MS, () => {
      this.flushes.delete(session);
      // A poll that came meanwhile may have taken the events already.
      if (session.queue.length === 0) return;
      const held = this.takeHeld(session);
      if (held) this.deliver(session, held.waiter, []);
    });
    this.flushes.set(session, flush);
  }

  /** Ends a session: its queue is dropped and a held poll (or `waiter`) is answered with the ending. */
  end(session: Session, reason: SessionEnd, waiter?: PollWaiter): void {
    if (session.ended) return;
    session.ended = reason;
    this.deps.counters.add('eventsDropped', session.queue.length);
    session.queue.length = 0;
    this.deps.timers.cancel(this.flushes.get(session));
    this.flushes.delete(session);
    const target = waiter ?? this.takeHeld(session)?.waiter;
    target?.answer({ kind: 'ended', reason }, () => {});
  }

  /** Answers every held poll as an ended hold (nothing yet), as the server did before a restart. */
  releaseAll(why: string): void {
    for (const session of [...this.held.keys()]) {
      const held = this.takeHeld(session);
      if (held) this.answerEmpty(session, held.waiter, why);
    }
  }

  isPolling(session: Session): boolean {
    return this.held.has(session);
  }

  private takeHeld(session: Session): HeldPoll | undefined {
    const held = this.held.get(session);
    if (!held) return undefined;
    this.held.delete(session);
    this.deps.timers.cancel(held.timer);
    return held;
  }

  private answerEmpty(session: Session, waiter: PollWaiter, why: string): void {
    this.deps.counters.add('pollsEmpty');
    this.deps.log(`poll: ${session.login.account.qq} empty (${why})`);
    waiter.answer({ kind: 'empty' }, () => {});
  }

  private deliver(session: Session, waiter: PollWaiter, extra: QueuedEvent[]): void {
    const taken = session.queue.splice(0, MAX_EVENTS_PER_POLL - extra.length);
    const qq = session.login.account.qq;
    if (waiter.isGone()) {
      this.lose(qq, taken);
    } else {
      const events = [...extra, ...taken];
      waiter.answer({ kind: 'events', events }, (ok) => {
        if (ok) this.recordDelivered(session, events);
        else this.lose(qq, taken);
      });
    }
    if (taken.some((e) => e.endsSession)) this.end(session, 'kicked');
  }

  private lose(qq: number, events: readonly QueuedEvent[]): void {
    if (events.length === 0) return;
    this.deps.counters.add('eventsLost', events.length);
    this.deps.log(`poll: ${qq} LOST ${events.length} event(s): the client had gone`);
  }

  private recordDelivered(session: Session, events: readonly QueuedEvent[]): void {
    for (const e of events) {
      if (this.delivered.has(e.key)) {
        this.deps.counters.add('duplicatesDelivered');
      } else {
        this.delivered.add(e.key);
        this.deps.counters.add('eventsDelivered');
      }
      session.lastDelivered = e;
    }
    const kinds = events.map((e) => e.pollType).join(', ');
    this.deps.log(`poll: ${session.login.account.qq} delivered ${events.length} event(s) (${kinds})`);
  }
}
