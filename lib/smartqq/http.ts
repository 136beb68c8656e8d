/**
 * HTTP for SmartQQ: node:http(s) with keep-alive, a real cookie jar (tough-cookie), and the headers
 * every call needs. Redirects are never followed (check_sig's 302 carries the cookies we want).
 *
 * Error messages name the endpoint only, never the URL: query strings carry vfwebqq and psessionid.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { CookieJar } from 'tough-cookie';
import { DEFAULT_USER_AGENT } from './endpoints.ts';
import { SmartQQNetworkError } from './errors.ts';

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
}

export class HttpClient {
  readonly jar: CookieJar;
  private readonly userAgent: string;
  private readonly lookup: LookupFunction | undefined;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(options: HttpClientOptions = {}) {
    this.jar = options.jar ?? new CookieJar();
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.lookup = options.lookup;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
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
    const response = await this.send(req, url, headers, body);
    await this.storeCookies(url.href, response.headers['set-cookie']);
    return response;
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
    return new Promise((resolve, reject) => {
      const outgoing = transport.request(
        url,
        {
          method: req.method,
          headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
          ...(this.lookup ? { lookup: this.lookup } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', (err) => reject(networkError(req.endpoint, err)));
          res.on('aborted', () => reject(new SmartQQNetworkError(req.endpoint, 'response cut short')));
        },
      );
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

function networkError(endpoint: string, err: Error): SmartQQNetworkError {
  if (err instanceof SmartQQNetworkError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new SmartQQNetworkError(endpoint, code ? `connection failed (${code})` : 'connection failed');
}
