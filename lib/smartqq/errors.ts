import type { Verdict } from './retcode.ts';

/**
 * Errors of the SmartQQ client. Messages name the endpoint and what was wrong, never a secret
 * (cookie values, ptwebqq, vfwebqq, psessionid are not put in messages).
 */

/** An answer that was not what the protocol promises: bad JSON, a missing field, an unexpected status. */
export class SmartQQProtocolError extends Error {
  override readonly name = 'SmartQQProtocolError';
  constructor(
    readonly endpoint: string,
    readonly reason: string,
    readonly status?: number,
  ) {
    super(`${endpoint}: ${reason}`);
  }
}

/** The request did not get an answer at all: connection refused or reset, timeout. */
export class SmartQQNetworkError extends Error {
  override readonly name = 'SmartQQNetworkError';
  constructor(
    readonly endpoint: string,
    readonly reason: string,
    /** The request never left this machine (refused at connect, no DNS answer): safe to repeat. */
    readonly neverSent = false,
  ) {
    super(`${endpoint}: ${reason}`);
  }
}

/** A call answered with a non-zero retcode; `verdict` says what it means (see retcode.ts). */
export class SmartQQRetcodeError extends Error {
  override readonly name = 'SmartQQRetcodeError';
  constructor(
    readonly endpoint: string,
    readonly retcode: number,
    readonly verdict: Verdict,
  ) {
    super(`${endpoint}: retcode ${retcode} (${verdict})`);
  }
}
