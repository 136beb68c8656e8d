/**
 * Rules as a terminal table for `rules list`: one line per rule, long cells cut, CJK characters
 * counted as two columns so the columns line up.
 */
import { checkRule, type Rule } from '../rules/model.ts';
import { formatRuleProblem } from '../stores/rule-store.ts';

const CELL_MAX = 36;
const COLUMNS = [
  'id',
  'account',
  'enabled',
  'priority',
  'where',
  'match',
  'pattern/keywords',
  'replies',
] as const;

/** The table, then a line per invalid item (the consumer skips those). */
export function formatRuleTable(items: readonly unknown[]): string {
  const rows: { sort: [string, number, string]; cells: string[] }[] = [];
  const problems: string[] = [];
  for (const item of items) {
    const checked = checkRule(item);
    if (checked.ok) {
      const rule = checked.rule;
      rows.push({ sort: [rule.account, -rule.priority, rule.id], cells: ruleCells(rule) });
    } else {
      const raw = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      const [id, account] = [String(raw.id ?? ''), String(raw.account ?? '')];
      const cells = COLUMNS.map((column) => (column === 'enabled' ? 'INVALID' : ''));
      rows.push({ sort: [account, 0, id], cells: [cut(id), cut(account), ...cells.slice(2)] });
      problems.push(`invalid (skipped by the bot): ${formatRuleProblem(checked.problem)}`);
    }
  }
  if (rows.length === 0) return 'no rules\n';
  // Per account, in the order the matcher tries them: priority (higher first), then id.
  rows.sort(
    (a, b) => compare(a.sort[0], b.sort[0]) || a.sort[1] - b.sort[1] || compare(a.sort[2], b.sort[2]),
  );
  const lines = textTable([[...COLUMNS], ...rows.map((r) => r.cells)]);
  return `${[...lines, ...problems].join('\n')}\n`;
}

function ruleCells(rule: Rule): string[] {
  const where = [
    rule.chatTypes.join(','),
    rule.chats ? `in ${rule.chats.join(', ')}` : '',
    rule.excludeChats ? `not ${rule.excludeChats.join(', ')}` : '',
    rule.mentionOnly ? '@bot' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const extra = rule.replies.length > 1 ? ` (+${rule.replies.length - 1})` : '';
  const cells = [
    rule.id,
    rule.account,
    rule.enabled ? 'yes' : 'no',
    String(rule.priority),
    where,
    rule.match,
    rule.keywords ? rule.keywords.join(', ') : (rule.pattern ?? ''),
    `${cut(rule.replies[0] ?? '', CELL_MAX - extra.length)}${extra}`,
  ];
  return cells.map((cell) => cut(cell));
}

/** Aligned columns, two spaces apart; the last column is not padded. */
export function textTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - displayWidth(cell)),
      )
      .join('  ')
      .trimEnd(),
  );
}

/** One line, at most `max` columns wide, `…` where cut. */
function cut(text: string, max = CELL_MAX): string {
  const line = text.replace(/\r?\n/g, '↵');
  if (displayWidth(line) <= max) return line;
  let out = '';
  for (const char of line) {
    if (displayWidth(out + char) > max - 1) break;
    out += char;
  }
  return `${out}…`;
}

/** Terminal columns: East Asian wide and fullwidth characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += isWide(char.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
