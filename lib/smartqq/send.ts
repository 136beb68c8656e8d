/**
 * Sending to a friend, a group or a discussion (docs/protocol.md §5): face markers to faces, split at
 * 720 UTF-8 bytes, `content` as a JSON *string* with the font last, and a typed result.
 *
 * A 1202 is never resent here: it was often delivered anyway, and bots that resent it flooded groups.
 */
import { parseJsonAnswer, type SmartQQApi } from './api.ts';
import { encodeContent, parseFaceMarkers, type Segment, splitForSending } from './content.ts';
import { CLIENT_ID } from './endpoints.ts';
import { SmartQQNetworkError, SmartQQProtocolError } from './errors.ts';
import { decideRetcode, type Verdict } from './retcode.ts';
import type { Session } from './session.ts';

export type SendTarget =
  | { readonly kind: 'friend'; readonly uin: number }
  | { readonly kind: 'group'; readonly gid: number }
  | { readonly kind: 'discussion'; readonly did: number };

export type SendResult =
  | { readonly status: 'sent'; readonly parts: number }
  /** 1202, or no readable answer: it may have been delivered. Do not resend blindly. */
  | {
      readonly status: 'uncertain';
      readonly retcode?: number;
      readonly reason: string;
      readonly partsSent: number;
      readonly parts: number;
    }
  /** The session cannot send (expired, needs relink): relink, else a new QR. */
  | {
      readonly status: 'session_problem';
      readonly retcode: number;
      readonly verdict: Verdict;
      readonly partsSent: number;
      readonly parts: number;
    }
  /** The request never left this machine (SmartQQ unreachable): nothing sent, safe to try again. */
  | {
      readonly status: 'not_sent';
      readonly reason: string;
      readonly partsSent: number;
      readonly parts: number;
    }
  /** Refused for this message (bad request, too frequent, empty text): not sent. */
  | {
      readonly status: 'rejected';
      readonly retcode?: number;
      readonly reason: string;
      readonly partsSent: number;
      readonly parts: number;
    };

/** The face id the web client always sent in `r.face` (the sender's avatar). */
const SENDER_FACE = 522;

const ENDPOINT = {
  friend: 'send_buddy_msg2',
  group: 'send_qun_msg2',
  discussion: 'send_discu_msg2',
} as const;

/**
 * Sends `text` (with `/微笑` or `[微笑]` face markers) as one or more messages, part after part,
 * stopping at the first part that is not surely sent.
 */
export async function sendText(
  api: SmartQQApi,
  session: Session,
  target: SendTarget,
  text: string,
  nextMsgId: () => number | Promise<number>,
): Promise<SendResult> {
  const parts = splitForSending(parseFaceMarkers(text));
  if (parts.length === 0) return { status: 'rejected', reason: 'empty message', partsSent: 0, parts: 0 };
  for (const [index, part] of parts.entries()) {
    const outcome = await sendOne(api, session, target, encodeContent(part), await nextMsgId());
    if (outcome.status !== 'sent') return { ...outcome, partsSent: index, parts: parts.length };
  }
  return { status: 'sent', parts: parts.length };
}

/** One message of exactly these segments: no split (the caller split, and keeps track of parts). */
export async function sendMessage(
  api: SmartQQApi,
  session: Session,
  target: SendTarget,
  segments: readonly Segment[],
  nextMsgId: () => number | Promise<number>,
): Promise<SendResult> {
  if (segments.length === 0) return { status: 'rejected', reason: 'empty message', partsSent: 0, parts: 0 };
  const outcome = await sendOne(api, session, target, encodeContent(segments), await nextMsgId());
  return outcome.status === 'sent' ? { status: 'sent', parts: 1 } : { ...outcome, partsSent: 0, parts: 1 };
}

type PartOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'uncertain'; readonly retcode?: number; readonly reason: string }
  | { readonly status: 'session_problem'; readonly retcode: number; readonly verdict: Verdict }
  | { readonly status: 'rejected'; readonly retcode?: number; readonly reason: string }
  | { readonly status: 'not_sent'; readonly reason: string };

async function sendOne(
  api: SmartQQApi,
  session: Session,
  target: SendTarget,
  content: string,
  msgId: number,
): Promise<PartOutcome> {
  const endpoint = ENDPOINT[target.kind];
  const to =
    target.kind === 'friend'
      ? { to: target.uin }
      : target.kind === 'group'
        ? { group_uin: target.gid }
        : { did: target.did };
  let answer: ReturnType<typeof parseJsonAnswer>;
  try {
    const response = await api.raw({
      endpoint,
      role: 'd1web2',
      path: `/channel/${endpoint}`,
      r: {
        ...to,
        content,
        face: SENDER_FACE,
        clientid: CLIENT_ID,
        msg_id: msgId,
        psessionid: session.tokens.psessionid,
      },
    });
    answer = parseJsonAnswer(endpoint, response);
  } catch (err) {
    if (err instanceof SmartQQProtocolError && err.status === 403) {
      return { status: 'session_problem', retcode: 403, verdict: 'session_expired' };
    }
    if (err instanceof SmartQQNetworkError && err.neverSent)
      return { status: 'not_sent', reason: err.message };
    // nginx's 404 page: the request found no backend to handle it, so nothing was sent (the same
    // transient 404 the s.web2 calls are retried on, docs/protocol.md §1).
    if (err instanceof SmartQQProtocolError && err.status === 404)
      return { status: 'not_sent', reason: err.message };
    if (err instanceof SmartQQProtocolError || err instanceof SmartQQNetworkError) {
      // The request may have reached the server: treat it as possibly delivered, never as failed.
      return { status: 'uncertain', reason: err.message };
    }
    throw err;
  }
  return decideSendAnswer(answer);
}

/** Success is `errCode == 0 || retcode == 0 || retcode == 100100` (docs/protocol.md §5). */
export function decideSendAnswer(answer: { retcode?: number; errCode?: number }): PartOutcome {
  if (answer.errCode === 0) return { status: 'sent' };
  const retcode = answer.retcode ?? answer.errCode ?? -1;
  const verdict = decideRetcode(retcode, 'send');
  switch (verdict) {
    case 'ok':
      return { status: 'sent' };
    case 'uncertain':
      return { status: 'uncertain', retcode, reason: `retcode ${retcode}` };
    case 'session_expired':
    case 'relink':
    case 'not_registered':
      return { status: 'session_problem', retcode, verdict };
    default:
      return { status: 'rejected', retcode, reason: `retcode ${retcode} (${verdict})` };
  }
}
