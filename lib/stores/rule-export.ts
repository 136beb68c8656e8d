/**
 * Rules as a JSON file a person keeps, diffs and imports again (`rules export` / `rules import`).
 */
import { checkRule, type RuleProblem } from '../rules/model.ts';

export interface RuleExport {
  /** A JSON array, two-space indented, ending with a newline. */
  readonly json: string;
  /** The stored items that are not valid rules: exported as they are, named here. */
  readonly problems: readonly RuleProblem[];
}

/**
 * Sorted by account, then id (code-unit order, the same on every machine); each rule's keys in the
 * rule model's order with its defaults written out; without `updatedAt`, which the store stamps on
 * every write. So export → import → export gives the same bytes. A broken item is kept (a backup
 * loses nothing): its keys `account`, `id`, then the rest sorted.
 */
export function exportRules(items: readonly unknown[]): RuleExport {
  const problems: RuleProblem[] = [];
  const rules = items.map((item) => {
    const checked = checkRule(item);
    if (checked.ok) return withoutUpdatedAt(checked.rule);
    problems.push(checked.problem);
    return isRecord(item) ? withoutUpdatedAt(sortedKeys(item)) : item;
  });
  rules.sort(byAccountThenId);
  return { json: `${JSON.stringify(rules, storedValue, 2)}\n`, problems };
}

/**
 * What JSON cannot say of a broken item, said without losing it: a set (an SS or NS typed in the
 * console) as a list, a bigint as its digits. A number no JavaScript number is
 * (`UnrepresentableNumber`) writes itself as its digits, a string: the import then names it.
 */
function storedValue(_key: string, value: unknown): unknown {
  if (value instanceof Set) return [...value];
  if (typeof value === 'bigint') return String(value);
  return value;
}

function withoutUpdatedAt(rule: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'updatedAt'));
}

function sortedKeys(item: Record<string, unknown>): Record<string, unknown> {
  const rank = (key: string) => (key === 'account' ? 0 : key === 'id' ? 1 : 2);
  const keys = Object.keys(item).sort((a, b) => rank(a) - rank(b) || compare(a, b));
  return Object.fromEntries(keys.map((key) => [key, item[key]]));
}

function byAccountThenId(a: unknown, b: unknown): number {
  return compare(sortKey(a), sortKey(b));
}

function sortKey(item: unknown): string {
  if (!isRecord(item)) return '';
  return `${String(item.account)}\u0000${String(item.id)}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
