import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRule, type IncomingMessage, loadRuleSet } from '../../../lib/rules/index.ts';

const file = path.resolve(import.meta.dirname, '../../../local/demo-rules.json');
const items = JSON.parse(readFileSync(file, 'utf8')) as unknown[];

function message(overrides: Partial<IncomingMessage>): IncomingMessage {
  return {
    account: '20001',
    chatType: 'friend',
    chatName: 'Ali',
    senderName: 'Ali',
    senderNick: 'Alice',
    senderUin: 1,
    text: 'ping',
    botNick: 'DemoBot',
    botNames: ['DemoBot', 'Bot'],
    ...overrides,
  };
}

describe('local/demo-rules.json', () => {
  it('holds only valid rules with distinct ids', () => {
    for (const item of items) expect(checkRule(item)).toMatchObject({ ok: true });
    const ids = items.map((i) => (i as { id: string }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  const { ruleSet, problems } = loadRuleSet(items);
  const answer = (overrides: Partial<IncomingMessage>) =>
    ruleSet.match(message(overrides), () => 0).map((m) => `${m.rule.id}: ${m.reply}`);

  it('shows every kind of rule in the demo world', () => {
    expect(problems).toEqual([]);
    expect(answer({ text: 'ping' })).toEqual(['ping: pong']);
    expect(answer({ chatType: 'discussion', chatName: 'Weekend plans', text: '天气 杭州' })).toEqual([
      'weather: 杭州的天气：晴 /微笑',
    ]);
    const hiking = { chatType: 'group', chatName: 'Hiking Club', senderName: 'Trail Boss' } as const;
    expect(answer({ ...hiking, text: 'Hike this weekend?' })).toEqual([
      'hiking-weekend: Trail Boss, the trail is waiting: Saturday 8 am at the north gate /太阳',
    ]);
    expect(answer({ chatType: 'group', chatName: 'Tea & Code', text: 'hike?' })).toEqual([]);
    expect(answer({ ...hiking, text: 'hello' })).toEqual([]);
    expect(answer({ ...hiking, text: '@Bot 你好' })[0]).toMatch(/^mention-hello: Trail Boss, you called\?/);
    expect(answer({ text: '早安' })).toEqual(['good-morning: 早安，Ali！/太阳']);
    expect(answer({ account: '20002', text: 'help' })).toEqual([
      'help: I am DemoBot. Try: ping, 天气 北京, or talk about a hike in Hiking Club.',
    ]);
    // The second demo account answers by its own rule, and not by the first one's.
    const bookBot = { account: '20002', botNick: 'BookBot', botNames: ['BookBot'], senderName: 'Alice R.' };
    expect(answer({ ...bookBot, text: 'any good book to read?' })).toEqual([
      "book-of-the-month: Alice R., this month's book is 《三体》 /微笑",
    ]);
    expect(answer({ ...bookBot, text: 'ping' })).toEqual([]);
    expect(answer({ text: 'any good book to read?' })).toEqual([]);
  });

  it('has a cooldown and a rule for every account', () => {
    expect(items.some((i) => ((i as { cooldownChatSeconds?: number }).cooldownChatSeconds ?? 0) > 0)).toBe(
      true,
    );
    expect(items.some((i) => (i as { account: string }).account === '*')).toBe(true);
  });
});
