import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartQQNetworkError } from '../../../lib/smartqq/errors.ts';
import { HttpClient } from '../../../lib/smartqq/http.ts';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];

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
