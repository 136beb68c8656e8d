/**
 * In-memory implementations of the pipeline ports (lib/pipeline/ports.ts), with the same contracts
 * as the DynamoDB ones: versioned session writes, TTL'd idempotency claims, per-account pacing.
 * Each also counts its calls, so a test can prove that a refused request wrote nothing.
 */

import { EMPTY_IDS, type IdKind, type IdTable, withIds } from '../../lib/onebot/ids.ts';
import {
  type AccountAction,
  type AccountOneBot,
  changeRegistry,
  type Registry,
  setAccountOneBot,
} from '../../lib/pipeline/accounts.ts';
import type {
  IdempotencyClaim,
  IdempotencyStore,
  PaceGrant,
  SendPace,
  SendPacing,
  SessionChanges,
  SessionRecord,
  SessionStore,
} from '../../lib/pipeline/ports.ts';
import { VersionConflictError } from '../../lib/pipeline/ports.ts';

export class MemorySessionStore implements SessionStore {
  readonly records = new Map<string, SessionRecord>();
  readonly leases = new Map<string, { owner: string; untilMs: number; endsByMs: number }>();

  /** Puts a whole record, as a test's starting state. */
  put(record: SessionRecord): void {
    this.records.set(record.account, record);
  }

  async get(account: string): Promise<SessionRecord | undefined> {
    return this.records.get(account);
  }

  async ensure(account: string, nowMs: number): Promise<SessionRecord> {
    const existing = this.records.get(account);
    if (existing) return existing;
    const created: SessionRecord = { account, state: 'needs_qr', stateSince: nowMs, version: 1 };
    this.records.set(account, created);
    return created;
  }

  async update(account: string, expectedVersion: number, changes: SessionChanges): Promise<SessionRecord> {
    const current = this.records.get(account);
    if (!current || current.version !== expectedVersion) throw new VersionConflictError(account);
    const next: Record<string, unknown> = { ...current, ...changes, version: current.version + 1 };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete next[k];
    const updated = next as unknown as SessionRecord;
    this.records.set(account, updated);
    return updated;
  }

  async acquireLease(
    account: string,
    owner: string,
    untilMs: number,
    nowMs: number,
    endsByMs = untilMs,
  ): Promise<boolean> {
    const lease = this.leases.get(account);
    if (lease && lease.owner !== owner && lease.untilMs >= nowMs) return false;
    this.leases.set(account, { owner, untilMs, endsByMs });
    return true;
  }

  async leaseEndsBy(account: string): Promise<number | undefined> {
    return this.leases.get(account)?.endsByMs;
  }

  async releaseLease(account: string, owner: string): Promise<void> {
    if (this.leases.get(account)?.owner === owner) this.leases.delete(account);
  }
}

type Entry =
  | { readonly status: 'in_progress'; readonly leaseUntilMs?: number; readonly expiresAtMs: number }
  | { readonly status: 'done'; readonly result: unknown; readonly expiresAtMs: number };

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly entries = new Map<string, Entry>();
  readonly calls = { claim: 0, complete: 0, release: 0 };

  async claim<R>(
    key: string,
    ttlSeconds: number,
    nowMs: number,
    keepSeconds = ttlSeconds,
  ): Promise<IdempotencyClaim<R>> {
    this.calls.claim++;
    const entry = this.entries.get(key);
    if (entry && entry.expiresAtMs > nowMs) {
      // A copy, as a database would hand back: the caller cannot change what is stored.
      if (entry.status === 'done') return { status: 'done', result: structuredClone(entry.result) as R };
      return (entry.leaseUntilMs ?? entry.expiresAtMs) <= nowMs
        ? { status: 'lapsed' }
        : { status: 'in_progress' };
    }
    this.entries.set(key, {
      status: 'in_progress',
      leaseUntilMs: nowMs + ttlSeconds * 1000,
      expiresAtMs: nowMs + Math.max(ttlSeconds, keepSeconds) * 1000,
    });
    // As DynamoDB's conditional put: replacing a claim that ran out before its outcome was kept.
    return entry?.status === 'in_progress' ? { status: 'lapsed' } : { status: 'new' };
  }

  async complete<R>(key: string, result: R, ttlSeconds: number, nowMs: number): Promise<void> {
    this.calls.complete++;
    this.entries.set(key, {
      status: 'done',
      result: structuredClone(result),
      expiresAtMs: nowMs + ttlSeconds * 1000,
    });
  }

  async release(key: string): Promise<void> {
    this.calls.release++;
    if (this.entries.get(key)?.status === 'in_progress') this.entries.delete(key);
  }
}

export class MemorySendPacing implements SendPacing {
  /** The token bucket's theoretical arrival time per account (ms since epoch), as the DynamoDB store keeps it. */
  readonly tat = new Map<string, number>();
  calls = 0;

  async take(account: string, pace: SendPace, nowMs: number, maxWaitMs: number): Promise<PaceGrant> {
    this.calls++;
    if (pace.intervalMs <= 0) return { ok: true, atMs: nowMs };
    const tolerance = (Math.max(1, pace.burst) - 1) * pace.intervalMs;
    const tat = this.tat.get(account) ?? nowMs;
    const at = Math.max(nowMs, tat - tolerance);
    if (at - nowMs > maxWaitMs) return { ok: false, retryAfterMs: at - nowMs };
    this.tat.set(account, Math.max(tat, nowMs) + pace.intervalMs);
    return { ok: true, atMs: at };
  }

  async holdOff(bucket: string, pace: SendPace, nowMs: number, holdMs: number): Promise<boolean> {
    this.calls++;
    const tolerance = (Math.max(1, pace.burst) - 1) * pace.intervalMs;
    if ((this.tat.get(bucket) ?? nowMs) > nowMs + tolerance + pace.intervalMs) return false;
    this.tat.set(bucket, nowMs + tolerance + holdMs);
    return true;
  }
}

/** The account registry in memory, with the rules of `lib/pipeline/accounts.ts`. */
export class MemoryAccountRegistry {
  registry: Registry = {};
  async read(): Promise<Registry> {
    return this.registry;
  }
  async change(
    configured: readonly string[],
    action: AccountAction,
    account: string,
    nowMs: number,
  ): Promise<Registry> {
    this.registry = changeRegistry(configured, this.registry, action, account, nowMs);
    return this.registry;
  }
  async setOneBot(
    configured: readonly string[],
    account: string,
    onebot: AccountOneBot | undefined,
    nowMs: number,
  ): Promise<Registry> {
    this.registry = setAccountOneBot(configured, this.registry, account, onebot, nowMs);
    return this.registry;
  }
}

/** The OneBot ids of each account in memory, with the rules of `lib/onebot/ids.ts`. */
export class MemoryOneBotIds {
  readonly tables = new Map<string, IdTable>();
  async read(account: string): Promise<IdTable> {
    return this.tables.get(account) ?? EMPTY_IDS;
  }
  async ensure(account: string, want: Partial<Record<IdKind, readonly string[]>>): Promise<IdTable> {
    let table = await this.read(account);
    for (const [kind, keys] of Object.entries(want) as [IdKind, readonly string[]][]) {
      table = withIds(table, kind, keys);
    }
    this.tables.set(account, table);
    return table;
  }
}
