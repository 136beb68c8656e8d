import { describe, expect, it } from 'vitest';
import { fieldValue, parseAssignment } from '../../../lib/cli/rule-fields.ts';
import { UsageError } from '../../../lib/cli/usage-error.ts';

describe('--set field=value', () => {
  it('gives each field its type', () => {
    expect(parseAssignment('priority=-5')).toEqual({ field: 'priority', value: -5 });
    expect(parseAssignment('enabled=false')).toEqual({ field: 'enabled', value: false });
    expect(parseAssignment('pattern=a=b')).toEqual({ field: 'pattern', value: 'a=b' });
    expect(parseAssignment('keywords=hike, weekend,,')).toEqual({
      field: 'keywords',
      value: ['hike', 'weekend'],
    });
    expect(parseAssignment('chats=["Tea, & Code"]')).toEqual({ field: 'chats', value: ['Tea, & Code'] });
    expect(parseAssignment('replies=Hi, {sender}')).toEqual({ field: 'replies', value: ['Hi, {sender}'] });
    expect(parseAssignment('replies=["a","b"]')).toEqual({ field: 'replies', value: ['a', 'b'] });
    // Not a JSON array of strings: one reply, as typed.
    expect(parseAssignment('replies=[微笑] hi')).toEqual({ field: 'replies', value: ['[微笑] hi'] });
    expect(parseAssignment('description=')).toEqual({ field: 'description', value: '' });
  });

  it('says what is wrong: no "=", unknown field, wrong type', () => {
    expect(() => parseAssignment('priority')).toThrow(new UsageError('--set priority: expected field=value'));
    expect(() => parseAssignment('=5')).toThrow(UsageError);
    expect(() => parseAssignment('colour=red')).toThrow(
      /unknown field "colour" \(fields: account, id, enabled/,
    );
    expect(() => parseAssignment('updatedAt=now')).toThrow(/unknown field "updatedAt"/);
    expect(() => parseAssignment('priority=1.5')).toThrow('priority takes a whole number, not "1.5"');
    expect(() => parseAssignment('stop=yes')).toThrow('stop takes true or false, not "yes"');
  });

  it('serves the add flags too', () => {
    expect(fieldValue('cooldownChatSeconds', '300', '--cooldown-chat')).toBe(300);
    expect(() => fieldValue('cooldownChatSeconds', 'soon', '--cooldown-chat')).toThrow(/^--cooldown-chat: /);
    expect(fieldValue('chatTypes', 'group,discussion', '--chat-types')).toEqual(['group', 'discussion']);
  });
});
