import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../lib/pipeline/ports.ts';
import { deduplicationId, messageGroupId } from '../../../lib/queue/inbound-queue.ts';
import {
  encodeInboundMessage,
  InboundMessageError,
  parseInboundMessage,
} from '../../../lib/queue/message-body.ts';

const valid: InboundMessage = {
  key: '9f2c',
  account: '20001',
  conversation: '20001-group-4001',
  chatType: 'group',
  chatId: 4001,
  chatName: 'Hiking Club',
  senderUin: 3001,
  senderName: 'Trail Boss',
  senderNick: 'Ali',
  text: '天气 北京',
  msgId: 1234,
  time: 1_740_830_400,
  linkedAt: 1_740_830_000_000,
  receivedAt: 1_740_830_401_000,
};

function parseError(body: string): InboundMessageError {
  try {
    parseInboundMessage(body);
  } catch (err) {
    if (err instanceof InboundMessageError) return err;
    throw err;
  }
  throw new Error('parsed without an error');
}

describe('parseInboundMessage', () => {
  it('reads back what encodeInboundMessage wrote, dropping unknown fields', () => {
    expect(parseInboundMessage(encodeInboundMessage(valid))).toStrictEqual(valid);
    expect(parseInboundMessage(JSON.stringify({ ...valid, extra: 1 }))).toStrictEqual(valid);
  });

  it('names the field that is missing or wrong', () => {
    const { chatType: _chatType, ...noChatType } = valid;
    const cases: [unknown, string][] = [
      [noChatType, 'chatType'],
      [{ ...valid, chatType: 'channel' }, 'chatType'],
      [{ ...valid, chatId: '4001' }, 'chatId'],
      [{ ...valid, msgId: 1.5 }, 'msgId'],
      [{ ...valid, key: '' }, 'key'],
      [{ ...valid, text: null }, 'text'],
    ];
    for (const [body, field] of cases) {
      const error = parseError(JSON.stringify(body));
      expect(error.field).toBe(field);
      expect(error.name).toBe('InboundMessageError');
      expect(error.message).toMatch(new RegExp(`^malformed inbound message: ${field}: `));
    }
  });

  it('says so when the body is not JSON, or not an object', () => {
    expect(parseError('{"key":')).toMatchObject({
      field: '(body)',
      message: 'malformed inbound message: (body): not JSON',
    });
    expect(parseError('[1,2]').field).toBe('(root)');
    expect(parseError('null').field).toBe('(root)');
  });
});

describe('encodeInboundMessage', () => {
  it('writes only characters every SQS accepts, whatever the text holds, and loses none of it', () => {
    const text = '👍\uFFFE\uFFFF\uD83D\u0000\u0007 好 \t\r\n';
    const body = encodeInboundMessage({ ...valid, text });
    expect(body).toMatch(/^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]*$/);
    expect(parseInboundMessage(body).text).toBe(text);
  });
});

describe('ids', () => {
  it('makes a deduplication id of 43 allowed characters from any key', () => {
    for (const key of ['a', 'x'.repeat(500), '20001|group|Hiking Club|好|1']) {
      expect(deduplicationId(key)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(deduplicationId('a')).toBe(deduplicationId('a'));
    expect(deduplicationId('a')).not.toBe(deduplicationId('b'));
  });

  it('uses a conversation as its message group when SQS accepts it, else a hash of it', () => {
    expect(messageGroupId('20001-group-4001')).toBe('20001-group-4001');
    expect(messageGroupId('20001|friend|~!@#')).toBe('20001|friend|~!@#');
    for (const conversation of ['20001|group|Hiking Club', '20001|group|茶与代码', 'x'.repeat(129)]) {
      const id = messageGroupId(conversation);
      expect(id).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
      expect(messageGroupId(conversation)).toBe(id);
    }
  });
});
