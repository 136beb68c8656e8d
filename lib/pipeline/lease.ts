/**
 * One poller per account (DESIGN.md invariant 3): the lease in the session item, taken (or waited
 * for and taken over from a poller about to end), renewed while the invocation runs, released at
 * its end.
 */
import { pollNeedsMs } from '../smartqq/poll.ts';
import { LEASE_MS, type PollerDeps, PUBLISH_RESERVE_MS } from './poller-deps.ts';

/**
 * How often a waiting invocation tries the lease again. Messages that arrive between the holder's
 * last poll and the take-over wait on the server for this long at most: a few reads a second are
 * worth it.
 */
const TAKE_OVER_EVERY_MS = 250;

/**
 * Runs `work` holding the account's lease, or answers `undefined` at once when another poller
 * holds it (after waiting to take over when that one ends before the next tick).
 */
export async function withLease<T>(deps: PollerDeps, work: () => Promise<T>): Promise<T | undefined> {
  if (!(await takeLease(deps))) return undefined;
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
    return await work();
  } finally {
    clearInterval(renewal);
    await deps.sessions.releaseLease(deps.account, deps.owner);
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
