/** One HTTP request (its body already read in full) and the helpers to answer it. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type CookieSpec, formatSetCookie, isRealHost, parseCookieHeader } from '../cookies.ts';
import type { JsonObject } from '../input.ts';
import { nginxPage } from './nginx-pages.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=UTF-8';
export const HTML_TYPE = 'text/html; charset=utf-8';

export class Exchange {
  readonly url: URL;
  readonly cookies: Map<string, string>;
  /** The Host header names a real `*.qq.com` host: cookies get their real DOMAIN. */
  readonly realHost: boolean;
  readonly socket: Socket;
  private cookieLines: string[] = [];
  private form: URLSearchParams | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly body: string,
  ) {
    this.url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.cookies = parseCookieHeader(req.headers.cookie);
    this.realHost = isRealHost(req.headers.host);
    this.socket = req.socket;
  }

  get path(): string {
    return this.url.pathname;
  }

  /** The last path segment: what faults are keyed by. */
  get endpoint(): string {
    return this.url.pathname.slice(this.url.pathname.lastIndexOf('/') + 1);
  }

  query(name: string): string | undefined {
    return this.url.searchParams.get(name) ?? undefined;
  }

  /** The `r` field of a form body, when it is a JSON object. */
  r(): JsonObject | undefined {
    this.form ??= new URLSearchParams(this.body);
    const raw = this.form.get('r');
    if (raw === null) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as JsonObject)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The client's connection is known to be closed (or closing). */
  socketGone(): boolean {
    return this.res.destroyed || this.socket.destroyed || !this.socket.writable;
  }

  setCookies(specs: readonly CookieSpec[]): void {
    this.cookieLines.push(...specs.map((s) => formatSetCookie(s, this.realHost)));
  }

  reply(
    status: number,
    contentType: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): void {
    this.write(status, contentType, body, headers);
  }

  json(value: unknown, contentType = JSON_TYPE, status = 200): void {
    this.write(status, contentType, JSON.stringify(value), {});
  }

  nginx(status: number): void {
    this.write(status, 'text/html', nginxPage(status), {});
  }

  /** Answers and reports whether the answer was written out completely. */
  replyTracked(status: number, contentType: string, body: string, written: (ok: boolean) => void): void {
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      written(ok);
    };
    if (this.res.destroyed || this.res.headersSent) {
      settle(false);
      return;
    }
    this.res.once('finish', () => settle(true));
    this.res.once('close', () => settle(false));
    try {
      this.write(status, contentType, body, {});
    } catch {
      settle(false);
    }
  }

  private write(
    status: number,
    contentType: string,
    body: string | Buffer,
    headers: Record<string, string>,
  ): void {
    if (this.res.headersSent || this.res.destroyed) return;
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.res.statusCode = status;
    this.res.setHeader('Content-Type', contentType);
    this.res.setHeader('Content-Length', payload.length);
    if (this.cookieLines.length > 0) this.res.setHeader('Set-Cookie', this.cookieLines);
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value);
    this.res.end(payload);
  }
}
