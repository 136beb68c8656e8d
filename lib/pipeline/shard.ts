/**
 * One poller invocation for several accounts (issue 12): Lambda bills an invocation's wall time,
 * not the sockets it waits on, so one invocation holds the long polls of a shard of accounts at
 * once. Each account runs its own `runPoller` — its own lease, loop, QR login and publishing — side
 * by side with the others: an account that fails, hangs on a slow server or waits for a QR never
 * delays another, and its failure is reported for it alone.
 */
import type { PollerReport } from './poller.ts';
import { runPoller } from './poller.ts';
import type { PollerDeps } from './poller-deps.ts';

export type AccountReport = PollerReport | { readonly status: 'failed'; readonly reason: string };

/** Polls every account of the shard until the invocation's time is up; a report per account. */
export async function runShard(
  accounts: readonly string[],
  depsFor: (account: string) => PollerDeps,
): Promise<ReadonlyMap<string, AccountReport>> {
  const settled = await Promise.allSettled(
    accounts.map(async (account) => {
      const deps = depsFor(account);
      try {
        return await runPoller(deps);
      } catch (err) {
        // Said for this account, at once: the others go on.
        deps.log.error('the poller failed for this account', { reason: (err as Error).message });
        throw err;
      }
    }),
  );
  return new Map(
    accounts.map((account, i) => {
      const outcome = settled[i];
      return [
        account,
        outcome?.status === 'fulfilled'
          ? outcome.value
          : {
              status: 'failed' as const,
              reason: String((outcome?.reason as Error)?.message ?? outcome?.reason),
            },
      ];
    }),
  );
}

/**
 * The shard an account belongs to, of `shards`: a stable hash of its number, so an account stays
 * in its shard as others are added or removed.
 */
export function shardOf(account: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const char of account) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % Math.max(1, shards);
}

/** The accounts of shard `shard` of `shards`, in the order given. */
export function accountsOfShard(accounts: readonly string[], shard: number, shards: number): string[] {
  return accounts.filter((account) => shardOf(account, shards) === shard);
}
