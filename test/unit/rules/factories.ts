import type { IncomingMessage, RuleInput } from '../../../lib/rules/index.ts';

export function ruleInput(overrides: Partial<RuleInput> = {}): RuleInput {
  return {
    account: '*',
    id: 'r1',
    chatTypes: ['friend', 'group', 'discussion'],
    match: 'exact',
    pattern: 'ping',
    replies: ['pong'],
    ...overrides,
  };
}

export function message(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    account: '20001',
    chatType: 'friend',
    chatName: 'Ali',
    senderName: 'Ali',
    senderNick: 'Alice',
    senderUin: 111,
    text: 'ping',
    botNick: 'DemoBot',
    botNames: ['DemoBot'],
    ...overrides,
  };
}
