import { describe, expect, it } from 'vitest';
import { checkRule, LIMITS } from '../../../lib/rules/model.ts';
import { ruleInput } from './factories.ts';

function problemOf(input: unknown) {
  const checked = checkRule(input);
  return checked.ok ? undefined : checked.problem;
}

describe('checkRule', () => {
  it('accepts a minimal rule and fills the defaults', () => {
    const checked = checkRule(ruleInput());
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.rule).toMatchObject({
      enabled: true,
      priority: 0,
      caseSensitive: false,
      mentionOnly: false,
      stop: true,
      cooldownChatSeconds: 0,
      cooldownSenderSeconds: 0,
    });
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['an empty pattern', ruleInput({ pattern: '   ' }), 'pattern', /must not be empty/],
    ['a missing pattern', ruleInput({ pattern: undefined }), 'pattern', /is required for match "exact"/],
    [
      'keywords without keywords',
      ruleInput({ match: 'keywords_any', pattern: undefined }),
      'keywords',
      /required/,
    ],
    ['keywords with a pattern', ruleInput({ match: 'keywords_all', keywords: ['a'] }), 'pattern', /not used/],
    [
      'an empty keyword',
      ruleInput({ match: 'keywords_any', pattern: undefined, keywords: ['a', ''] }),
      'keywords.1',
      /must not be empty/,
    ],
    [
      'an over-long reply',
      ruleInput({ replies: ['x'.repeat(LIMITS.replyChars + 1)] }),
      'replies.0',
      /longer than 1500/,
    ],
    ['no reply', ruleInput({ replies: [] }), 'replies', /at least one reply/],
    [
      'an unknown template variable',
      ruleInput({ replies: ['ok', 'hi {sendr}'] }),
      'replies.1',
      /unknown variable \{sendr\}/,
    ],
    ['an unmatched brace', ruleInput({ replies: ['hi {sender'] }), 'replies.0', /unmatched "\{"/],
    [
      'a capture in a non-regex rule',
      ruleInput({ replies: ['{$1}'] }),
      'replies.0',
      /only regex rules have captures/,
    ],
    [
      'a capture the regex lacks',
      ruleInput({ match: 'regex', pattern: '^a(b)$', replies: ['{$2}'] }),
      'replies.0',
      /no such group/,
    ],
    [
      'a regex RE2 cannot compile (backreference)',
      ruleInput({ match: 'regex', pattern: '(a)\\1' }),
      'pattern',
      /RE2/,
    ],
    [
      'a regex RE2 cannot compile (lookahead)',
      ruleInput({ match: 'regex', pattern: 'a(?=b)' }),
      'pattern',
      /RE2/,
    ],
    ['an unknown chat type', ruleInput({ chatTypes: ['channel' as 'friend'] }), 'chatTypes.0', /./],
    ['no chat type', ruleInput({ chatTypes: [] }), 'chatTypes', /at least one/],
    ['an unknown match kind', ruleInput({ match: 'fuzzy' as 'exact' }), 'match', /./],
    ['a bad account', ruleInput({ account: 'bob' }), 'account', /QQ number/],
    ['a bad id', ruleInput({ id: 'has space' }), 'id', /A-Z/],
    ['a negative cooldown', ruleInput({ cooldownChatSeconds: -1 }), 'cooldownChatSeconds', /./],
    ['a fractional priority', ruleInput({ priority: 1.5 }), 'priority', /./],
    [
      'mentionOnly for friends only',
      ruleInput({ chatTypes: ['friend'], mentionOnly: true }),
      'mentionOnly',
      /group/,
    ],
    ['an unknown attribute', { ...ruleInput(), colour: 'red' }, 'colour', /unrecognized/i],
  ];
  for (const [what, input, field, message] of invalid) {
    it(`refuses ${what}, naming the rule and the field`, () => {
      const problem = problemOf(input);
      expect(problem?.field).toBe(field);
      expect(problem?.message).toMatch(message);
      expect(problem?.ruleId).toBe((input as { id?: string }).id ?? '(no id)');
    });
  }

  it('accepts regex captures by number and by name, and literal braces', () => {
    expect(
      checkRule(
        ruleInput({
          match: 'regex',
          pattern: '^天气\\s*(?P<city>\\S+)',
          replies: ['{$1} {$city} {$0} {{x}}'],
        }),
      ).ok,
    ).toBe(true);
  });

  it('names "(no id)" when the item has no id', () => {
    expect(problemOf({ account: '*' })?.ruleId).toBe('(no id)');
    expect(problemOf(null)?.ruleId).toBe('(no id)');
  });
});
