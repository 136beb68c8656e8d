import { describe, expect, it } from 'vitest';
import { type FlagWords, flagProblems } from '../../../lib/cli/flag-problems.ts';
import type { RuleField } from '../../../lib/cli/rule-fields.ts';

const rule = {
  account: '20001',
  id: 'ping',
  chatTypes: ['friend'],
  match: 'exact',
  pattern: 'ping',
  replies: ['pong'],
};

/** As `edit` words them: the fields it was not given are the stored rule's. */
function editWords(given: Partial<Record<RuleField, string>> = {}): FlagWords {
  return {
    source: (field) => given[field],
    give: (field) => `--set ${field}=VALUE`,
    matchKind: (kind) => `match ${kind}`,
  };
}

describe('flagProblems', () => {
  it('is empty for a valid rule', () => {
    expect(flagProblems(rule, editWords())).toEqual([]);
  });

  it("words a stored rule's broken field, and an attribute no rule has, without zod's words", () => {
    expect(flagProblems({ ...rule, pattern: 7 }, editWords())).toEqual([
      "the stored rule's pattern 7: must be text",
    ]);
    expect(flagProblems({ ...rule, chatType: ['friend'] }, editWords())).toEqual([
      'the stored rule has an attribute no rule has: chatType (export the rule, fix it and import it)',
    ]);
    expect(flagProblems({ ...rule, replies: undefined }, editWords())).toEqual([
      'missing --set replies=VALUE: the reply to send',
    ]);
  });

  it('shows a long value cut, and the count that is too many', () => {
    const replies = Array.from({ length: 21 }, (_, i) => `reply ${i}`);
    expect(flagProblems({ ...rule, replies }, editWords({ replies: '--set replies' }))).toEqual([
      '--set replies: at most 20 replies (not 21)',
    ]);
    const long = 'x'.repeat(501);
    expect(flagProblems({ ...rule, description: long }, editWords({ description: '--description' }))).toEqual(
      [`--description ${'x'.repeat(59)}…: at most 500 characters (not 501)`],
    );
  });
});
