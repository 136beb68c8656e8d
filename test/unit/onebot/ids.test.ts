import { describe, expect, it } from 'vitest';
import { keysOfMessage, messageEvent, messageIdOf } from '../../../lib/onebot/events.ts';
import { EMPTY_IDS, FIRST_ID, findByKey, idOf, keyOf, keysOf, withIds } from '../../../lib/onebot/ids.ts';
import type { ContactsCache, InboundMessage } from '../../../lib/pipeline/ports.ts';

describe('stable ids', () => {
  it('tells apart two of the same name by their order, and finds each again by its key', () => {
    expect(keysOf(['Sam', 'Ann', 'Sam', 'Sam'])).toEqual(['Sam', 'Ann', 'Sam#2', 'Sam#3']);
    const friends = [
      { uin: 5, nick: 'Sam' },
      { uin: 6, nick: 'Ann' },
      { uin: 7, nick: 'Sam' },
    ];
    expect(findByKey(friends, (f) => f.nick, 'Sam#2')?.uin).toBe(7);
    expect(findByKey(friends, (f) => f.nick, 'Bob')).toBeUndefined();
  });

  it('gives an id to any name, even one like an object member (constructor, __proto__, toString)', () => {
    const table = withIds(EMPTY_IDS, 'people', ['constructor', '__proto__', 'toString']);
    expect(idOf(table, 'people', 'constructor')).toBe(FIRST_ID);
    expect(idOf(table, 'people', '__proto__')).toBe(FIRST_ID + 1);
    expect(idOf(table, 'people', 'toString')).toBe(FIRST_ID + 2);
    expect(idOf(EMPTY_IDS, 'people', 'constructor')).toBeUndefined();
  });

  it('gives each new key the next id once; a known key keeps its id; nothing new, the same table', () => {
    const one = withIds(EMPTY_IDS, 'people', ['Sam', 'Ann']);
    expect(one.people).toEqual({ Sam: FIRST_ID, Ann: FIRST_ID + 1 });
    const two = withIds(one, 'groups', ['Hiking Club', 'Sam']);
    expect(two.groups).toEqual({ 'Hiking Club': FIRST_ID + 2, Sam: FIRST_ID + 3 });
    expect(withIds(two, 'people', ['Ann', 'Sam'])).toBe(two);
    expect(keyOf(two, 'groups', FIRST_ID + 2)).toBe('Hiking Club');
    expect(keyOf(two, 'people', 42)).toBeUndefined();
  });
});

describe('events', () => {
  const contacts: ContactsCache = {
    fetchedAt: 1,
    linkedAt: 100,
    friends: [
      { uin: 11, nick: 'Sam' },
      { uin: 12, nick: 'Sam' },
    ],
    groups: [{ gid: 21, code: 1, name: 'Club' }],
    discussions: [],
    members: {},
    selfUins: [],
    selfNick: 'Bot',
  };
  const message: InboundMessage = {
    key: 'k1',
    account: '20001',
    conversation: '20001-friend-12',
    chatType: 'friend',
    chatId: 12,
    chatName: 'Sam',
    senderUin: 12,
    senderName: 'Sam',
    senderNick: 'Sam',
    text: 'hi [微笑] [x]',
    msgId: 1,
    time: 1_700_000_000,
    linkedAt: 100,
    receivedAt: 1,
  };

  it('keys the sender by its place among same-named friends of the same login, else by name', () => {
    expect(keysOfMessage(message, contacts, undefined)).toEqual({ people: 'Sam#2' });
    expect(keysOfMessage({ ...message, linkedAt: 99 }, contacts, undefined)).toEqual({ people: 'Sam' });
    const group = {
      ...message,
      chatType: 'group' as const,
      chatId: 21,
      chatName: 'Club',
      senderName: 'Boss',
    };
    expect(keysOfMessage(group, contacts, { '12': 'Boss' })).toEqual({ people: 'Boss', groups: 'Club' });
  });

  it('builds the private event with faces as CQ codes, and a message_id stable for the message', () => {
    const ids = withIds(EMPTY_IDS, 'people', ['Sam', 'Sam#2']);
    const event = messageEvent(message, { people: 'Sam#2' }, ids, 'string');
    expect(event).toMatchObject({
      self_id: 20001,
      post_type: 'message',
      message_type: 'private',
      sub_type: 'friend',
      user_id: FIRST_ID + 1,
      message: 'hi [CQ:face,id=14] &#91;x&#93;',
      raw_message: 'hi [CQ:face,id=14] &#91;x&#93;',
      message_id: messageIdOf('k1'),
      sender: { user_id: FIRST_ID + 1, nickname: 'Sam' },
    });
    expect(messageEvent(message, { people: 'Sam#2' }, ids, 'array').message).toEqual([
      { type: 'text', data: { text: 'hi ' } },
      { type: 'face', data: { id: '14' } },
      { type: 'text', data: { text: ' [x]' } },
    ]);
    expect(messageIdOf('k1')).toBe(messageIdOf('k1'));
    expect(messageIdOf('k1')).toBeGreaterThan(0);
    expect(messageIdOf('k1')).toBeLessThan(2 ** 31);
  });
});
