import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import {
  addressedText,
  checkRule,
  type IncomingMessage,
  loadRuleSet,
  type Rule,
  type RuleInput,
  RuleSet,
} from '../../../lib/rules/index.ts';
import { message, ruleInput } from './factories.ts';

function ruleSet(...inputs: RuleInput[]): RuleSet {
  const { ruleSet: set, problems } = loadRuleSet(inputs);
  expect(problems).toEqual([]);
  return set;
}

const answers = (set: RuleSet, m: IncomingMessage, random?: () => number) =>
  set.match(m, random).map((r) => `${r.rule.id}:${r.reply}`);

describe('match kinds', () => {
  it('exact: the whole (trimmed) text, case-insensitive by default', () => {
    const set = ruleSet(ruleInput({ pattern: 'Ping' }));
    expect(answers(set, message({ text: '  ping ' }))).toEqual(['r1:pong']);
    expect(answers(set, message({ text: 'ping!' }))).toEqual([]);
  });

  it('exact, case-sensitive', () => {
    const set = ruleSet(ruleInput({ pattern: 'Ping', caseSensitive: true }));
    expect(answers(set, message({ text: 'Ping' }))).toEqual(['r1:pong']);
    expect(answers(set, message({ text: 'ping' }))).toEqual([]);
  });

  it('prefix: only at the start', () => {
    const set = ruleSet(ruleInput({ match: 'prefix', pattern: '!help', replies: ['help text'] }));
    expect(answers(set, message({ text: '!HELP me' }))).toEqual(['r1:help text']);
    expect(answers(set, message({ text: 'say !help' }))).toEqual([]);
  });

  it('contains: anywhere, Chinese included', () => {
    const set = ruleSet(ruleInput({ match: 'contains', pattern: '天气', replies: ['晴'] }));
    expect(answers(set, message({ text: '今天天气怎么样' }))).toEqual(['r1:晴']);
    expect(answers(set, message({ text: '今天怎么样' }))).toEqual([]);
  });

  it('keywords_any and keywords_all', () => {
    const set = ruleSet(
      ruleInput({
        id: 'any',
        match: 'keywords_any',
        pattern: undefined,
        keywords: ['hike', '爬山'],
        replies: ['any'],
        stop: false,
      }),
      ruleInput({
        id: 'all',
        match: 'keywords_all',
        pattern: undefined,
        keywords: ['weekend', 'hike'],
        replies: ['all'],
        stop: false,
      }),
    );
    expect(answers(set, message({ text: 'a hike this weekend?' }))).toEqual(['all:all', 'any:any']);
    expect(answers(set, message({ text: '周末爬山' }))).toEqual(['any:any']);
    expect(answers(set, message({ text: 'weekend only' }))).toEqual([]);
  });

  it('keywords_all counts a keyword once however often it appears', () => {
    const set = ruleSet(ruleInput({ match: 'keywords_all', pattern: undefined, keywords: ['a', 'b'] }));
    expect(answers(set, message({ text: 'aaaa' }))).toEqual([]);
  });

  it('regex with captures by number and name', () => {
    const set = ruleSet(
      ruleInput({
        match: 'regex',
        pattern: '^天气\\s*(?P<city>\\S+)',
        replies: ['{$1}的天气：晴 /微笑 ({$city})'],
      }),
    );
    expect(answers(set, message({ text: '天气 北京' }))).toEqual(['r1:北京的天气：晴 /微笑 (北京)']);
    expect(answers(set, message({ text: '北京天气' }))).toEqual([]);
  });

  it('regex without a usable literal still runs', () => {
    const set = ruleSet(ruleInput({ match: 'regex', pattern: '^\\d{3,}$', replies: ['number'] }));
    expect(answers(set, message({ text: '12345' }))).toEqual(['r1:number']);
    expect(answers(set, message({ text: '12' }))).toEqual([]);
  });

  it('a catastrophic pattern for backtracking engines runs in linear time on RE2', () => {
    const set = ruleSet(ruleInput({ match: 'regex', pattern: '^(a+)+$', replies: ['x'] }));
    expect(answers(set, message({ text: `${'a'.repeat(5_000)}!` }))).toEqual([]);
  });
});

describe('where a rule applies', () => {
  it('chat types', () => {
    const set = ruleSet(ruleInput({ chatTypes: ['group'] }));
    expect(answers(set, message({ chatType: 'friend' }))).toEqual([]);
    expect(answers(set, message({ chatType: 'group', chatName: 'Hiking Club' }))).toEqual(['r1:pong']);
  });

  it('chats and excluded chats, by name, case-insensitive; a friend by markname or nick', () => {
    const only = ruleSet(ruleInput({ chats: ['hiking club', 'Alice'] }));
    expect(answers(only, message({ chatType: 'group', chatName: 'Hiking Club' }))).toEqual(['r1:pong']);
    expect(answers(only, message({ chatType: 'group', chatName: 'Tea & Code' }))).toEqual([]);
    expect(answers(only, message({ chatName: 'Ali', senderNick: 'Alice' }))).toEqual(['r1:pong']);
    const except = ruleSet(ruleInput({ excludeChats: ['Tea & Code'] }));
    expect(answers(except, message({ chatType: 'group', chatName: 'Tea & Code' }))).toEqual([]);
    expect(answers(except, message({ chatType: 'group', chatName: 'Hiking Club' }))).toEqual(['r1:pong']);
  });

  it('the account: its own rules and the * rules, not another account’s', () => {
    const set = ruleSet(
      ruleInput({ id: 'mine', account: '20001', replies: ['mine'], stop: false }),
      ruleInput({ id: 'other', account: '30001', replies: ['other'], stop: false }),
      ruleInput({ id: 'all', account: '*', replies: ['all'], stop: false }),
    );
    expect(answers(set, message())).toEqual(['all:all', 'mine:mine']);
  });

  it('mentionOnly: only when the bot is @-mentioned in the group, and the mention is not matched', () => {
    const set = ruleSet(ruleInput({ chatTypes: ['group'], mentionOnly: true }));
    const group = { chatType: 'group' as const, chatName: 'Hiking Club', botNames: ['DemoBot', 'Bot'] };
    expect(answers(set, message({ ...group, text: 'ping' }))).toEqual([]);
    expect(answers(set, message({ ...group, text: '@DemoBot ping' }))).toEqual(['r1:pong']);
    expect(answers(set, message({ ...group, text: 'ping @Bot' }))).toEqual(['r1:pong']);
  });

  it('addressedText strips the longest mention first and keeps newlines', () => {
    const m = message({ chatType: 'group', botNames: ['Bot', 'Bot Two'], text: '@Bot Two hello\nworld' });
    expect(addressedText(m)).toEqual({ mentioned: true, text: 'hello\nworld' });
    expect(addressedText(message({ text: ' @Bot x ' }))).toEqual({ mentioned: false, text: '@Bot x' });
  });
});

describe('what it answers', () => {
  it('template variables from the message', () => {
    const set = ruleSet(ruleInput({ replies: ['{sender}/{nick}/{chat}/{group}/{text}/{bot}'] }));
    const m = message({
      chatType: 'group',
      chatName: 'Hiking Club',
      senderName: 'Trail Boss',
      text: '@DemoBot ping',
    });
    expect(answers(set, m)).toEqual(['r1:Trail Boss/Alice/Hiking Club/Hiking Club/ping/DemoBot']);
    expect(answers(set, message())).toEqual(['r1:Ali/Alice/Ali//ping/DemoBot']);
  });

  it('a random choice among several replies, from the injected random source', () => {
    const set = ruleSet(ruleInput({ replies: ['a', 'b', 'c'] }));
    expect(answers(set, message(), () => 0)).toEqual(['r1:a']);
    expect(answers(set, message(), () => 0.5)).toEqual(['r1:b']);
    expect(answers(set, message(), () => 0.9999)).toEqual(['r1:c']);
  });
});

describe('order, stop and continue', () => {
  it('higher priority first; ties broken by id; the first stopping rule ends the list', () => {
    const set = ruleSet(
      ruleInput({ id: 'b-low', priority: 1, replies: ['b'], stop: false }),
      ruleInput({ id: 'a-low', priority: 1, replies: ['a'], stop: false }),
      ruleInput({ id: 'high', priority: 5, replies: ['h'], stop: false }),
      ruleInput({ id: 'stopper', priority: 0, replies: ['s'] }),
      ruleInput({ id: 'never', priority: -1, replies: ['n'] }),
    );
    expect(answers(set, message())).toEqual(['high:h', 'a-low:a', 'b-low:b', 'stopper:s']);
  });

  it('disabled rules never answer', () => {
    const set = ruleSet(ruleInput({ enabled: false }));
    expect(set.size).toBe(0);
    expect(answers(set, message())).toEqual([]);
  });
});

describe('loadRuleSet', () => {
  it('skips invalid rules with one problem each and serves the valid ones', () => {
    const { ruleSet: set, problems } = loadRuleSet([
      ruleInput({ id: 'good' }),
      ruleInput({ id: 'bad-regex', match: 'regex', pattern: '(' }),
      ruleInput({ id: 'bad-template', replies: ['{nope}'] }),
      'not even an object',
    ]);
    expect(problems.map((p) => `${p.ruleId}:${p.field}`)).toEqual([
      'bad-regex:pattern',
      'bad-template:replies.0',
      '(no id):(rule)',
    ]);
    expect(answers(set, message())).toEqual(['good:pong']);
  });
});

/** The obvious matcher, rule by rule: the indexed one must always agree with it. */
function reference(rules: Rule[], m: IncomingMessage): string[] {
  const { mentioned, text } = addressedText(m);
  const fold = (r: Rule, s: string) => (r.caseSensitive ? s : s.toLowerCase());
  const out: string[] = [];
  const ordered = rules
    .filter((r) => r.enabled)
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const r of ordered) {
    if (r.account !== '*' && r.account !== m.account) continue;
    if (!r.chatTypes.includes(m.chatType)) continue;
    if (r.mentionOnly && m.chatType !== 'friend' && !mentioned) continue;
    const t = fold(r, text);
    const p = fold(r, r.pattern ?? '');
    const hit =
      r.match === 'exact'
        ? t === p.trim()
        : r.match === 'prefix'
          ? t.startsWith(p.trim())
          : r.match === 'contains'
            ? t.includes(p)
            : r.match === 'keywords_any'
              ? (r.keywords ?? []).some((k) => t.includes(fold(r, k)))
              : r.match === 'keywords_all'
                ? (r.keywords ?? []).every((k) => t.includes(fold(r, k)))
                : RE2JS.compile(r.pattern ?? '', r.caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE).test(text);
    if (!hit) continue;
    out.push(r.id);
    if (r.stop) break;
  }
  return out;
}

describe('the indexed matcher agrees with the obvious one', () => {
  const word = fc.constantFrom('ab', 'b', 'Ab', '天气', 'x y', 'aB c', 's', 'K', '好');
  const pattern = fc.constantFrom(
    'a',
    'ab',
    'ab|xy',
    'x y|天气',
    'b+c',
    '^ab',
    'a.b',
    '天气\\s*(\\S+)',
    '(ab|x)',
    '[ab]k',
    'sK',
    'a?b',
    '\\d+',
    'x y$',
  );
  const rule = fc.record({
    match: fc.constantFrom('exact', 'prefix', 'contains', 'keywords_any', 'keywords_all', 'regex'),
    word,
    regex: pattern,
    keywords: fc.array(word, { minLength: 1, maxLength: 3 }),
    caseSensitive: fc.boolean(),
    priority: fc.integer({ min: 0, max: 3 }),
    stop: fc.boolean(),
    enabled: fc.boolean(),
    chatTypes: fc.subarray(['friend', 'group', 'discussion'] as const, { minLength: 1 }),
  });
  it('on random rule sets and messages', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 12 }),
        fc.array(
          fc.constantFrom('ab', 'AB', 'b', 'bc', 'c', ' ', '天气', '北京', 'x', 'y', 'sk', 'K', '7', '好'),
          { maxLength: 8 },
        ),
        fc.constantFrom('friend', 'group', 'discussion'),
        (specs, parts, chatType) => {
          const rules: Rule[] = specs.map((s, i) => {
            const keywords = s.match.startsWith('keywords');
            const checked = checkRule({
              account: '*',
              id: `r${i}`,
              chatTypes: [...s.chatTypes],
              match: s.match,
              ...(keywords ? { keywords: s.keywords } : { pattern: s.match === 'regex' ? s.regex : s.word }),
              caseSensitive: s.caseSensitive,
              priority: s.priority,
              stop: s.stop,
              enabled: s.enabled,
              replies: ['ok'],
            });
            if (!checked.ok) throw new Error(JSON.stringify(checked.problem));
            return checked.rule;
          });
          const m = message({ chatType, chatName: 'c', text: parts.join('') });
          expect(new RuleSet(rules).match(m).map((r) => r.rule.id)).toEqual(reference(rules, m));
        },
      ),
      { numRuns: 400 },
    );
  });
});
