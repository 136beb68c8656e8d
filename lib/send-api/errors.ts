/**
 * The send API's domain errors: typed and HTTP-free. The send function's error middleware maps each
 * one to a status and a JSON body (`functions/send/responses.ts`); anything else is a plain 500.
 *
 * Messages never carry a secret (token, cookies, ptwebqq, vfwebqq, psessionid): they are answered.
 * Nor more than a short piece of what the caller sent (`echo`): they are answered and logged.
 */
import type { SessionState } from '../pipeline/ports.ts';

/** The request is malformed: `field` names where (`to.uin`, `text`, `body`, `Idempotency-Key`). */
export class InvalidRequestError extends Error {
  override readonly name: string = 'InvalidRequestError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** A QQ number: 5 to 12 digits, not starting with 0 (as `ACCOUNT` in lib/config.ts). */
export const QQ_NUMBER_PATTERN = /^[1-9][0-9]{4,11}$/;

/**
 * An account this deployment does not send for (not configured, nor added to the registry). The account is
 * repeated only when it looks like a QQ number (at most 12 digits): never a caller's long string.
 */
export class UnknownAccountError extends InvalidRequestError {
  override readonly name = 'UnknownAccountError';
  constructor(readonly account: string) {
    super('account', QQ_NUMBER_PATTERN.test(account) ? `unknown account ${account}` : 'unknown account');
  }
}

/**
 * The body is larger than the send API reads (`MAX_BODY_BYTES` in request.ts): refused before it is
 * parsed, and nothing is sent.
 */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`the body is ${bytes} bytes; at most ${maxBytes} bytes are accepted`);
  }
}

/** How many characters of a caller's own string an answer or a log line repeats. */
export const MAX_ECHO_CHARS = 64;

/**
 * A caller's string as answers and logs repeat it: its first `max` characters (code points), and
 * `…` when there were more. Enough to recognise it; never a caller-sized answer or log line.
 */
export function echo(s: string, max = MAX_ECHO_CHARS): string {
  let shown = '';
  let count = 0;
  for (const char of s) {
    if (count === max) return `${shown}…`;
    shown += char;
    count++;
  }
  return shown;
}

/** No bearer token, or not the right one. Says nothing about which. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  constructor() {
    super('a valid bearer token is required');
  }
}

export type ChatType = 'friend' | 'group' | 'discussion';

/** No friend, group or discussion of the current contacts has that name or id. */
export class RecipientNotFoundError extends Error {
  override readonly name = 'RecipientNotFoundError';
  constructor(
    readonly type: ChatType,
    readonly to: { readonly uin: number } | { readonly name: string },
  ) {
    super(
      'uin' in to
        ? `no ${type} has the current id ${to.uin}`
        : `no ${type} is named ${JSON.stringify(echo(to.name))}`,
    );
  }
}

export interface Candidate {
  /** The name as the contacts list shows it (a friend: `markname (nick)` when there is a markname). */
  readonly name: string;
  /** The current id, to send again with `{"uin": …}`. */
  readonly uin: number;
}

/** Several contacts answer to the name: the caller chooses one by its current id. */
export class AmbiguousRecipientError extends Error {
  override readonly name = 'AmbiguousRecipientError';
  constructor(
    readonly type: ChatType,
    readonly requested: string,
    readonly candidates: readonly Candidate[],
  ) {
    super(
      `${candidates.length} ${type} contacts are named ${JSON.stringify(echo(requested))}: send to one by its uin`,
    );
  }
}

/** The account's session cannot send now: the owner must scan a QR (or a relink is under way). */
export class SessionOfflineError extends Error {
  override readonly name = 'SessionOfflineError';
  constructor(
    readonly account: string,
    readonly state: SessionState,
    /** When the state began (ms since epoch); undefined when the account never logged in. */
    readonly since: number | undefined,
    readonly reason: string | undefined,
  ) {
    super(`the session of account ${account} is ${state}, not online`);
  }
}

/** The session is online but the contacts of this login are not loaded yet (ids change on each login). */
export class ContactsUnavailableError extends Error {
  override readonly name = 'ContactsUnavailableError';
  constructor(readonly account: string) {
    super(`the contacts of the current login of account ${account} are not loaded yet; try again shortly`);
  }
}

/** Send pacing forbids a message now (DESIGN.md invariant 5). */
export class PacingError extends Error {
  override readonly name = 'PacingError';
  constructor(readonly retryAfterMs: number) {
    super(`too many messages: the next one may be sent in ${retryAfterMs} ms`);
  }
}

/** A request with this Idempotency-Key is being handled right now. */
export class IdempotencyInProgressError extends Error {
  override readonly name = 'IdempotencyInProgressError';
  constructor() {
    super('a request with this Idempotency-Key is in progress');
  }
}

/** The Idempotency-Key was used before with a different request. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super('this Idempotency-Key was used with a different request');
  }
}

/** SmartQQ answered that the message was not sent (the session cannot send, or it was refused). */
export class UpstreamSendError extends Error {
  override readonly name = 'UpstreamSendError';
  constructor(
    /** `not_sent`: SmartQQ could not be reached at all; nothing went out, and the key is free again. */
    readonly result: 'session_problem' | 'rejected' | 'not_sent',
    readonly retcode: number | undefined,
    readonly partsSent: number,
    readonly parts: number,
  ) {
    super(
      `SmartQQ did not send the message: ${result}${retcode === undefined ? '' : ` (retcode ${retcode})`}`,
    );
  }
}

/** The account is paused (`npm run accounts -- pause`): nothing is sent for it until it is resumed. */
export class AccountPausedError extends Error {
  override readonly name = 'AccountPausedError';
  constructor(readonly account: string) {
    super(`account ${account} is paused: resume it to send (npm run accounts -- resume ${account})`);
  }
}
