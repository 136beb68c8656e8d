import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import { decidePollAnswer, parseEvent } from '../../../lib/smartqq/poll.ts';
import { Session } from '../../../lib/smartqq/session.ts';
import { fixtureJson } from '../../support/fixtures.ts';

describe('parseEvent on the captured poll2 answer', () => {
  const result = fixtureJson('poll_messages.txt').result as unknown[];

  it('reads every event of the response, not only the first', () => {
    const events = result.map(parseEvent);
    expect(events.map((e) => e.kind)).toEqual(['friend_message', 'group_message', 'discussion_message']);
  });

  it('keeps gid, did, sender and msg_id apart', () => {
    const [friend, group, discussion] = result.map(parseEvent);
    expect(friend).toMatchObject({ kind: 'friend_message', fromUin: 3785096088, msgId: 25477, text: '好啊' });
    expect(group).toMatchObject({ kind: 'group_message', gid: 2323421101 });
    expect(group && 'senderUin' in group && typeof group.senderUin).toBe('number');
    expect(discussion).toMatchObject({ kind: 'discussion_message' });
    expect(discussion && 'did' in discussion && typeof discussion.did).toBe('number');
  });
});

describe('parseEvent on other kinds and bad shapes', () => {
  it('types status changes, kicks, temporary chats and notices', () => {
    expect(
      parseEvent({ poll_type: 'buddies_status_change', value: { uin: 1, status: 'away', client_type: 1 } }),
    ).toEqual({
      kind: 'status_change',
      uin: 1,
      status: 'away',
      clientType: 1,
    });
    expect(parseEvent({ poll_type: 'kick_message', value: { reason: '您的帐号在另一地点登录' } })).toEqual({
      kind: 'kick',
      reason: '您的帐号在另一地点登录',
    });
    expect(
      parseEvent({
        poll_type: 'sess_message',
        value: { from_uin: 5, msg_id: 9, time: 1, id: 77, service_type: 0, content: [['font', {}], 'hey'] },
      }),
    ).toMatchObject({ kind: 'temporary_message', fromUin: 5, viaId: 77, serviceType: 0, text: 'hey' });
    expect(parseEvent({ poll_type: 'input_notify', value: {} })).toMatchObject({
      kind: 'notice',
      pollType: 'input_notify',
    });
    expect(parseEvent({ poll_type: 'brand_new_kind', value: { a: 1 } })).toMatchObject({
      kind: 'notice',
      pollType: 'brand_new_kind',
    });
  });

  it('keeps an unreadable message as an unreadable event instead of throwing', () => {
    expect(parseEvent({ poll_type: 'message', value: { from_uin: 'x', content: [] } })).toMatchObject({
      kind: 'unreadable',
      pollType: 'message',
      reason: 'from_uin is not a number',
    });
    expect(
      parseEvent({
        poll_type: 'group_message',
        value: { from_uin: 1, send_uin: 2, msg_id: 3, time: 4, content: 'no' },
      }),
    ).toMatchObject({
      kind: 'unreadable',
    });
    expect(parseEvent(null)).toMatchObject({ kind: 'unreadable', pollType: '(none)' });
  });

  it('takes ids, msg_ids and times only as non-negative safe integers', () => {
    const friend = (value: Record<string, unknown>) =>
      parseEvent({
        poll_type: 'message',
        value: { from_uin: 5, msg_id: 9, time: 1, content: [['font', {}], 'hi'], ...value },
      });
    for (const bad of [1.5, -1, 1e300, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(friend({ from_uin: bad }), String(bad)).toMatchObject({
        kind: 'unreadable',
        reason: 'from_uin is not a non-negative integer',
      });
      expect(friend({ msg_id: bad })).toMatchObject({ kind: 'unreadable' });
      expect(friend({ time: bad })).toMatchObject({ kind: 'unreadable' });
    }
    // group_code wins, from_uin is the fallback; a bad group_code falls back too.
    expect(
      parseEvent({
        poll_type: 'group_message',
        value: { group_code: 0.5, from_uin: 7, send_uin: 8, msg_id: 1, time: 1, content: ['x'] },
      }),
    ).toMatchObject({ kind: 'group_message', gid: 7 });
    // Optional numbers that are no id are left out, not kept as NaN, Infinity or fractions.
    const temporary = parseEvent({
      poll_type: 'sess_message',
      value: {
        from_uin: 5,
        msg_id: 9,
        time: 1,
        id: Number.POSITIVE_INFINITY,
        service_type: 0.5,
        content: ['hey'],
      },
    });
    expect(temporary).toMatchObject({ kind: 'temporary_message', fromUin: 5 });
    expect(temporary).not.toHaveProperty('viaId');
    expect(temporary).not.toHaveProperty('serviceType');
    expect(
      parseEvent({
        poll_type: 'buddies_status_change',
        value: { uin: 1, status: 'online', client_type: -1 },
      }),
    ).toEqual({ kind: 'status_change', uin: 1, status: 'online' });
  });
});

describe('decidePollAnswer', () => {
  const session = new Session(new CookieJar(), {
    ptwebqq: 'p',
    vfwebqq: 'v',
    psessionid: 's',
    uin: 1,
    linkedAt: 0,
  });

  it('reads every empty-hold body as nothing_yet', async () => {
    for (const body of [
      { retcode: 102, errmsg: '' },
      { errmsg: 'error', retcode: 0 },
      { retcode: 100012, errmsg: 'error!!!' },
      { retcode: 0, retmsg: 'ok', errmsg: 'error' },
      { retcode: 0, result: [] },
    ]) {
      expect(await decidePollAnswer(body, session), JSON.stringify(body)).toEqual({ kind: 'nothing_yet' });
    }
  });

  it('reads the captured 103 body as not_registered, whatever result it carries', async () => {
    expect(await decidePollAnswer(fixtureJson('103_response.txt'), session)).toEqual({
      kind: 'not_registered',
      retcode: 103,
    });
  });

  it('refuses a result that is not an array, and a 116 without p', async () => {
    expect(await decidePollAnswer({ retcode: 0, result: {} }, session)).toMatchObject({ kind: 'error' });
    expect(await decidePollAnswer({ retcode: 116 }, session)).toMatchObject({ kind: 'error' });
    expect(session.tokens.ptwebqq).toBe('p');
  });

  it('refuses a 116 whose p a Cookie header could not carry, and keeps the old ptwebqq', async () => {
    for (const p of ['', 'a b', 'a;b', 'a\nb', 'a"b', 'a,b', '中', 'x'.repeat(1025)]) {
      expect(await decidePollAnswer({ retcode: 116, p }, session), JSON.stringify(p)).toEqual({
        kind: 'error',
        error: expect.objectContaining({
          message: 'poll2: retcode 116 with a "p" that is not a cookie value',
        }),
      });
    }
    expect(session.tokens.ptwebqq).toBe('p');
    expect(await decidePollAnswer({ retcode: 116, p: 'f'.repeat(64) }, session)).toEqual({
      kind: 'ptwebqq_rotated',
      ptwebqq: 'f'.repeat(64),
    });
    session.tokens = { ...session.tokens, ptwebqq: 'p' };
  });

  it('refuses a retcode that is not an integer', async () => {
    for (const retcode of [1.5, Number.POSITIVE_INFINITY, -0.5]) {
      expect(await decidePollAnswer({ retcode }, session)).toEqual({
        kind: 'error',
        error: expect.objectContaining({ message: 'poll2: retcode is not an integer' }),
      });
    }
  });
});
