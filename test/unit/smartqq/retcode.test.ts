import { describe, expect, it } from 'vitest';
import { decideRetcode } from '../../../lib/smartqq/retcode.ts';
import { decideSendAnswer } from '../../../lib/smartqq/send.ts';
import { fixtureJson } from '../../support/fixtures.ts';

describe('decideRetcode: every retcode of docs/protocol.md §4', () => {
  const table: [number, 'poll' | 'send' | 'other', string][] = [
    [0, 'poll', 'ok'],
    [102, 'poll', 'nothing_yet'],
    [100012, 'poll', 'nothing_yet'],
    [100012, 'send', 'session_expired'],
    [103, 'poll', 'not_registered'],
    [116, 'poll', 'ptwebqq_rotated'],
    [120, 'poll', 'relink'],
    [121, 'other', 'relink'],
    [100000, 'other', 'session_expired'],
    [100001, 'poll', 'session_expired'],
    [100003, 'send', 'too_frequent'],
    [100006, 'poll', 'malformed_request'],
    [6, 'other', 'wrong_id'],
    [1202, 'send', 'uncertain'],
    [1202, 'poll', 'unknown'],
    [100100, 'send', 'ok'],
    [100100, 'poll', 'unknown'],
    [102, 'send', 'unknown'],
    [424242, 'poll', 'unknown'],
  ];
  for (const [retcode, kind, verdict] of table) {
    it(`${retcode} on ${kind} → ${verdict}`, () => {
      expect(decideRetcode(retcode, kind)).toBe(verdict);
    });
  }
});

describe('decideSendAnswer', () => {
  it('treats the captured 2015–2017 success body as sent', () => {
    expect(decideSendAnswer(fixtureJson('send_message.txt'))).toEqual({ status: 'sent' });
  });
  it('treats retcode 0 and 100100 as sent, 1202 as uncertain, 100012 as a session problem', () => {
    expect(decideSendAnswer({ retcode: 0 })).toEqual({ status: 'sent' });
    expect(decideSendAnswer({ retcode: 100100 })).toEqual({ status: 'sent' });
    expect(decideSendAnswer({ retcode: 1202 })).toMatchObject({ status: 'uncertain', retcode: 1202 });
    expect(decideSendAnswer({ retcode: 100012 })).toMatchObject({
      status: 'session_problem',
      retcode: 100012,
    });
    expect(decideSendAnswer({ errCode: 5 })).toMatchObject({ status: 'rejected', retcode: 5 });
  });
});
