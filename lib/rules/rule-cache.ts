/**
 * The compiled rule set a consumer serves from, reloaded when the table changes: the change marker
 * (bumped by every write through the store) is read at most every few seconds, and the whole set
 * is reloaded when it moved — or every minute regardless, to pick up edits made by hand in the
 * AWS console, which do not bump it. Never per message.
 *
 * A reload that fails (DynamoDB unavailable, throttled) keeps the last rule set loaded for the
 * account in service and is tried again at the next check: a failure never takes the answers away
 * from rules that were working, and nothing stays broken once the table reads again. Only an account
 * with no rule set yet has nothing to serve: its message fails, to be retried. A broken rule item
 * does not fail a reload: the store reads every item, and the invalid ones are skipped and reported.
 */

import { loadRuleSet, type RuleSet } from './matcher.ts';
import type { RuleProblem } from './model.ts';

export interface RuleSource {
  /** A number that changes whenever a rule is written through the store. */
  version(): Promise<number>;
  /** Raw items for the account (its own rules and the `*` ones); validation is the cache's job. */
  list(account: string): Promise<unknown[]>;
}

export interface RuleCacheOptions {
  /** How often the change marker may be read. */
  readonly checkEveryMs?: number;
  /** Reload at least this often, for hand edits that do not bump the marker. */
  readonly reloadEveryMs?: number;
  /** Called once per reload with the invalid rules skipped (log each once, not per message). */
  readonly onProblems?: (problems: readonly RuleProblem[]) => void;
  /**
   * Called when a reload fails and the account's last rule set stays in service (it is retried at
   * the next check); `loadedAt` is when that set was loaded. Without it, the failure is written to
   * the console.
   */
  readonly onReloadError?: (error: unknown, account: string, loadedAt: number) => void;
}

interface Loaded {
  readonly ruleSet: RuleSet;
  readonly version: number;
  readonly loadedAt: number;
  checkedAt: number;
}

export class RuleCache {
  private readonly loaded = new Map<string, Loaded>();
  private readonly checkEveryMs: number;
  private readonly reloadEveryMs: number;

  constructor(
    private readonly source: RuleSource,
    private readonly options: RuleCacheOptions = {},
  ) {
    this.checkEveryMs = options.checkEveryMs ?? 5_000;
    this.reloadEveryMs = options.reloadEveryMs ?? 60_000;
  }

  /** The account's rule set, reloading it first if the table may have changed. */
  async ruleSet(account: string, nowMs: number): Promise<RuleSet> {
    const current = this.loaded.get(account);
    if (current && nowMs - current.checkedAt < this.checkEveryMs) return current.ruleSet;
    let version: number;
    let items: unknown[];
    try {
      version = await this.source.version();
      if (current && version === current.version && nowMs - current.loadedAt < this.reloadEveryMs) {
        current.checkedAt = nowMs;
        return current.ruleSet;
      }
      items = await this.source.list(account);
    } catch (error) {
      if (!current) throw error;
      // Its version and loadedAt stay as they were: the next check (not the next message) reloads.
      current.checkedAt = nowMs;
      this.reportReloadError(error, account, current.loadedAt);
      return current.ruleSet;
    }
    const { ruleSet, problems } = loadRuleSet(items);
    this.loaded.set(account, { ruleSet, version, loadedAt: nowMs, checkedAt: nowMs });
    if (problems.length > 0) this.options.onProblems?.(problems);
    return ruleSet;
  }

  private reportReloadError(error: unknown, account: string, loadedAt: number): void {
    if (this.options.onReloadError) {
      this.options.onReloadError(error, account, loadedAt);
      return;
    }
    console.error(
      `rules of account ${account}: reload failed, still serving the rules loaded at ${new Date(loadedAt).toISOString()}:`,
      error,
    );
  }
}
