/**
 * One SmartQQ API call: the right host, Referer and Origin, the `r=<JSON>` form body, the retry on
 * s.web2's transient nginx 404, and the answer parsed as JSON whatever its content type says.
 */

import type { z } from 'zod';
import { CLIENT_ID, ORIGIN, REFERER, type SmartQQHosts } from './endpoints.ts';
import { SmartQQNetworkError, SmartQQProtocolError, SmartQQRetcodeError } from './errors.ts';
import type { HttpClient, HttpResponse } from './http.ts';
import { decideRetcode } from './retcode.ts';

export type ApiRole = 'sweb2' | 'd1web2';

export interface ApiCall {
  readonly endpoint: string;
  readonly role: ApiRole;
  /** Path under the host, e.g. `/api/getvfwebqq`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number>>;
  /** POST body object, sent as `r=<JSON>`. Absent → GET. */
  readonly r?: unknown;
  readonly timeoutMs?: number;
}

/** What every JSON answer has; the rest is checked by each caller's schema. */
export interface JsonAnswer {
  readonly retcode?: number;
  readonly errCode?: number;
  readonly result?: unknown;
  readonly [key: string]: unknown;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** nginx in front of s.web2 answered 404 now and then; real clients tried 3 times (docs/protocol.md §1). */
const NOT_FOUND_TRIES = 3;
const NOT_FOUND_PAUSE_MS = 300;

export class SmartQQApi {
  constructor(
    readonly http: HttpClient,
    readonly hosts: SmartQQHosts,
  ) {}

  /** Sends the call and returns the raw response (poll2 and sends read statuses themselves). */
  async raw(call: ApiCall): Promise<HttpResponse> {
    const url = new URL(call.path, this.hosts[call.role]);
    url.searchParams.set('t', String(Date.now()));
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, String(value));
    return this.http.request({
      endpoint: call.endpoint,
      method: call.r === undefined ? 'GET' : 'POST',
      url: url.href,
      referer: REFERER[call.role],
      ...(call.r === undefined ? {} : { origin: ORIGIN[call.role], form: { r: JSON.stringify(call.r) } }),
      timeoutMs: call.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  }

  /** Sends the call, retrying s.web2's 404, and parses a JSON object answer. */
  async json(call: ApiCall): Promise<JsonAnswer> {
    let response = await this.raw(call);
    for (let attempt = 1; response.status === 404 && attempt < NOT_FOUND_TRIES; attempt++) {
      await sleep(NOT_FOUND_PAUSE_MS * attempt);
      response = await this.raw(call);
    }
    return parseJsonAnswer(call.endpoint, response);
  }
}

export function parseJsonAnswer(endpoint: string, response: HttpResponse): JsonAnswer {
  if (response.status === 403) {
    throw new SmartQQProtocolError(endpoint, 'HTTP 403 (Referer or cookies refused)', 403);
  }
  if (response.status !== 200) {
    throw new SmartQQProtocolError(endpoint, `HTTP ${response.status}`, response.status);
  }
  const text = response.body.toString('utf8').trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SmartQQProtocolError(endpoint, `answer is not JSON (${text.length} bytes)`, 200);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SmartQQProtocolError(endpoint, 'answer is not a JSON object', 200);
  }
  const answer = parsed as JsonAnswer;
  if (typeof answer.retcode !== 'number' && typeof answer.errCode !== 'number') {
    throw new SmartQQProtocolError(endpoint, 'answer has no numeric retcode', 200);
  }
  return answer;
}

/** The `result` of a retcode-0 answer, checked against its schema; anything else is a typed error. */
export function okResult<T>(
  endpoint: string,
  answer: { retcode?: number; result?: unknown },
  schema: z.ZodType<T>,
): T {
  const retcode = answer.retcode ?? 0;
  const verdict = decideRetcode(retcode, 'other');
  if (verdict !== 'ok') throw new SmartQQRetcodeError(endpoint, retcode, verdict);
  const parsed = schema.safeParse(answer.result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = ['result', ...(issue?.path ?? [])].join('.');
    throw new SmartQQProtocolError(endpoint, `unexpected answer at ${where}: ${issue?.message}`);
  }
  return parsed.data;
}

export function sessionQuery(vfwebqq: string, psessionid: string): Record<string, string | number> {
  return { vfwebqq, clientid: CLIENT_ID, psessionid };
}

export function isTransportError(err: unknown): err is SmartQQNetworkError | SmartQQProtocolError {
  return err instanceof SmartQQNetworkError || err instanceof SmartQQProtocolError;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
