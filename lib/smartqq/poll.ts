/**
 * poll2, the long poll (docs/protocol.md §4). One call returns every event of the response as typed
 * events, and every other answer as a typed outcome the caller acts on.
 *
 * A poll is never aborted: the server takes events off its queue when it writes the answer, so a
 * client that gives up mid-answer loses them. The caller says how long it can wait, and a poll that
 * might not finish in that time is not started. The one exception is an answer past the HTTP
 * client's size limit (`MAX_RESPONSE_BYTES`, 4 MiB, far above any real one): it is dropped and
 * answered as an `error` outcome rather than held in memory whatever its size.
 */
import { parseJsonAnswer, type SmartQQApi } from './api.ts';
import { decodeContent, type Segment } from './content.ts';
import { CLIENT_ID } from './endpoints.ts';
import { SmartQQNetworkError, SmartQQProtocolError } from './errors.ts';
import { decideRetcode, isEmptyPollStatus } from './retcode.ts';
import type { Session } from './session.ts';

interface MessageFields {
  readonly msgId: number;
  /** Unix seconds, as the server stamped it. */
  readonly time: number;
  readonly segments: readonly Segment[];
  /** Plain text: entities unescaped, `\r\n` → `\n`, faces as `[name]`. */
  readonly text: string;
}

export type PollEvent =
  | ({ readonly kind: 'friend_message'; readonly fromUin: number } & MessageFields)
  | ({ readonly kind: 'group_message'; readonly gid: number; readonly senderUin: number } & MessageFields)
  | ({
      readonly kind: 'discussion_message';
      readonly did: number;
      readonly senderUin: number;
    } & MessageFields)
  /** A temporary chat (临时会话) through a group or discussion. */
  | ({
      readonly kind: 'temporary_message';
      readonly fromUin: number;
      readonly serviceType?: number;
      readonly viaId?: number;
    } & MessageFields)
  | {
      readonly kind: 'status_change';
      readonly uin: number;
      readonly status: string;
      readonly clientType?: number;
    }
  /** Logged in elsewhere: this session is over. */
  | { readonly kind: 'kick'; readonly reason: string }
  /** input_notify, group_web_message, sys_g_msg, system_message, file_message, tips, and unknown kinds. */
  | { readonly kind: 'notice'; readonly pollType: string; readonly value: unknown }
  /** An event whose shape was not what the protocol promises; kept (not dropped) so it can be logged. */
  | {
      readonly kind: 'unreadable';
      readonly pollType: string;
      readonly reason: string;
      readonly value: unknown;
    };

export type PollOutcome =
  | { readonly kind: 'events'; readonly events: readonly PollEvent[] }
  /** The hold ended with nothing: any of the empty-poll variants of every era. */
  | { readonly kind: 'nothing_yet' }
  /** 103: call get_online_buddies2; if that fails the session is dead. */
  | { readonly kind: 'not_registered'; readonly retcode: number }
  /** 116: the new ptwebqq is already stored in the session; save the session. */
  | { readonly kind: 'ptwebqq_rotated'; readonly ptwebqq: string }
  /** 120, 121: relink; if that fails a new QR is needed. */
  | { readonly kind: 'relink'; readonly retcode: number }
  /** 100000, 100001: relink; if that fails a new QR is needed. */
  | { readonly kind: 'session_expired'; readonly retcode: number }
  /** 100003: back off before polling again. */
  | { readonly kind: 'too_frequent'; readonly retcode: number }
  /** 100006, 6 or a retcode nobody documented: a bug or an unknown state; do not loop on it. */
  | { readonly kind: 'rejected'; readonly retcode: number }
  /** No usable answer (network error, HTTP error, malformed body). */
  | { readonly kind: 'error'; readonly error: SmartQQProtocolError | SmartQQNetworkError }
  /** The caller's budget cannot hold a whole poll, so none was started. */
  | { readonly kind: 'not_started'; readonly reason: string };

export interface PollOptions {
  /** How long the caller can wait for this poll to finish, in ms. */
  readonly budgetMs: number;
}

export interface PollLimits {
  /** The longest hold the server may use (60 s usual, sometimes 120 s). */
  readonly maxHoldMs: number;
  /** Time for the answer to travel and be read after the hold ends. */
  readonly marginMs: number;
}

export const DEFAULT_POLL_LIMITS: PollLimits = { maxHoldMs: 120_000, marginMs: 5_000 };

/** The least budget a poll needs under `limits`. */
export function pollNeedsMs(limits: PollLimits): number {
  return limits.maxHoldMs + limits.marginMs;
}

export async function poll(
  api: SmartQQApi,
  session: Session,
  options: PollOptions,
  limits: PollLimits = DEFAULT_POLL_LIMITS,
): Promise<PollOutcome> {
  const needs = pollNeedsMs(limits);
  if (options.budgetMs < needs) {
    return { kind: 'not_started', reason: `budget ${options.budgetMs} ms < hold ${needs} ms` };
  }
  const { ptwebqq, psessionid } = session.tokens;
  let response: Awaited<ReturnType<SmartQQApi['raw']>>;
  try {
    response = await api.raw({
      endpoint: 'poll2',
      role: 'd1web2',
      path: '/channel/poll2',
      r: { ptwebqq, clientid: CLIENT_ID, psessionid, key: '' },
      // Only reached if the server broke its own hold limit: by then the budget is spent anyway.
      timeoutMs: options.budgetMs,
    });
  } catch (err) {
    // A network error, or an answer over the HTTP client's size limit (a protocol error): no events.
    if (err instanceof SmartQQNetworkError || err instanceof SmartQQProtocolError) {
      return { kind: 'error', error: err };
    }
    throw err;
  }
  if (isEmptyPollStatus(response.status)) return { kind: 'nothing_yet' };
  let answer: ReturnType<typeof parseJsonAnswer>;
  try {
    answer = parseJsonAnswer('poll2', response);
  } catch (err) {
    if (err instanceof SmartQQProtocolError) return { kind: 'error', error: err };
    throw err;
  }
  return decidePollAnswer(answer, session);
}

export async function decidePollAnswer(
  answer: ReturnType<typeof parseJsonAnswer>,
  session: Session,
): Promise<PollOutcome> {
  if (answer.retcode !== undefined && !Number.isSafeInteger(answer.retcode)) {
    return { kind: 'error', error: new SmartQQProtocolError('poll2', 'retcode is not an integer') };
  }
  const retcode = answer.retcode ?? 0;
  switch (decideRetcode(retcode, 'poll')) {
    case 'ok':
      // `{"errmsg":"error","retcode":0}` and `{"retcode":0,"retmsg":"ok","errmsg":"error"}` are empty holds.
      if (answer.result === undefined) return { kind: 'nothing_yet' };
      if (!Array.isArray(answer.result)) {
        return { kind: 'error', error: new SmartQQProtocolError('poll2', 'result is not an array') };
      }
      if (answer.result.length === 0) return { kind: 'nothing_yet' };
      return { kind: 'events', events: answer.result.map(parseEvent) };
    case 'nothing_yet':
      return { kind: 'nothing_yet' };
    case 'not_registered':
      return { kind: 'not_registered', retcode };
    case 'ptwebqq_rotated': {
      const p = answer.p;
      if (typeof p !== 'string') {
        return {
          kind: 'error',
          error: new SmartQQProtocolError('poll2', 'retcode 116 without a string "p"'),
        };
      }
      // It becomes a cookie: one that is empty or that a Cookie header cannot carry would break
      // every later call (a raw TypeError from node:http), so it is refused here.
      if (!COOKIE_VALUE.test(p)) {
        return {
          kind: 'error',
          error: new SmartQQProtocolError('poll2', 'retcode 116 with a "p" that is not a cookie value'),
        };
      }
      await session.rotatePtwebqq(p);
      return { kind: 'ptwebqq_rotated', ptwebqq: p };
    }
    case 'relink':
      return { kind: 'relink', retcode };
    case 'session_expired':
      return { kind: 'session_expired', retcode };
    case 'too_frequent':
      return { kind: 'too_frequent', retcode };
    default:
      return { kind: 'rejected', retcode };
  }
}

/**
 * A ptwebqq the jar can keep and send back: RFC 6265 cookie-octets (printable ASCII but `"`, `,`,
 * `;`, `\` and space). The real ones are 64 hex digits; the bound only keeps absurd ones out.
 */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{1,1024}$/;

const NOTICE_TYPES = new Set([
  'input_notify',
  'group_web_message',
  'sys_g_msg',
  'system_message',
  'file_message',
  'tips',
]);

/** One element of poll2's `result` array as a typed event; never throws. */
export function parseEvent(item: unknown): PollEvent {
  const pollType = isRecord(item) && typeof item.poll_type === 'string' ? item.poll_type : '(none)';
  const value = isRecord(item) ? item.value : undefined;
  try {
    if (!isRecord(value)) throw new Error('value is not an object');
    switch (pollType) {
      case 'message':
        return { kind: 'friend_message', fromUin: num(value, 'from_uin'), ...messageFields(value) };
      case 'group_message':
        return {
          kind: 'group_message',
          gid: num(value, 'group_code', 'from_uin'),
          senderUin: num(value, 'send_uin'),
          ...messageFields(value),
        };
      case 'discu_message':
        return {
          kind: 'discussion_message',
          did: num(value, 'did', 'from_uin'),
          senderUin: num(value, 'send_uin'),
          ...messageFields(value),
        };
      case 'sess_message':
        return {
          kind: 'temporary_message',
          fromUin: num(value, 'from_uin'),
          ...optionalNum(value, 'service_type', 'serviceType'),
          ...optionalNum(value, 'id', 'viaId'),
          ...messageFields(value),
        };
      case 'buddies_status_change':
        return {
          kind: 'status_change',
          uin: num(value, 'uin'),
          status: typeof value.status === 'string' ? value.status : '',
          ...optionalNum(value, 'client_type', 'clientType'),
        };
      case 'kick_message':
        return { kind: 'kick', reason: kickReason(value) };
      default:
        return { kind: 'notice', pollType, value };
    }
  } catch (err) {
    if (NOTICE_TYPES.has(pollType)) return { kind: 'notice', pollType, value };
    return { kind: 'unreadable', pollType, reason: (err as Error).message, value };
  }
}

function messageFields(value: Record<string, unknown>): MessageFields {
  const { segments, text } = decodeContent(value.content);
  return { msgId: num(value, 'msg_id'), time: num(value, 'time'), segments, text };
}

function kickReason(value: Record<string, unknown>): string {
  for (const key of ['reason', 'show_reason']) {
    const v = value[key];
    if (typeof v === 'string' && v) return v;
  }
  return 'logged in elsewhere';
}

/**
 * An id (uin, gid, did, msg_id) or a time in seconds: a non-negative integer a double holds exactly.
 * Anything else (1.5, -1, 1e300, Infinity from `1e400`) would be a wrong key for deduplication and a
 * value the stores cannot keep, so the event is unreadable.
 */
function num(value: Record<string, unknown>, ...keys: string[]): number {
  for (const key of keys) {
    const v = value[key];
    if (isId(v)) return v;
  }
  const found = keys.map((key) => value[key]).find((v) => v !== undefined);
  throw new Error(
    typeof found === 'number'
      ? `${keys.join(' or ')} is not a non-negative integer`
      : `${keys.join(' or ')} is not a number`,
  );
}

/** An optional small field (service_type, id, client_type): kept when it is an id, else left out. */
function optionalNum<K extends string>(
  value: Record<string, unknown>,
  key: string,
  as: K,
): Partial<Record<K, number>> {
  const v = value[key];
  return isId(v) ? ({ [as]: v } as Record<K, number>) : {};
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
