import { request } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HttpApi,
  type HttpApiOptions,
  MAX_REQUEST_BYTES,
  matchRoute,
  parseRouteKey,
  startHttpApi,
} from '../../../local/runtime/http-api.ts';

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const ROUTES = ['POST /v1/messages', 'GET /v1/session', 'GET /items/{id}', 'ANY /files/{path+}'];

/** Starts the API with a handler that records its events and answers `answer(event)`. */
async function serve(
  answer: (event: APIGatewayProxyEventV2) => unknown,
  extra: Partial<HttpApiOptions> = {},
) {
  const events: APIGatewayProxyEventV2[] = [];
  api = await startHttpApi({
    handler: async (event) => {
      events.push(event);
      return answer(event);
    },
    function: { functionName: 'test-send', timeoutMs: 1_000 },
    routes: ROUTES,
    ...extra,
  });
  return { events, url: api.url };
}

/** A raw request, so that repeated headers and cookies are sent exactly as written. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: [string, string][],
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // An array of headers is sent as written; Node adds no Host header to it then.
    const length: [string, string][] =
      body === undefined ? [] : [['Content-Length', String(Buffer.byteLength(body))]];
    const flat = [['Host', new URL(url).host], ...length, ...headers].flat();
    const req = request(`${url}${path}`, { method, headers: flat }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startHttpApi', () => {
  it('listens on loopback', async () => {
    const { url } = await serve(() => 'ok');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('turns a request into an APIGatewayProxyEventV2', async () => {
    const { events, url } = await serve(() => ({ statusCode: 204 }));

    const res = await raw(
      url,
      'POST',
      '/v1/messages?to=Ali&to=Bob&q=a%20b',
      [
        ['Content-Type', 'application/json; charset=utf-8'],
        ['User-Agent', 'curl/8.5.0'],
        ['X-Multi', 'one'],
        ['X-Multi', 'two'],
        ['Cookie', 'a=1; b=2'],
        ['Authorization', 'Bearer t0ken'],
      ],
      '{"text":"你好"}',
    );

    expect(res.status).toBe(204);
    const event = events[0] as APIGatewayProxyEventV2;
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /v1/messages',
      rawPath: '/v1/messages',
      rawQueryString: 'to=Ali&to=Bob&q=a%20b',
      cookies: ['a=1', 'b=2'],
      headers: expect.objectContaining({
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'curl/8.5.0',
        'x-multi': 'one,two',
        authorization: 'Bearer t0ken',
        host: new URL(url).host,
        'content-length': String(Buffer.byteLength('{"text":"你好"}')),
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': new URL(url).port,
      }),
      queryStringParameters: { to: 'Ali,Bob', q: 'a b' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/v1/messages',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8.5.0',
        },
        requestId: expect.stringMatching(/^\S+=$/),
        routeKey: 'POST /v1/messages',
        stage: '$default',
        time: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
        timeEpoch: expect.any(Number),
      },
      body: '{"text":"你好"}',
      isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
    expect(res.headers['apigw-requestid']).toBe(event.requestContext.requestId);
  });

  it('leaves out what a request does not have', async () => {
    const { events, url } = await serve(() => ({ statusCode: 200 }));

    await fetch(`${url}/v1/session`);

    const event = events[0] as APIGatewayProxyEventV2;
    expect(event.routeKey).toBe('GET /v1/session');
    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes non-text bodies base64-encoded, and decodes a base64 answer', async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const { events, url } = await serve((event) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: event.body,
      isBase64Encoded: true,
    }));

    const binary = await raw(
      url,
      'POST',
      '/v1/messages',
      [['Content-Type', 'application/octet-stream']],
      bytes,
    );
    await raw(
      url,
      'POST',
      '/v1/messages',
      [['Content-Type', 'application/x-www-form-urlencoded']],
      'a=1&b=2',
    );

    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(events[0]?.body).toBe(bytes.toString('base64'));
    expect(binary.body).toEqual(bytes);
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(events[1]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[1]?.body ?? '', 'base64').toString()).toBe('a=1&b=2');
  });

  it('writes a structured result: status, headers, cookies and body', async () => {
    const { url } = await serve(() => ({
      statusCode: 429,
      headers: { 'content-type': 'application/json', 'retry-after': 3, 'x-flag': true },
      cookies: ['s=1; HttpOnly', 't=2'],
      body: '{"error":"too_many_requests"}',
    }));

    const res = await raw(url, 'POST', '/v1/messages', []);

    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers['x-flag']).toBe('true');
    expect(res.headers['set-cookie']).toEqual(['s=1; HttpOnly', 't=2']);
    expect(JSON.parse(res.body.toString())).toEqual({ error: 'too_many_requests' });
  });

  it.each([
    ['a string', 'hello', 'hello'],
    ['an object without statusCode', { ok: true, n: 1 }, '{"ok":true,"n":1}'],
  ])('answers 200 JSON for %s, as API Gateway infers it', async (_what, result, body) => {
    const { url } = await serve(() => result);

    const res = await fetch(`${url}/v1/session`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(body);
  });

  it('routes by the most specific match, with path parameters, and 404s the rest', async () => {
    const { events, url } = await serve(() => ({ statusCode: 200 }));

    await fetch(`${url}/items/a%20b`);
    await fetch(`${url}/files/x/y.txt`, { method: 'DELETE' });
    const unknown = await fetch(`${url}/v2/messages`, { method: 'POST' });
    const wrongMethod = await fetch(`${url}/v1/messages`);

    expect(events.map((e) => [e.routeKey, e.pathParameters])).toEqual([
      ['GET /items/{id}', { id: 'a b' }],
      ['ANY /files/{path+}', { path: 'x/y.txt' }],
    ]);
    expect([unknown.status, wrongMethod.status]).toEqual([404, 404]);
    expect(await unknown.json()).toEqual({ message: 'Not Found' });
  });

  it('sends everything to $default when it is the only route', async () => {
    const { events, url } = await serve(() => ({ statusCode: 200 }), { routes: undefined });

    await fetch(`${url}/anything/at/all?x=1`, { method: 'PUT' });

    expect(events[0]?.routeKey).toBe('$default');
    expect(events[0]?.requestContext.routeKey).toBe('$default');
  });

  it.each([
    ['throws', () => Promise.reject(new Error('secret detail'))],
    ['answers a bad statusCode', () => ({ statusCode: 'teapot' })],
    ['answers a body that is not a string', () => ({ statusCode: 200, body: { a: 1 } })],
  ])('answers a plain 500 when the function %s', async (_what, answer) => {
    const lines: string[] = [];
    const { url } = await serve(answer, { log: (line) => lines.push(line) });

    const res = await fetch(`${url}/v1/session`);

    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(lines).toHaveLength(1);
  });

  it('answers 500 when the function times out', async () => {
    const { url } = await serve(() => new Promise((resolve) => setTimeout(resolve, 300)), {
      function: { functionName: 'slow-send', timeoutMs: 50 },
    });

    const res = await fetch(`${url}/v1/session`);

    expect(res.status).toBe(500);
  });

  it('refuses a body over 10 MB with 413, without invoking the function', async () => {
    const { events, url } = await serve(() => ({ statusCode: 200 }));

    const res = await raw(
      url,
      'POST',
      '/v1/messages',
      [['Content-Type', 'application/json']],
      Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20),
    );
    const atLimit = await raw(
      url,
      'POST',
      '/v1/messages',
      [['Content-Type', 'text/plain']],
      Buffer.alloc(MAX_REQUEST_BYTES, 0x20),
    );

    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'Request Entity Too Large' });
    expect(atLimit.status).toBe(200);
    expect(events).toHaveLength(1);
  });
});

describe('matchRoute', () => {
  const routes = [
    'ANY /{proxy+}',
    'GET /items/{id}',
    'GET /items/special',
    'ANY /items/{id}',
    '$default',
  ].map(parseRouteKey);

  it.each([
    ['GET', '/items/special', 'GET /items/special'],
    ['GET', '/items/7', 'GET /items/{id}'],
    ['POST', '/items/7', 'ANY /items/{id}'],
    ['GET', '/items/7/more', 'ANY /{proxy+}'],
    ['GET', '/', '$default'],
  ])('%s %s → %s', (method, path, routeKey) => {
    expect(matchRoute(routes, method, path)?.routeKey).toBe(routeKey);
  });

  it('refuses a malformed route key', () => {
    expect(() => parseRouteKey('/v1/messages')).toThrow(/bad route key/);
  });
});
