import { describe, expect, it } from 'vitest';
import {
  echo,
  InvalidRequestError,
  PayloadTooLargeError,
  UnknownAccountError,
} from '../../../lib/send-api/errors.ts';
import {
  checkAccount,
  MAX_BODY_BYTES,
  MAX_NAME_CHARS,
  MAX_TEXT_CHARS,
  parseIdempotencyKey,
  parseSendRequest,
  readBody,
} from '../../../lib/send-api/request.ts';

const ACCOUNT = '20001';
const valid = { type: 'friend', to: { name: 'Ali' }, text: 'hi' };

/** The field and reason of the error a body is refused with. */
function refusal(body: string | undefined): { field: string; reason: string } {
  try {
    parseSendRequest(body, [ACCOUNT]);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    const { field, reason } = err as InvalidRequestError;
    return { field, reason };
  }
  throw new Error('the body was accepted');
}
const refusalOf = (body: unknown) => refusal(JSON.stringify(body));

describe('parseSendRequest', () => {
  it('accepts a message by name or by id, with the account defaulting to the deployment', () => {
    expect(parseSendRequest(JSON.stringify(valid), [ACCOUNT])).toEqual({
      account: ACCOUNT,
      type: 'friend',
      to: { name: 'Ali' },
      text: 'hi',
    });
    expect(
      parseSendRequest(
        JSON.stringify({ type: 'group', to: { uin: 3_000_000_001 }, text: 'x', account: ACCOUNT }),
        [ACCOUNT],
      ),
    ).toEqual({ account: ACCOUNT, type: 'group', to: { uin: 3_000_000_001 }, text: 'x' });
  });

  it('refuses a missing, empty or malformed body', () => {
    expect(refusal(undefined)).toEqual({ field: 'body', reason: 'required' });
    expect(refusal('  ')).toEqual({ field: 'body', reason: 'required' });
    expect(refusal('{"type":')).toEqual({ field: 'body', reason: 'not valid JSON' });
    expect(refusal('[]')).toEqual({ field: 'body', reason: 'expected a JSON object' });
    expect(refusal('"text"')).toEqual({ field: 'body', reason: 'expected a JSON object' });
    expect(refusal('null')).toEqual({ field: 'body', reason: 'expected a JSON object' });
  });

  it('names the field and the reason of each bad one', () => {
    expect(refusalOf({ ...valid, type: 'channel' })).toEqual({
      field: 'type',
      reason: 'expected "friend", "group" or "discussion"',
    });
    expect(refusalOf({ to: valid.to, text: 'x' })).toEqual({ field: 'type', reason: 'required' });
    expect(refusalOf({ ...valid, to: { uin: '123' } })).toEqual({
      field: 'to.uin',
      reason: 'expected a number',
    });
    expect(refusalOf({ ...valid, to: { uin: 1.5 } })).toEqual({
      field: 'to.uin',
      reason: 'expected an integer',
    });
    expect(refusalOf({ ...valid, to: { uin: 0 } })).toEqual({
      field: 'to.uin',
      reason: 'expected a positive id',
    });
    expect(refusalOf({ ...valid, to: { name: 7 } })).toEqual({
      field: 'to.name',
      reason: 'expected a string',
    });
    expect(refusalOf({ ...valid, to: { name: ' ' } })).toEqual({
      field: 'to.name',
      reason: 'must not be empty',
    });
    expect(refusalOf({ ...valid, to: 'Ali' })).toEqual({
      field: 'to',
      reason: 'expected an object with "uin" or "name"',
    });
    expect(refusalOf({ type: 'friend', text: 'x' })).toEqual({ field: 'to', reason: 'required' });
    expect(refusalOf({ ...valid, to: {} })).toEqual({
      field: 'to',
      reason: 'expected exactly one of "uin" or "name"',
    });
    expect(refusalOf({ ...valid, to: { uin: 1, name: 'Ali' } })).toEqual({
      field: 'to',
      reason: 'expected exactly one of "uin" or "name"',
    });
    expect(refusalOf({ ...valid, to: { nick: 'Ali' } })).toEqual({
      field: 'to.nick',
      reason: 'unknown field',
    });
    expect(refusalOf({ ...valid, txt: 'hi' })).toEqual({ field: 'txt', reason: 'unknown field' });
    expect(refusalOf({ ...valid, text: 42 })).toEqual({ field: 'text', reason: 'expected a string' });
    expect(refusalOf({ type: 'friend', to: valid.to })).toEqual({ field: 'text', reason: 'required' });
    expect(refusalOf({ ...valid, account: 20001 })).toEqual({
      field: 'account',
      reason: 'expected a string',
    });
  });

  it('refuses an empty or whitespace-only text', () => {
    expect(refusalOf({ ...valid, text: '' })).toEqual({ field: 'text', reason: 'must not be empty' });
    expect(refusalOf({ ...valid, text: ' \n\t ' })).toEqual({ field: 'text', reason: 'must not be empty' });
  });

  it(`accepts ${MAX_TEXT_CHARS} characters, counted as code points, and refuses one more`, () => {
    const longest = '😀'.repeat(MAX_TEXT_CHARS); // 2 UTF-16 units each: counted as one character
    expect(parseSendRequest(JSON.stringify({ ...valid, text: longest }), [ACCOUNT]).text).toBe(longest);
    expect(refusalOf({ ...valid, text: `${longest}x` })).toEqual({
      field: 'text',
      reason: `too long: at most ${MAX_TEXT_CHARS} characters`,
    });
  });

  it('refuses another account than the deployment one', () => {
    expect(() => parseSendRequest(JSON.stringify({ ...valid, account: '30001' }), [ACCOUNT])).toThrow(
      UnknownAccountError,
    );
    expect(refusalOf({ ...valid, account: '30001' })).toEqual({
      field: 'account',
      reason: 'unknown account 30001',
    });
  });
});

describe('parseIdempotencyKey', () => {
  it('takes printable ASCII keys of 1 to 255 characters and refuses others', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-42/retry:1')).toBe('order-42/retry:1');
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
    for (const bad of ['', 'k'.repeat(256), 'has space', 'ключ']) {
      expect(() => parseIdempotencyKey(bad)).toThrow(InvalidRequestError);
    }
    try {
      parseIdempotencyKey('');
    } catch (err) {
      expect((err as InvalidRequestError).field).toBe('Idempotency-Key');
    }
  });
});

/** JSON as Python's `json.dumps` writes it by default: every non-ASCII UTF-16 unit as `\uXXXX`. */
function asciiJson(value: unknown, indent?: number | string): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

describe('the body size limit', () => {
  const largest = {
    type: 'discussion',
    to: { name: '😀'.repeat(MAX_NAME_CHARS) },
    text: '😀'.repeat(MAX_TEXT_CHARS),
    account: '123456789012',
  };

  it('holds the largest valid request however it is encoded: UTF-8, escaped, pretty-printed, base64', () => {
    const escaped = asciiJson(largest);
    // 12 bytes a character (an escaped surrogate pair) and 73 around: the sum in MAX_BODY_BYTES's comment.
    expect(Buffer.byteLength(escaped)).toBe(73 + 12 * (MAX_NAME_CHARS + MAX_TEXT_CHARS));
    for (const body of [JSON.stringify(largest), escaped, asciiJson(largest, 2), asciiJson(largest, '\t')]) {
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(parseSendRequest(readBody(body, false), ['123456789012']).text).toBe(largest.text);
      const base64 = Buffer.from(body).toString('base64');
      expect(parseSendRequest(readBody(base64, true), ['123456789012']).to).toEqual(largest.to);
    }
  });

  it('refuses a larger body with PayloadTooLargeError before parsing it, counting UTF-8 bytes', () => {
    const tooLarge = (body: string, base64 = false) => {
      try {
        readBody(body, base64);
      } catch (err) {
        expect(err).toBeInstanceOf(PayloadTooLargeError);
        return {
          bytes: (err as PayloadTooLargeError).bytes,
          maxBytes: (err as PayloadTooLargeError).maxBytes,
        };
      }
      throw new Error('the body was read');
    };
    expect(readBody('x'.repeat(MAX_BODY_BYTES), false)).toHaveLength(MAX_BODY_BYTES);
    expect(tooLarge('x'.repeat(MAX_BODY_BYTES + 1))).toEqual({
      bytes: MAX_BODY_BYTES + 1,
      maxBytes: MAX_BODY_BYTES,
    });
    // 10,923 characters, 32,769 bytes.
    expect(tooLarge('中'.repeat(10_923))).toEqual({ bytes: 32_769, maxBytes: MAX_BODY_BYTES });
    expect(tooLarge(Buffer.alloc(MAX_BODY_BYTES + 1, 'x').toString('base64'), true).bytes).toBe(
      MAX_BODY_BYTES + 1,
    );
    expect(readBody(Buffer.alloc(MAX_BODY_BYTES, 'x').toString('base64'), true)).toHaveLength(MAX_BODY_BYTES);
    expect(readBody(undefined, true)).toBeUndefined();
    // parseSendRequest checks it too (for a caller that skips readBody): before the JSON.
    expect(() => parseSendRequest(`{${' '.repeat(MAX_BODY_BYTES)}`, [ACCOUNT])).toThrow(PayloadTooLargeError);
  });

  it('refuses a base64 body that is not UTF-8 once decoded', () => {
    const bytes = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]);
    expect(() => readBody(bytes.toString('base64'), true)).toThrow(
      expect.objectContaining({ field: 'body', reason: 'not valid UTF-8' }),
    );
  });
});

describe('the account', () => {
  it('must be a QQ number, and is never repeated when it is not one', () => {
    const notQq = 'expected a QQ number (5 to 12 digits, not starting with 0)';
    for (const account of ['', 'abc', '020001', '1234', '1234567890123', ' 20001', 'x'.repeat(30_000)]) {
      expect(() => checkAccount(account, [ACCOUNT])).toThrow(
        expect.objectContaining({ field: 'account', reason: notQq }),
      );
      expect(refusalOf({ ...valid, account })).toEqual({ field: 'account', reason: notQq });
    }
    expect(checkAccount(undefined, [ACCOUNT])).toBe(ACCOUNT);
    expect(checkAccount(ACCOUNT, [ACCOUNT])).toBe(ACCOUNT);
    expect(() => checkAccount('123456789012', [ACCOUNT])).toThrow('account: unknown account 123456789012');
    expect(new UnknownAccountError('x'.repeat(1_000)).message).toBe('account: unknown account');
  });

  it('is required when the deployment serves several, and must be one of them', () => {
    const served = [ACCOUNT, '20002'];
    expect(() => checkAccount(undefined, served)).toThrow(
      expect.objectContaining({ field: 'account', reason: 'required: this deployment serves 20001, 20002' }),
    );
    expect(checkAccount('20002', served)).toBe('20002');
    expect(checkAccount(ACCOUNT, served)).toBe(ACCOUNT);
    expect(() => checkAccount('20003', served)).toThrow(UnknownAccountError);
    expect(() => parseSendRequest(JSON.stringify(valid), served)).toThrow(/account: required/);
    expect(parseSendRequest(JSON.stringify({ ...valid, account: '20002' }), served).account).toBe('20002');
  });

  it('names an unknown field by its first 64 characters only', () => {
    expect(refusalOf({ ...valid, ['f'.repeat(10_000)]: 1 })).toEqual({
      field: `${'f'.repeat(64)}…`,
      reason: 'unknown field',
    });
  });
});

describe('echo', () => {
  it('keeps 64 characters (code points) and marks a cut', () => {
    expect(echo('short')).toBe('short');
    expect(echo('a'.repeat(64))).toBe('a'.repeat(64));
    expect(echo('a'.repeat(65))).toBe(`${'a'.repeat(64)}…`);
    expect(echo('😀'.repeat(70))).toBe(`${'😀'.repeat(64)}…`);
    expect(echo('abc', 2)).toBe('ab…');
  });
});
