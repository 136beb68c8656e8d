import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UnknownAccountError } from '../../../lib/send-api/errors.ts';
import { MAX_TEXT_CHARS, parseIdempotencyKey, parseSendRequest } from '../../../lib/send-api/request.ts';

const ACCOUNT = '20001';
const valid = { type: 'friend', to: { name: 'Ali' }, text: 'hi' };

/** The field and reason of the error a body is refused with. */
function refusal(body: string | undefined): { field: string; reason: string } {
  try {
    parseSendRequest(body, ACCOUNT);
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
    expect(parseSendRequest(JSON.stringify(valid), ACCOUNT)).toEqual({
      account: ACCOUNT,
      type: 'friend',
      to: { name: 'Ali' },
      text: 'hi',
    });
    expect(
      parseSendRequest(
        JSON.stringify({ type: 'group', to: { uin: 3_000_000_001 }, text: 'x', account: ACCOUNT }),
        ACCOUNT,
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
    expect(parseSendRequest(JSON.stringify({ ...valid, text: longest }), ACCOUNT).text).toBe(longest);
    expect(refusalOf({ ...valid, text: `${longest}x` })).toEqual({
      field: 'text',
      reason: `too long: at most ${MAX_TEXT_CHARS} characters`,
    });
  });

  it('refuses another account than the deployment one', () => {
    expect(() => parseSendRequest(JSON.stringify({ ...valid, account: '30001' }), ACCOUNT)).toThrow(
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
