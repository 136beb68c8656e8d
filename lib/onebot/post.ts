/**
 * Posting an event to the bot's URL (OneBot v11 HTTP POST): `X-Self-ID`, and `X-Signature:
 * sha1=<HMAC-SHA1 of the body>` when a secret is set. A 2xx answer may carry a quick operation
 * (`reply`, `auto_escape`, `at_sender`); a 204 or an empty body is none. Anything else — another
 * status, no answer in time, no connection — is an error: the record comes back from the queue and
 * is posted again (after three tries, the dead-letter queue), in order within its conversation.
 */
import { createHmac } from 'node:crypto';

export interface QuickOperation {
  readonly reply?: unknown;
  readonly auto_escape?: boolean;
  readonly at_sender?: boolean;
  readonly [other: string]: unknown;
}

export interface EventPoster {
  post(event: Readonly<Record<string, unknown>>): Promise<QuickOperation | undefined>;
}

export interface HttpEventPosterOptions {
  readonly url: string;
  /** The signing secret, or where to get it (Secrets Manager, fetched once). */
  readonly secret?: string | (() => Promise<string>);
  /** Default 10 s: a bot that thinks longer should answer by action, not by quick reply. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Which answers a message gets (`rules_first`: the rules, and the bot when none answers;
 * `onebot_only`; `both`) and how an event carries its message: the one list every setting (the
 * environment, the API, the CLI, the stack, the stored registry) is checked against.
 */
export const ONEBOT_MODES = ['rules_first', 'onebot_only', 'both'] as const;
export type OneBotMode = (typeof ONEBOT_MODES)[number];
export const POST_FORMATS = ['string', 'array'] as const;
export type PostMessageFormat = (typeof POST_FORMATS)[number];

export class EventPostError extends Error {
  override readonly name = 'EventPostError';
}

/**
 * What is wrong with a URL to post events to, or undefined when it will do: http or https, and no
 * user or password in it (fetch refuses those, and its error would repeat them). One rule for the
 * API, the CLI, the environment and the stored registry.
 */
export function postUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return 'not a URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'expected an http or https URL';
  if (parsed.username !== '' || parsed.password !== '') return 'no user or password in the URL, please';
  return undefined;
}

export function httpEventPoster(options: HttpEventPosterOptions): EventPoster {
  const doFetch = options.fetch ?? fetch;
  return {
    async post(event) {
      const body = JSON.stringify(event);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-self-id': String(event.self_id),
      };
      const secret = typeof options.secret === 'function' ? await options.secret() : options.secret;
      if (secret) headers['x-signature'] = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
      let response: Response;
      try {
        response = await doFetch(options.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (err) {
        // Its reason in words of our own: fetch's message may repeat the whole URL.
        throw new EventPostError(`the bot at ${origin(options.url)} did not answer: ${failureOf(err)}`);
      }
      const text = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw new EventPostError(`the bot at ${origin(options.url)} answered ${response.status}`);
      }
      if (response.status === 204 || text.trim() === '') return undefined;
      try {
        const parsed = JSON.parse(text) as unknown;
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as QuickOperation)
          : undefined;
      } catch {
        // Not JSON: no quick operation (some bots answer "ok").
        return undefined;
      }
    },
  };
}

function failureOf(err: unknown): string {
  const error = err as { name?: string; cause?: { code?: unknown; message?: unknown } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  // The system error's code alone (ECONNREFUSED, ENOTFOUND): never the rest of a message.
  const code = error.cause?.code ?? /\b(E[A-Z]{3,})\b/.exec(String(error.cause?.message ?? ''))?.[1];
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : 'the connection failed';
}

/** The URL without its path or query, which may hold a token. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured URL';
  }
}
