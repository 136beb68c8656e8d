/**
 * poll2 and the HTTP client's answer size limit: an answer within it is read whole however slowly
 * it comes (a poll is never cut: its events would be lost); one past it is an `error` outcome with
 * a protocol error naming poll2 and the limit — not a throw, and not held in memory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from 'tough-cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartQQApi } from '../../../lib/smartqq/api.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { SmartQQProtocolError } from '../../../lib/smartqq/errors.ts';
import { HttpClient } from '../../../lib/smartqq/http.ts';
import { poll } from '../../../lib/smartqq/poll.ts';
import { Session } from '../../../lib/smartqq/session.ts';

const LIMIT = 64 * 1024;

/** A poll2 answer of `count` friend messages of 1,000 characters each. */
function answerWith(count: number): Buffer {
  const result = Array.from({ length: count }, (_, i) => ({
    poll_type: 'message',
    value: { from_uin: 11, msg_id: i + 1, time: 1_700_000_000, content: [['font', {}], 'x'.repeat(1_000)] },
  }));
  return Buffer.from(JSON.stringify({ retcode: 0, result }));
}

let server: http.Server;
let base: string;
/** What the next poll2 is answered with, and how: in 4 KiB pieces `pauseMs` apart. */
let next = { body: Buffer.alloc(0), pauseMs: 0 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { body, pauseMs } = next;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      let at = 0;
      const more = () => {
        if (res.destroyed) return;
        if (at >= body.length) {
          res.end();
          return;
        }
        res.write(body.subarray(at, at + 4096));
        at += 4096;
        setTimeout(more, pauseMs);
      };
      more();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function pollOnce() {
  const client = new HttpClient({ maxResponseBytes: LIMIT });
  const api = new SmartQQApi(client, singleBaseHosts(base));
  const session = new Session(new CookieJar(), {
    ptwebqq: 'p',
    vfwebqq: 'v',
    psessionid: 's',
    uin: 1,
    linkedAt: 0,
  });
  return poll(api, session, { budgetMs: 200_000 }).finally(() => client.close());
}

describe('poll2 answers and the size limit', () => {
  it('reads an answer just within the limit whole, even in slow pieces', async () => {
    const events = answerWith(55);
    // Padded with JSON whitespace to exactly the limit.
    const body = Buffer.concat([events, Buffer.alloc(LIMIT - events.length, ' ')]);
    expect(body.length).toBe(LIMIT);
    next = { body, pauseMs: 20 };
    const outcome = await pollOnce();
    expect(outcome.kind).toBe('events');
    expect(outcome.kind === 'events' && outcome.events.map((e) => ('msgId' in e ? e.msgId : 0))).toEqual(
      Array.from({ length: 55 }, (_, i) => i + 1),
    );
  });

  it('answers an error outcome for an answer past the limit, naming poll2 and the limit', async () => {
    next = {
      body: Buffer.concat([answerWith(55), Buffer.alloc(LIMIT + 1, ' ')]).subarray(0, LIMIT + 1),
      pauseMs: 0,
    };
    const outcome = await pollOnce();
    expect(outcome.kind).toBe('error');
    if (outcome.kind !== 'error') return;
    expect(outcome.error).toBeInstanceOf(SmartQQProtocolError);
    expect(outcome.error.message).toBe(`poll2: answer larger than ${LIMIT} bytes`);
  });
});
