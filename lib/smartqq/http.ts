/**
 * HTTP for SmartQQ: node:http(s) with keep-alive, a real cookie jar (tough-cookie), and the headers
 * every call needs. Redirects are never followed (check_sig's 302 carries the cookies we want).
 *
 * Error messages name the endpoint only, never the URL: query strings carry vfwebqq and psessionid.
 * Answers are read up to `MAX_RESPONSE_BYTES`: nothing the server sends can take more memory.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { CookieJar } from 'tough-cookie';
import { DEFAULT_USER_AGENT } from './endpoints.ts';
import { SmartQQNetworkError, SmartQQProtocolError } from './errors.ts';

/**
 * The largest answer read, in bytes (4 MiB). Past it the call fails with a `SmartQQProtocolError`
 * naming the endpoint and the limit (never the body) and the connection is dropped.
 *
 * The largest real answers are contact lists. get_group_info_ext2 carries, for each member, a
 * `minfo` entry (nick, gender, country, province, city), a `members` entry, a `stats` entry, a
 * `vipinfo` entry and maybe a card: about 300 bytes (the captured one, compact, is 544 bytes for one
 * member with the group's own 200), at most ~400 with long names. The largest QQ groups have 2,000
 * members (3,000 for a few): 0.8–1.2 MB. get_user_friends2 is ~270 bytes a friend: under 1 MB even
 * for a few thousand friends. poll2 answers are a handful of messages of at most a few KB each.
 * 4 MiB is over three times the largest of them, and small beside a Lambda's memory.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpRequest {
  /** Short name for errors and logs, e.g. `poll2`. */
  readonly endpoint: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** `null` sends no Referer header at all (check_sig insists on that). */
  readonly referer: string | null;
  readonly origin?: string;
  /** Sent as application/x-www-form-urlencoded. */
  readonly form?: Readonly<Record<string, string>>;
  /** Inactivity limit; the caller sizes it (a poll passes the whole hold it can afford). */
  readonly timeoutMs: number;
  /** The largest answer read, in bytes; defaults to the client's (`MAX_RESPONSE_BYTES`). */
  readonly maxBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpClientOptions {
  readonly jar?: CookieJar;
  readonly userAgent?: string;
  /** DNS override, e.g. to resolve the real `*.qq.com` names to 127.0.0.1 in tests. */
  readonly lookup?: LookupFunction;
  /** The largest answer read, in bytes, for every call; defaults to `MAX_RESPONSE_BYTES`. */
  readonly maxResponseBytes?: number;
}

/**
 * Kept connections are reused only within this idle time: well under the keep-alive timeouts of
 * web servers (nginx's default is 75 s), so a burst of sends shares one connection.
 */
const MAX_IDLE_REUSE_MS = 4_000;

export class HttpClient {
  readonly jar: CookieJar;
  private readonly userAgent: string;
  private readonly lookup: LookupFunction | undefined;
  private readonly maxResponseBytes: number;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  /** When the last answer came (ms): the connections kept since then may be stale. */
  private lastAnswerAt = 0;

  constructor(options: HttpClientOptions = {}) {
    this.jar = options.jar ?? new CookieJar();
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.lookup = options.lookup;
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new SmartQQNetworkError(req.endpoint, 'request not sent (invalid URL)');
    }
    const headers: Record<string, string> = {
      'User-Agent': this.userAgent,
      Accept: '*/*',
      'Accept-Language': 'zh-CN,zh;q=0.9',
    };
    if (req.referer !== null) headers.Referer = req.referer;
    if (req.origin) headers.Origin = req.origin;
    const cookie = await this.jar.getCookieString(url.href);
    if (cookie) headers.Cookie = cookie;
    let body: Buffer | undefined;
    if (req.form) {
      body = Buffer.from(new URLSearchParams(req.form).toString(), 'utf8');
      headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
      headers['Content-Length'] = String(body.length);
    }
    // A kept connection idle for long may have been closed by the server meanwhile (or while a
    // Lambda sandbox was frozen): a send written into it would fail as "maybe sent". Open afresh.
    if (Date.now() - this.lastAnswerAt > MAX_IDLE_REUSE_MS) this.dropIdleConnections();
    const response = await this.send(req, url, headers, body);
    this.lastAnswerAt = Date.now();
    await this.storeCookies(url.href, response.headers['set-cookie']);
    return response;
  }

  private dropIdleConnections(): void {
    for (const agent of [this.httpAgent, this.httpsAgent]) {
      for (const sockets of Object.values(agent.freeSockets))
        for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** Closes idle keep-alive sockets so a process (or a test) can exit promptly. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private send(
    req: HttpRequest,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<HttpResponse> {
    const secure = url.protocol === 'https:';
    const transport = secure ? https : http;
    const limit = req.maxBytes ?? this.maxResponseBytes;
    return new Promise((resolve, reject) => {
      const onResponse = (res: http.IncomingMessage) => {
        // Past the limit: fail now and drop the connection (never read on). Within it, the answer is
        // read whole however slowly it comes: a poll2 answer must never be cut (its events would
        // be lost), only an oversized one is.
        const tooLarge = () => {
          reject(new SmartQQProtocolError(req.endpoint, `answer larger than ${limit} bytes`, res.statusCode));
          res.destroy();
        };
        const declared = Number(res.headers['content-length']);
        if (declared > limit) {
          tooLarge();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size > limit) return;
          size += chunk.length;
          if (size > limit) tooLarge();
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (err) => reject(networkError(req.endpoint, err)));
        res.on('aborted', () => reject(new SmartQQNetworkError(req.endpoint, 'response cut short')));
      };
      let outgoing: http.ClientRequest;
      try {
        outgoing = transport.request(
          url,
          {
            method: req.method,
            headers,
            agent: secure ? this.httpsAgent : this.httpAgent,
            ...(this.lookup ? { lookup: this.lookup } : {}),
          },
          onResponse,
        );
      } catch (err) {
        // A header node:http refuses (a control character in a cookie), an unsupported protocol.
        const code = (err as NodeJS.ErrnoException).code;
        reject(new SmartQQNetworkError(req.endpoint, `request not sent${code ? ` (${code})` : ''}`));
        return;
      }
      outgoing.setTimeout(req.timeoutMs, () => {
        outgoing.destroy(new SmartQQNetworkError(req.endpoint, `no answer within ${req.timeoutMs} ms`));
      });
      outgoing.on('error', (err) => reject(networkError(req.endpoint, err)));
      outgoing.end(body);
    });
  }

  private async storeCookies(url: string, setCookie: string[] | undefined): Promise<void> {
    for (const line of setCookie ?? []) {
      // A cookie for a domain we are not on is dropped, as a browser would; it must not fail the call.
      await this.jar.setCookie(line, url, { ignoreError: true });
    }
  }
}

/** Failures before a connection existed: the request never left this machine. */
const BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function networkError(endpoint: string, err: Error): SmartQQNetworkError {
  if (err instanceof SmartQQNetworkError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new SmartQQNetworkError(
    endpoint,
    code ? `connection failed (${code})` : 'connection failed',
    code !== undefined && BEFORE_SENDING.has(code),
  );
}
