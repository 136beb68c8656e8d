import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { requiredLiteral } from '../../../lib/rules/regex-literal.ts';

describe('requiredLiteral', () => {
  const table: [string, boolean, string | undefined][] = [
    ['hello', true, 'hello'],
    ['^天气\\s*(\\S+)', false, '天气'],
    ['Hello World', true, 'hello world'],
    ['ab?cd', true, 'cd'],
    ['abc*de', true, 'ab'],
    ['ab+cde', true, 'cde'],
    ['x{0,3}yz', true, 'yz'],
    ['wx{2}yz', true, 'wx'],
    ['a\\.b', true, 'a.b'],
    ['a\\db', true, undefined],
    ['[abc]def', true, 'def'],
    ['ab|cd', true, undefined],
    ['(ab|cd)ef', true, 'ef'],
    ['(?i)abc', true, undefined],
    ['(?:xy)zz', true, 'zz'],
    ['test', false, 'te'], // the s folds to ſ: only the run before it counts
    ['test', true, 'test'],
    ['kilo', false, 'ilo'],
    ['Élan', true, 'lan'],
    ['^\\d+$', true, undefined],
  ];
  for (const [pattern, caseSensitive, literal] of table) {
    it(`${pattern} (${caseSensitive ? 'case-sensitive' : 'insensitive'}) → ${literal}`, () => {
      expect(requiredLiteral(pattern, caseSensitive)).toBe(literal);
    });
  }

  it('is always a necessary condition: every text the regex finds contains it (lower-cased)', () => {
    const token = fc.constantFrom(
      'a',
      'b',
      's',
      'K',
      'k',
      '天',
      'x',
      '.',
      '?',
      '*',
      '+',
      '|',
      '(',
      ')',
      '[ab]',
      '\\d',
      '{0,2}',
      '{2}',
      '^',
      '$',
      '\\.',
      'É',
      'Σ',
      '(?:',
      '(?i)',
    );
    const textUnit = fc.constantFrom(
      'a',
      'b',
      's',
      'S',
      'ſ',
      'k',
      'K',
      'K',
      '天',
      'x',
      '.',
      '1',
      'é',
      'É',
      'σ',
      'ς',
      'Σ',
    );
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 8 }),
        fc.array(textUnit, { maxLength: 12 }),
        fc.boolean(),
        (tokens, units, caseSensitive) => {
          const pattern = tokens.join('');
          let regex: RE2JS;
          try {
            regex = RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
          } catch {
            return;
          }
          const literal = requiredLiteral(pattern, caseSensitive);
          const text = units.join('');
          if (literal !== undefined && regex.test(text)) expect(text.toLowerCase()).toContain(literal);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
