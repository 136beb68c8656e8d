import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartQQNetworkError, SmartQQProtocolError } from '../../../lib/smartqq/errors.ts';
import { HttpClient, MAX_RESPONSE_BYTES } from '../../../lib/smartqq/http.ts';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];
/** Set when the server saw the client drop an endless answer. */
let endlessClosed: Promise<void> = Promise.resolve();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ headers: req.headers, body, url: req.url ?? '' });
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, {
          Location: '/elsewhere',
          'Set-Cookie': ['skey=@abc; PATH=/;', 'gone=; EXPIRES=Fri, 02-Jan-1970 00:00:00 GMT; PATH=/;'],
        });
        res.end();
      } else if (req.url?.startsWith('/silent')) {
        // Never answers: the client's own limit must end it.
      } else if (req.url?.startsWith('/sized')) {
        // `/sized?bytes=N&chunked=1&pause=MS`: N bytes of "x", declared or chunked, in 64 KiB pieces.
        const query = new URL(req.url, 'http://x').searchParams;
        const total = Number(query.get('bytes'));
        const pause = Number(query.get('pause') ?? 0);
        const chunked = query.get('chunked') === '1';
        res.writeHead(200, chunked ? {} : { 'Content-Length': String(total) });
        let sent = 0;
        const more = () => {
          if (res.destroyed) return;
          const n = Math.min(64 * 1024, total - sent);
          if (n <= 0) {
            res.end();
            return;
          }
          res.write(Buffer.alloc(n, 'x'));
          sent += n;
          setTimeout(more, pause);
        };
        more();
      } else if (req.url?.startsWith('/endless')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        endlessClosed = new Promise((closed) => res.on('close', () => closed()));
        const write = () => {
          if (!res.destroyed) res.write(Buffer.alloc(256 * 1024, 'y'), () => setImmediate(write));
        };
        write();
      } else {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('{"retcode":0}\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HttpClient', () => {
  it('sends User-Agent, Referer, Origin and an r= form body', async () => {
    const client = new HttpClient();
    const res = await client.request({
      endpoint: 'x',
      method: 'POST',
      url: `${base}/post`,
      referer: 'https://d1.web2.qq.com/proxy.html',
      origin: 'https://d1.web2.qq.com',
      form: { r: JSON.stringify({ a: '中 文&=' }) },
      timeoutMs: 5000,
    });
    expect(res.status).toBe(200);
    const last = seen.at(-1) as Seen;
    expect(last.headers['user-agent']).toMatch(/Mozilla/);
    expect(last.headers.referer).toBe('https://d1.web2.qq.com/proxy.html');
    expect(last.headers.origin).toBe('https://d1.web2.qq.com');
    expect(last.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(JSON.parse(new URLSearchParams(last.body).get('r') ?? '')).toEqual({ a: '中 文&=' });
    client.close();
  });

  it('does not follow a redirect, keeps its cookies, and sends no Referer when told so', async () => {
    const client = new HttpClient();
    await client.jar.setCookie('gone=1; PATH=/;', base);
    const res = await client.request({
      endpoint: 'check_sig',
      method: 'GET',
      url: `${base}/redirect`,
      referer: null,
      timeoutMs: 5000,
    });
    expect(res.status).toBe(302);
    expect(seen.at(-1)?.headers.referer).toBeUndefined();
    expect(seen.at(-1)?.url).toBe('/redirect');
    expect(await client.jar.getCookieString(base)).toBe('skey=@abc');
    await client.request({
      endpoint: 'next',
      method: 'GET',
      url: `${base}/next`,
      referer: 'r',
      timeoutMs: 5000,
    });
    expect(seen.at(-1)?.headers.cookie).toBe('skey=@abc');
    client.close();
  });

  it('ends a silent call at its own limit with an error naming only the endpoint', async () => {
    const client = new HttpClient();
    const call = client.request({
      endpoint: 'slow',
      method: 'GET',
      url: `${base}/silent?psessionid=SECRET`,
      referer: 'r',
      timeoutMs: 200,
    });
    await expect(call).rejects.toBeInstanceOf(SmartQQNetworkError);
    await expect(call).rejects.toThrow(/^slow: no answer within 200 ms$/);
    client.close();
  });

  it('reports a refused connection as a network error', async () => {
    const client = new HttpClient();
    await expect(
      client.request({
        endpoint: 'gone',
        method: 'GET',
        url: 'http://127.0.0.1:1/x',
        referer: 'r',
        timeoutMs: 2000,
      }),
    ).rejects.toThrow(/^gone: connection failed \(ECONNREFUSED\)$/);
    client.close();
  });
});

describe('the answer size limit', () => {
  const get = (client: HttpClient, path: string, timeoutMs = 10_000) =>
    client.request({ endpoint: 'big', method: 'GET', url: `${base}${path}`, referer: 'r', timeoutMs });

  it('reads an answer of exactly MAX_RESPONSE_BYTES (4 MiB), declared or chunked', async () => {
    expect(MAX_RESPONSE_BYTES).toBe(4 * 1024 * 1024);
    const client = new HttpClient();
    expect((await get(client, `/sized?bytes=${MAX_RESPONSE_BYTES}`)).body.length).toBe(MAX_RESPONSE_BYTES);
    const chunked = await get(client, `/sized?bytes=${MAX_RESPONSE_BYTES}&chunked=1`);
    expect(chunked.body.length).toBe(MAX_RESPONSE_BYTES);
    client.close();
  });

  it('refuses one byte more with a protocol error naming the endpoint and the limit, not the body', async () => {
    const client = new HttpClient();
    for (const path of [
      `/sized?bytes=${MAX_RESPONSE_BYTES + 1}`,
      `/sized?bytes=${MAX_RESPONSE_BYTES + 1}&chunked=1`,
    ]) {
      const call = get(client, path);
      await expect(call).rejects.toBeInstanceOf(SmartQQProtocolError);
      await expect(call).rejects.toThrow(/^big: answer larger than 4194304 bytes$/);
      await expect(call).rejects.toMatchObject({ endpoint: 'big', status: 200 });
    }
    client.close();
  });

  it('drops an endless answer at the limit instead of reading on', async () => {
    const client = new HttpClient({ maxResponseBytes: 1024 * 1024 });
    const started = Date.now();
    await expect(get(client, '/endless')).rejects.toThrow(/^big: answer larger than 1048576 bytes$/);
    await endlessClosed; // the server saw the connection go
    expect(Date.now() - started).toBeLessThan(5_000);
    client.close();
  });

  it('reads an answer within the limit whole, however slowly it comes', async () => {
    const client = new HttpClient({ maxResponseBytes: 1024 * 1024 });
    // 16 pieces of 64 KiB, 30 ms apart: 1 MiB exactly, over half a second.
    const slow = await get(client, `/sized?bytes=${1024 * 1024}&chunked=1&pause=30`, 2_000);
    expect(slow.body.length).toBe(1024 * 1024);
    // A call may set its own limit.
    await expect(
      client.request({
        endpoint: 'small',
        method: 'GET',
        url: `${base}/sized?bytes=2048`,
        referer: 'r',
        timeoutMs: 5_000,
        maxBytes: 2047,
      }),
    ).rejects.toThrow(/^small: answer larger than 2047 bytes$/);
    client.close();
  });

  it('reports a request node:http refuses to send (a bad header, a bad URL) as a network error', async () => {
    const client = new HttpClient();
    await client.jar.setCookie('ptwebqq=ok; Path=/', base);
    const [cookie] = await client.jar.store.getAllCookies();
    if (cookie) cookie.value = 'bad\nvalue';
    await expect(get(client, '/x')).rejects.toThrow(/^big: request not sent \(ERR_INVALID_CHAR\)$/);
    await expect(
      client.request({
        endpoint: 'nowhere',
        method: 'GET',
        url: 'not a url',
        referer: 'r',
        timeoutMs: 1_000,
      }),
    ).rejects.toThrow(/^nowhere: request not sent \(invalid URL\)$/);
    client.close();
  });
});
