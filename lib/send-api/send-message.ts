/**
 * The send flow of `POST /v1/messages`: idempotency → session state → recipient → pacing → SmartQQ
 * send → result. Ports are injected; no HTTP here (errors are the domain's, see errors.ts).
 *
 * The Idempotency-Key is looked at first, before the session and pacing checks: a retry of a request
 * that was answered gets the same answer even if the session went offline since or the pacing slot
 * is taken, and a replay never consumes a pacing slot. A claim is given back when the request fails
 * before SmartQQ was called (nothing was sent, a retry may run); once SmartQQ was called it is
 * completed with the outcome, whatever it is, so the same key never sends twice.
 */
import { createHash } from 'node:crypto';
import { reportApiSend } from '../pipeline/activity.ts';
import type { IdempotencyStore, SendPace, SendPacing, SessionStore } from '../pipeline/ports.ts';
import { parseFaceMarkers, splitForSending } from '../smartqq/content.ts';
import type { SendResult } from '../smartqq/send.ts';
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  PacingError,
  UpstreamSendError,
} from './errors.ts';
import { currentLogin, resolveRecipient } from './recipients.ts';
import type { SendRequest } from './request.ts';
import type { MessageSender } from './sender.ts';

/** A claim outlives any send (API Gateway gives a function 29 s at most), so it never lapses mid-send. */
export const IDEMPOTENCY_CLAIM_SECONDS = 300;
/** How long a key's answer is kept and replayed. */
export const IDEMPOTENCY_RESULT_SECONDS = 24 * 60 * 60;

export interface SendFlowDeps {
  readonly sessions: SessionStore;
  readonly pacing: SendPacing;
  readonly idempotency: IdempotencyStore;
  readonly sender: MessageSender;
  /** The account's send pace, shared with the replies (an interval of 0 turns it off). */
  readonly sendPace: SendPace;
  readonly now: () => number;
}

/** What the caller is answered with 200. 1202 (or no readable answer) is uncertain and never resent. */
export type Delivery =
  | { readonly status: 'sent'; readonly parts: number }
  | {
      readonly status: 'uncertain';
      readonly retcode?: number;
      readonly partsSent: number;
      readonly parts: number;
    };

/** Every outcome of a SmartQQ call, as kept for an Idempotency-Key. */
export type SendOutcome =
  | Delivery
  | {
      readonly status: 'failed';
      readonly result: 'session_problem' | 'rejected' | 'not_sent';
      readonly retcode?: number;
      readonly partsSent: number;
      readonly parts: number;
    };

/** What is kept under an Idempotency-Key: the request's fingerprint and its outcome. */
export interface StoredSend {
  readonly fingerprint: string;
  readonly outcome: SendOutcome;
}

export interface SendReport {
  readonly outcome: SendOutcome;
  /** The answer was replayed from an earlier request with the same Idempotency-Key: nothing sent now. */
  readonly replayed: boolean;
  /** The contact's name (absent on a replay). */
  readonly recipient?: string;
  /** SmartQQ's own answer (absent on a replay): its reason or verdict and retcode, no secret. */
  readonly upstream?: SendResult;
  /** Why the outcome could not be kept under the Idempotency-Key (the caller logs it). */
  readonly notRecorded?: Error;
}

/**
 * Sends `request`, once per Idempotency-Key, and reports SmartQQ's outcome (or the first request's,
 * on a replay); `answerFor` turns it into the answer. Throws a domain error for a request refused
 * before anything was sent.
 */
export async function sendMessage(
  deps: SendFlowDeps,
  request: SendRequest,
  idempotencyKey?: string,
): Promise<SendReport> {
  if (idempotencyKey === undefined) {
    const sent = await attempt(deps, request).catch(unwrap);
    return { outcome: sent.outcome, replayed: false, recipient: sent.recipient, upstream: sent.upstream };
  }

  const key = `send|${request.account}|${idempotencyKey}`;
  const fingerprint = fingerprintOf(request);
  const claim = await deps.idempotency.claim<StoredSend>(key, IDEMPOTENCY_CLAIM_SECONDS, deps.now());
  if (claim.status === 'in_progress') throw new IdempotencyInProgressError();
  if (claim.status === 'done') {
    if (claim.result.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
    return { outcome: claim.result.outcome, replayed: true };
  }
  if (claim.status === 'lapsed') {
    // The first request died after its claim, maybe after SmartQQ took the message: uncertain, and
    // kept so, never sent again (at most once, as for the replies).
    const outcome = attemptedUnknown(request);
    await deps.idempotency.complete<StoredSend>(
      key,
      { fingerprint, outcome },
      IDEMPOTENCY_RESULT_SECONDS,
      deps.now(),
    );
    return { outcome, replayed: true };
  }

  let sent: Attempt;
  try {
    sent = await attempt(deps, request);
  } catch (err) {
    // Once SmartQQ was called the message may be out, whatever broke after: the key keeps an
    // uncertain outcome rather than let a retry send it again.
    if (!(err instanceof CalledUpstreamError)) await deps.idempotency.release(key);
    else
      await deps.idempotency
        .complete<StoredSend>(
          key,
          { fingerprint, outcome: attemptedUnknown(request) },
          IDEMPOTENCY_RESULT_SECONDS,
          deps.now(),
        )
        .catch(() => undefined); // the claim stays in progress, then lapses: uncertain all the same
    return unwrap(err);
  }
  let notRecorded: Error | undefined;
  try {
    await deps.idempotency.complete<StoredSend>(
      key,
      { fingerprint, outcome: sent.outcome },
      IDEMPOTENCY_RESULT_SECONDS,
      deps.now(),
    );
  } catch (err) {
    // The message went out: answer it rather than fail and invite a retry that might send it again.
    notRecorded = err instanceof Error ? err : new Error(String(err));
  }
  return {
    outcome: sent.outcome,
    replayed: false,
    recipient: sent.recipient,
    upstream: sent.upstream,
    ...(notRecorded === undefined ? {} : { notRecorded }),
  };
}

interface Attempt {
  readonly outcome: SendOutcome;
  readonly recipient: string;
  readonly upstream: SendResult;
}

/** Wraps an error thrown once SmartQQ was called, so the idempotency claim is kept. */
class CalledUpstreamError extends Error {
  override readonly name = 'CalledUpstreamError';
  constructor(override readonly cause: unknown) {
    super('failed after SmartQQ was called');
  }
}

function unwrap(err: unknown): never {
  throw err instanceof CalledUpstreamError ? err.cause : err;
}

async function attempt(deps: SendFlowDeps, request: SendRequest): Promise<Attempt> {
  const { session, contacts } = currentLogin(await deps.sessions.get(request.account), request.account);
  const recipient = resolveRecipient(contacts, request.type, request.to);
  if (deps.sendPace.intervalMs > 0) {
    const turn = await deps.pacing.take(request.account, deps.sendPace, deps.now(), 0);
    if (!turn.ok) throw new PacingError(turn.retryAfterMs);
  }
  let upstream: SendResult;
  try {
    upstream = await deps.sender.send(request.account, session, recipient.target, request.text);
  } catch (err) {
    throw new CalledUpstreamError(err);
  }
  // Refused at connect: nothing left this machine, so the Idempotency-Key is given back for a retry.
  if (upstream.status === 'not_sent') throw new UpstreamSendError('not_sent', undefined, 0, upstream.parts);
  reportApiSend({
    account: request.account,
    chatType: request.type,
    to: recipient.name,
    text: request.text,
    status: upstream.status,
    ...('retcode' in upstream && upstream.retcode !== undefined ? { retcode: upstream.retcode } : {}),
  });
  return { outcome: outcomeOf(upstream), recipient: recipient.name, upstream };
}

function outcomeOf(result: SendResult): SendOutcome {
  switch (result.status) {
    case 'sent':
      return { status: 'sent', parts: result.parts };
    case 'uncertain':
      return {
        status: 'uncertain',
        ...(result.retcode === undefined ? {} : { retcode: result.retcode }),
        partsSent: result.partsSent,
        parts: result.parts,
      };
    case 'not_sent':
      return { status: 'failed', result: 'not_sent', partsSent: result.partsSent, parts: result.parts };
    case 'session_problem':
    case 'rejected':
      return {
        status: 'failed',
        result: result.status,
        ...(result.retcode === undefined ? {} : { retcode: result.retcode }),
        partsSent: result.partsSent,
        parts: result.parts,
      };
  }
}

/** A send that was attempted and whose outcome nobody saw: none of its parts is known to be out. */
function attemptedUnknown(request: SendRequest): SendOutcome {
  return { status: 'uncertain', partsSent: 0, parts: splitForSending(parseFaceMarkers(request.text)).length };
}

/** The answer for an outcome: a delivery, or `UpstreamSendError` when SmartQQ did not send it. */
export function answerFor(outcome: SendOutcome): Delivery {
  if (outcome.status !== 'failed') return outcome;
  throw new UpstreamSendError(outcome.result, outcome.retcode, outcome.partsSent, outcome.parts);
}

/** Same key with a different request is refused: the fingerprint is over every field that matters. */
export function fingerprintOf(request: SendRequest): string {
  const to = 'uin' in request.to ? { uin: request.to.uin } : { name: request.to.name };
  return createHash('sha256')
    .update(JSON.stringify([request.account, request.type, to, request.text]))
    .digest('hex');
}
