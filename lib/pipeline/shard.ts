/**
 * One poller invocation for several accounts (issue 12): Lambda bills an invocation's wall time,
 * not the sockets it waits on, so one invocation holds the long polls of a shard of accounts at
 * once. Each account runs its own `runPoller` — its own lease, loop, QR login and publishing — side
 * by side with the others: an account that fails, hangs on a slow server or waits for a QR never
 * delays another, and its failure is reported for it alone.
 */
import { activeAccounts, type Registry } from './accounts.ts';
import type { PollerReport } from './poller.ts';
import { runPoller } from './poller.ts';
import type { PollerDeps } from './poller-deps.ts';
import type { PipelineLog } from './ports.ts';

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

/** Which shard an invocation polls: the schedule's input (one EventBridge rule per shard). */
export interface ShardEvent {
  readonly shard: number;
  readonly shards: number;
}

/** At most this many shards: a hundred shards of a hundred accounts is far more than a deployment. */
export const MAX_SHARDS = 100;

/**
 * The accounts one invocation should hold, measured (`npm run measure:poller-memory -- --accounts N`:
 * 128.5 MB for 100 at 20 messages a second): more are still polled, and said in the log.
 */
export const ACCOUNTS_PER_SHARD = 100;

/** How often a running shard reads the registry again, to let a paused or removed account go. */
export const REGISTRY_RECHECK_MS = 30_000;

export class ShardEventError extends Error {
  override readonly name = 'ShardEventError';
}

/**
 * The shard of a scheduled event: `{ shard, shards }` as the stack's rules pass it; an event without
 * either (a plain scheduled event, a test's `{}`) is the only shard of one. Anything else is refused
 * with what is wrong, before any account is polled.
 */
export function parseShardEvent(event: unknown): ShardEvent {
  const given = (event ?? {}) as { shard?: unknown; shards?: unknown };
  if (given.shard === undefined && given.shards === undefined) return { shard: 0, shards: 1 };
  const { shard, shards } = given;
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new ShardEventError(
      `shards: expected a whole number from 1 to ${MAX_SHARDS}, got ${JSON.stringify(shards)}`,
    );
  }
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new ShardEventError(
      `shard: expected a whole number from 0 to ${shards - 1}, got ${JSON.stringify(shard)}`,
    );
  }
  return { shard, shards };
}

export interface PollShardOptions {
  /** The accounts the deployment is configured with (ACCOUNTS). */
  readonly configured: readonly string[];
  /** The account registry (lib/stores/account-registry.ts). */
  readonly registry: { read(): Promise<Registry> };
  readonly shard: ShardEvent;
  /** One account's poller, with the time it has left (0 once the account is paused or removed). */
  readonly depsFor: (account: string, remainingMs: () => number) => PollerDeps;
  /** The invocation's time left. */
  readonly remainingMs: () => number;
  readonly log: PipelineLog;
  readonly recheckMs?: number;
}

/**
 * One scheduled invocation: the registry read once, the active accounts of this shard polled side by
 * side (`runShard`), and the registry read again every `recheckMs` meanwhile so that an account paused
 * or removed stops being polled within a poll cycle (its time left reads 0: the poll under way ends,
 * what it brought is published, and the lease is given back). An account added meanwhile waits for the
 * next tick, which finds its lease free.
 */
export async function pollShard(options: PollShardOptions): Promise<ReadonlyMap<string, AccountReport>> {
  const { shard, shards } = options.shard;
  const inShard = (registry: Registry) =>
    accountsOfShard(activeAccounts(options.configured, registry), shard, shards);
  const accounts = inShard(await options.registry.read());
  if (accounts.length > ACCOUNTS_PER_SHARD) {
    options.log.warn('this shard holds more accounts than one invocation was measured for', {
      accounts: accounts.length,
      measuredFor: ACCOUNTS_PER_SHARD,
      shard,
      shards,
    });
  }
  const letGo = new Set<string>();
  const recheck = setInterval(() => {
    options.registry.read().then(
      (registry) => {
        const still = new Set(inShard(registry));
        for (const account of accounts) {
          if (still.has(account) || letGo.has(account)) continue;
          letGo.add(account);
          options.log.info('the account is paused or removed: its polling stops after this cycle', {
            pausedAccount: account,
          });
        }
      },
      (err: unknown) =>
        options.log.warn('the account registry could not be read again: polling on as before', {
          reason: (err as Error).message,
        }),
    );
  }, options.recheckMs ?? REGISTRY_RECHECK_MS);
  try {
    return await runShard(accounts, (account) =>
      options.depsFor(account, () => (letGo.has(account) ? 0 : options.remainingMs())),
    );
  } finally {
    clearInterval(recheck);
  }
}
