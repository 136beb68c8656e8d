import { describe, expect, it } from 'vitest';
import { checkRule, storedNumber, UnrepresentableNumber } from '../../../lib/rules/index.ts';
import { ruleInput } from './factories.ts';

describe('storedNumber', () => {
  it('reads a number a JavaScript number holds exactly as that number', () => {
    for (const [written, value] of [
      ['0', 0],
      ['5', 5],
      ['-1000000', -1_000_000],
      ['1.5', 1.5],
      ['0.1', 0.1],
      ['1E3', 1000],
      ['100.000', 100],
      ['1e-130', 1e-130],
      ['9007199254740991', Number.MAX_SAFE_INTEGER],
      ['-9007199254740991', Number.MIN_SAFE_INTEGER],
    ] as const) {
      expect(storedNumber(written)).toBe(value);
    }
  });

  it('keeps as written a number beyond ±2^53 − 1, or with more digits than a double keeps', () => {
    for (const written of [
      '9007199254740992',
      '9007199254740993.5',
      '123456789012345678901234567890',
      '-123456789012345678901234567890',
      '10000000000000000000000000000000000000000',
      '1e400',
      '1.00000000000000000000000000001',
      'NaN',
      'Infinity',
      '',
    ]) {
      const read = storedNumber(written);
      expect(read).toBeInstanceOf(UnrepresentableNumber);
      expect(String(read)).toBe(written);
      expect(JSON.stringify({ n: read })).toBe(JSON.stringify({ n: written }));
    }
  });
});

describe('checkRule and numbers no JavaScript number is', () => {
  it('names the rule, the field and the number', () => {
    const checked = checkRule({
      ...ruleInput({ id: 'huge' }),
      priority: new UnrepresentableNumber('123456789012345678901234567890'),
    });
    expect(checked).toEqual({
      ok: false,
      problem: {
        ruleId: 'huge',
        field: 'priority',
        message: expect.stringMatching(/^123456789012345678901234567890 is too large: .*9007199254740991/),
      },
    });
  });

  it('finds one nested in a list or a set, says when digits would be lost, and takes a bigint too', () => {
    const inList = checkRule({
      ...ruleInput(),
      replies: ['a', new UnrepresentableNumber('1.00000000000000000000001')],
    });
    expect(inList).toMatchObject({
      ok: false,
      problem: { field: 'replies.1', message: expect.stringMatching(/more digits .* read as 1\)$/) },
    });
    const inSet = checkRule({ ...ruleInput(), chatTypes: new Set([new UnrepresentableNumber('1e40')]) });
    expect(inSet).toMatchObject({
      ok: false,
      problem: { field: 'chatTypes', message: /^1e40 is too large/ },
    });
    const big = checkRule({ ...ruleInput(), cooldownChatSeconds: 10n ** 20n });
    expect(big).toMatchObject({
      ok: false,
      problem: { field: 'cooldownChatSeconds', message: /^100000000000000000000 is too large/ },
    });
  });
});
