import { describe, expect, it } from 'vitest';
import { displayWidth, formatRuleTable, textTable } from '../../../lib/cli/rule-table.ts';

const rule = (overrides: Record<string, unknown>) => ({
  account: '20001',
  id: 'ping',
  chatTypes: ['friend'],
  match: 'exact',
  pattern: 'ping',
  replies: ['pong'],
  ...overrides,
});

describe('formatRuleTable', () => {
  it('lists each account in match order (priority, then id), CJK aligned, long cells cut', () => {
    const lines = formatRuleTable([
      rule({ id: 'b-low', priority: -1 }),
      rule({
        id: 'weather',
        match: 'regex',
        pattern: '^天气\\s*(\\S+)',
        replies: ['{$1}的天气：晴', 'x'],
        priority: 5,
      }),
      rule({ id: 'a-low', priority: -1, replies: ['y'.repeat(80)] }),
      rule({ id: 'star', account: '*', chatTypes: ['group'], mentionOnly: true, chats: ['Tea & Code'] }),
    ]).split('\n');
    expect(lines.map((l) => l.split(/\s{2,}/)[0])).toEqual(['id', 'star', 'weather', 'a-low', 'b-low', '']);
    // Every row's replies cell starts at the column where the header's does.
    const lastCells = ['replies', 'pong', '{$1}的天气：晴 (+1)', '', 'pong'];
    lastCells[3] = lines[3]?.split(/\s{2,}/).at(-1) ?? '';
    const starts = lines.slice(0, 5).map((line, i) => displayWidth(line) - displayWidth(lastCells[i] ?? ''));
    expect(starts.every((start) => start === starts[0])).toBe(true);
    expect(lines[1]).toContain('group in Tea & Code @bot');
    expect(lines[2]).toContain('{$1}的天气：晴 (+1)');
    expect(lines[3]).toMatch(/y+…$/);
    expect(displayWidth(lines[3]?.split(/\s{2,}/).at(-1) ?? '')).toBe(36);
  });

  it('marks an invalid item and says why the bot skips it', () => {
    const text = formatRuleTable([rule({ id: 'bad', pattern: 5 })]);
    expect(text).toMatch(/\nbad\s+20001\s+INVALID\n/);
    expect(text).toContain('invalid (skipped by the bot): rule "bad": pattern: ');
  });

  it('shows a broken regex as written, not as compiled case-insensitively', () => {
    const text = formatRuleTable([rule({ id: 'bad', match: 'regex', pattern: '^天气\\s*(\\S+' })]);
    expect(text.split('\n').at(-2)).toBe(
      'invalid (skipped by the bot): rule "bad": pattern: `^天气\\s*(\\S+` is not a regular expression RE2 accepts: missing closing )',
    );
  });

  it('says so when there are no rules', () => {
    expect(formatRuleTable([])).toBe('no rules\n');
  });
});

describe('textTable', () => {
  it('pads by display width: a CJK character takes two columns', () => {
    expect(
      textTable([
        ['天气', 'x'],
        ['ab', 'y'],
        ['abcde', 'z'],
      ]),
    ).toEqual(['天气   x', 'ab     y', 'abcde  z']);
    expect(displayWidth('天气ab😀')).toBe(8);
  });
});
