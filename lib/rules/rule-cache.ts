/**
 * The compiled rule set a consumer serves from, reloaded when the table changes: the change marker
 * (bumped by every write through the store) is read at most every few seconds, and the whole set
 * is reloaded when it moved — or every minute regardless, to pick up edits made by hand in the
 * AWS console, which do not bump it. Never per message.
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
    const version = await this.source.version();
    if (current && version === current.version && nowMs - current.loadedAt < this.reloadEveryMs) {
      current.checkedAt = nowMs;
      return current.ruleSet;
    }
    const { ruleSet, problems } = loadRuleSet(await this.source.list(account));
    if (problems.length > 0) this.options.onProblems?.(problems);
    this.loaded.set(account, { ruleSet, version, loadedAt: nowMs, checkedAt: nowMs });
    return ruleSet;
  }
}
