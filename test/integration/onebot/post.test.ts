import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventPostError, httpEventPoster, postUrlProblem } from '../../../lib/onebot/post.ts';

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
/** What the bot answers next: status, body, and a delay. */
let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '' };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const event = { self_id: 20001, post_type: 'message', message: 'hi' };

it('posts the event as JSON with X-Self-ID and, with a secret, X-Signature over the exact body', async () => {
  answer = { status: 200, body: '{"reply":"hello","at_sender":false}' };
  const quick = await httpEventPoster({ url: `${base}/events`, secret: 's3cret' }).post(event);
  expect(quick).toEqual({ reply: 'hello', at_sender: false });
  const last = seen.at(-1) as Seen;
  expect(JSON.parse(last.body)).toEqual(event);
  expect(last.headers['x-self-id']).toBe('20001');
  expect(last.headers['content-type']).toBe('application/json');
  expect(last.headers['x-signature']).toBe(
    `sha1=${createHmac('sha1', 's3cret').update(last.body).digest('hex')}`,
  );
  await httpEventPoster({ url: `${base}/events` }).post(event);
  expect(seen.at(-1)?.headers['x-signature']).toBeUndefined();
});

it('a 204, an empty body, {} or a body that is not JSON is no quick operation', async () => {
  const poster = httpEventPoster({ url: base });
  for (const [status, body] of [
    [204, ''],
    [200, ''],
    [200, 'ok'],
    [200, '[1]'],
  ] as const) {
    answer = { status, body };
    expect(await poster.post(event), `${status} ${body}`).toBeUndefined();
  }
  answer = { status: 200, body: '{}' };
  expect(await poster.post(event)).toEqual({});
});

it('another status, no answer in time or no connection is an error naming the origin, never its path or query', async () => {
  answer = { status: 500, body: '' };
  const poster = httpEventPoster({ url: `${base}/hook?token=hidden`, timeoutMs: 300 });
  await expect(poster.post(event)).rejects.toThrow(new EventPostError(`the bot at ${base} answered 500`));
  answer = { status: 200, body: '{}', delayMs: 1_000 };
  const slow = poster.post(event).catch((err: Error) => err);
  const err = (await slow) as Error;
  expect(err).toBeInstanceOf(EventPostError);
  expect(err.message).toMatch(/did not answer/);
  expect(err.message).not.toContain('hidden');
  // A port nobody listens on (fetch refuses some ports outright, port 1 among them).
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  await expect(httpEventPoster({ url: `http://127.0.0.1:${port}/x` }).post(event)).rejects.toThrow(
    `the bot at http://127.0.0.1:${port} did not answer: ECONNREFUSED`,
  );
  expect(err.message).toBe(`the bot at ${base} did not answer: no answer in time`);
  // fetch's own message would repeat the URL, password and all: never passed on.
  const withPassword = await httpEventPoster({ url: 'http://bot:hunter2@127.0.0.1:1/x?access_token=s3cr3t' })
    .post(event)
    .catch((e: Error) => e);
  expect((withPassword as Error).message).not.toMatch(/hunter2|s3cr3t/);
});

it('a URL to post to: http or https, no user or password', () => {
  expect(postUrlProblem('https://bot.example/onebot?x=1')).toBeUndefined();
  expect(postUrlProblem('http://bot.local:80800/')).toBe('not a URL');
  expect(postUrlProblem('ftp://x/')).toBe('expected an http or https URL');
  expect(postUrlProblem('https://u:p@x/')).toBe('no user or password in the URL, please');
});
