/**
 * Where a SmartQQ retcode is decided (docs/protocol.md §4 "Retcodes" and §5). Every call's answer is
 * reduced to one of these verdicts; the callers act on the verdict, never on raw numbers.
 */

export type Verdict =
  /** Success. For poll2 without `result`, see `nothing_yet`. */
  | 'ok'
  /** poll2: the hold ended empty (102, 100012 in 2018, retcode 0 without result, 502/504). */
  | 'nothing_yet'
  /** 103: psessionid not registered yet; call get_online_buddies2, and if that fails the session is dead. */
  | 'not_registered'
  /** 116: the server rotated ptwebqq; the answer's `p` is the new one. */
  | 'ptwebqq_rotated'
  /** 120, 121: re-run login2 (relink); if that fails, a new QR scan is needed. */
  | 'relink'
  /** 100000, 100001 (and 100012 on send): bad cookies or an expired session; relink, else a new QR. */
  | 'session_expired'
  /** 100003: too frequent; back off and retry later. */
  | 'too_frequent'
  /** 100006: malformed request, a bug on our side: do not retry. */
  | 'malformed_request'
  /** 6: a gid where a group code was wanted, a bug: do not retry. */
  | 'wrong_id'
  /** 1202 on send: often delivered anyway; never resend blindly (bots that did flooded groups). */
  | 'uncertain'
  | 'unknown';

export type CallKind = 'poll' | 'send' | 'other';

export function decideRetcode(retcode: number, kind: CallKind): Verdict {
  switch (retcode) {
    case 0:
      return 'ok';
    case 100100:
      // send_discu_msg2 answered 100100 for a delivered message.
      return kind === 'send' ? 'ok' : 'unknown';
    case 102:
      return kind === 'poll' ? 'nothing_yet' : 'unknown';
    case 100012:
      // The same number meant "nothing yet" on poll2 (2018) and "session expired" on sends (2016–17).
      return kind === 'poll' ? 'nothing_yet' : 'session_expired';
    case 103:
      return 'not_registered';
    case 116:
      return 'ptwebqq_rotated';
    case 120:
    case 121:
      return 'relink';
    case 100000:
    case 100001:
      return 'session_expired';
    case 100003:
      return 'too_frequent';
    case 100006:
      return 'malformed_request';
    case 6:
      return 'wrong_id';
    case 1202:
      return kind === 'send' ? 'uncertain' : 'unknown';
    default:
      return 'unknown';
  }
}

/** HTTP statuses that end a poll2 hold normally (nginx in front of the long poll). */
export function isEmptyPollStatus(status: number): boolean {
  return status === 502 || status === 504;
}
