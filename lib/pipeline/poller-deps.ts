/**
 * What one account's poller works with (its ports, its time, its reserves), shared by the poll
 * loop (`poller.ts`), the lease (`lease.ts`), publishing (`publishing.ts`) and QR login
 * (`qr-login.ts`).
 */
import type { SmartQQHosts } from '../smartqq/endpoints.ts';
import type { PollLimits } from '../smartqq/poll.ts';
import type {
  InboundQueue,
  MemberLists,
  Outbox,
  PipelineLog,
  PipelineMetrics,
  SessionStore,
} from './ports.ts';

export interface PollerDeps {
  readonly account: string;
  readonly sessions: SessionStore;
  readonly queue: InboundQueue;
  readonly outbox: Outbox;
  /** Each login's group and discussion member lists, apart from the session item. */
  readonly memberLists: MemberLists;
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

/** How long a lease lives unless renewed (every third of it, while the invocation runs). */
export const LEASE_MS = 30_000;

/** Kept back from every budget: publishing a response's events and saving state after a poll. */
export const PUBLISH_RESERVE_MS = 10_000;
/** Kept back from a QR wait: check_sig, login2, the contact lists and saving them. */
export const LINK_RESERVE_MS = 15_000;

/** The changes that send a session back to the QR login, with the reason for the owner. */
export function needsQr(nowMs: number, reason: string) {
  return { state: 'needs_qr' as const, stateSince: nowMs, reason };
}
