/**
 * The send function's HTTP edge on in-memory ports and a stub sender: every status of every route,
 * each answer checked against the OpenAPI document (`invoke`), and what reaches the log.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../../functions/send/app.ts';
import { MAX_ACCOUNTS } from '../../../lib/pipeline/accounts.ts';
import type { ContactsCache } from '../../../lib/pipeline/ports.ts';
import { SERVED_CACHE_MS } from '../../../lib/send-api/accounts.ts';
import { MAX_BODY_BYTES } from '../../../lib/send-api/request.ts';
import type { SessionJson } from '../../../lib/smartqq/session.ts';
import { apiEvent, type HttpRequest, lambdaContext } from '../../support/apigw.ts';
import type { MemoryAccountRegistry } from '../../support/memory-ports.ts';
import { documentedRoutes, StatusCoverage } from '../../support/openapi-conformance.ts';
import {
  API_TOKEN,
  BEARER,
  type CapturedOutput,
  captureOutput,
  invoke,
  message,
  onlineRecord,
  type StubSender,
  stubSender,
  type TestApi,
  testApi,
} from '../../support/send-api.ts';

const ACCOUNT = '20001';
/** Every value here is a secret: none may appear in an answer or a log line. */
const SECRETS = {
  ptwebqq: 'SECRET-PTWEBQQ-5f1c0a',
  vfwebqq: 'SECRET-VFWEBQQ-77aa01',
  psessionid: 'SECRET-PSESSIONID-8c0ffee',
  cookie: 'SECRET-COOKIE-SKEY-0xdead',
};
const session = {
  v: 1,
  cookies: {
    version: 'tough-cookie@6.1.0',
    cookies: [{ key: 'skey', value: SECRETS.cookie, domain: 'qq.com', path: '/' }],
  },
  ptwebqq: SECRETS.ptwebqq,
  vfwebqq: SECRETS.vfwebqq,
  psessionid: SECRETS.psessionid,
  uin: 20001,
  linkedAt: Date.parse('2025-03-01T08:00:00.000Z'),
  msgIdSeq: 0,
} satisfies SessionJson;
const contacts: Omit<ContactsCache, 'linkedAt'> = {
  fetchedAt: Date.parse('2025-03-01T08:00:05.000Z'),
  friends: [
    { uin: 11, nick: 'Alice', markname: 'Ali' },
    { uin: 15, nick: 'Sam' },
    { uin: 16, nick: 'Sam' },
  ],
  groups: [{ gid: 21, code: 91, name: 'Hiking Club' }],
  discussions: [{ did: 31, name: 'Weekend plans' }],
  members: { g21: { '11': 'Trail Boss' } },
  selfUins: [20001, 777],
  selfNick: 'DemoBot',
};

const coverage = new StatusCoverage();
let output: CapturedOutput;
let api: TestApi;
let sender: StubSender;
let clock: number;

beforeEach(() => {
  output = captureOutput();
  sender = stubSender();
  clock = Date.parse('2025-03-01T12:00:00.000Z');
  api = testApi({ account: ACCOUNT, sender, sendPace: { intervalMs: 3_000, burst: 1 }, now: () => clock });
  api.sessions.put(onlineRecord(ACCOUNT, session, contacts, Date.parse('2025-03-01T08:00:00.000Z')));
});
afterEach(() => output.stop());

afterAll(() => {
  // Every documented route answers every documented status in this file — but for the document's
  // own 500, which no injected dependency can provoke (it is a constant).
  expect(coverage.missing(['GET /v1/openapi.json 500'])).toEqual([]);
});

const call = (request: Parameters<typeof invoke>[1]) => invoke(api.handler, request, coverage);
const get = (path: string, headers: Record<string, string> = BEARER) =>
  call({ method: 'GET', path, headers });

describe('POST /v1/messages', () => {
  it('200 sent, with the number of parts', async () => {
    sender.answers.push({ status: 'sent', parts: 3 });
    const answer = await call(message({ text: 'a long text' }));
    expect(answer).toMatchObject({ status: 200, body: { status: 'sent', parts: 3 } });
    expect(answer.headers['content-type']).toBe('application/json');
    expect(sender.calls[0]?.target).toEqual({ kind: 'friend', uin: 11 });
  });

  it('200 uncertain for 1202, sent once', async () => {
    sender.answers.push({
      status: 'uncertain',
      retcode: 1202,
      reason: 'retcode 1202',
      partsSent: 0,
      parts: 1,
    });
    const answer = await call(message({ type: 'group', to: { name: 'hiking club' } }));
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'uncertain', retcode: 1202, partsSent: 0, parts: 1 },
    });
    expect(sender.calls).toHaveLength(1);
  });

  it('200 uncertain without a retcode when the answer was unreadable', async () => {
    sender.answers.push({
      status: 'uncertain',
      reason: 'send_discu_msg2: socket hang up',
      partsSent: 0,
      parts: 1,
    });
    const answer = await call(message({ type: 'discussion', to: { uin: 31 } }));
    expect(answer.body).toEqual({ status: 'uncertain', partsSent: 0, parts: 1 });
  });

  it('reads a base64-encoded body, as API Gateway passes some content types', async () => {
    const answer = await call({ ...message({ text: '你好 /微笑' }), base64: true });
    expect(answer.status).toBe(200);
    expect(sender.calls[0]?.text).toBe('你好 /微笑');
  });

  it('400 names the field and the reason, and nothing is sent or written', async () => {
    const cases: [unknown, string, string][] = [
      ['{"type": "friend",', 'body', 'not valid JSON'],
      [{ type: 'fax', to: { name: 'Ali' }, text: 'x' }, 'type', 'expected "friend", "group" or "discussion"'],
      [{ type: 'friend', to: { uin: 'Ali' }, text: 'x' }, 'to.uin', 'expected a number'],
      [{ type: 'friend', to: { name: 'Ali' }, text: '' }, 'text', 'must not be empty'],
      [
        { type: 'friend', to: { name: 'Ali' }, text: 'x'.repeat(2001) },
        'text',
        'too long: at most 2000 characters',
      ],
      [
        { type: 'friend', to: { name: 'Ali' }, text: 'x', account: '30001' },
        'account',
        'unknown account 30001',
      ],
    ];
    for (const [body, field, reason] of cases) {
      const answer = await call({ method: 'POST', path: '/v1/messages', headers: BEARER, body });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'bad_request', field, reason, message: `${field}: ${reason}` });
    }
    const noBody = await call({ method: 'POST', path: '/v1/messages', headers: BEARER });
    expect(noBody.body).toMatchObject({ field: 'body', reason: 'required' });
    const badKey = await call({ ...message(), headers: { ...BEARER, 'idempotency-key': 'has spaces' } });
    expect(badKey.body).toMatchObject({ error: 'bad_request', field: 'Idempotency-Key' });
    expect(sender.calls).toHaveLength(0);
    expect(api.pacing.calls).toBe(0);
    expect(api.idempotency.calls.claim).toBe(0);
  });

  it('413 for a body over 32 KiB, before reading it: bytes counted as UTF-8, a base64 body decoded', async () => {
    const post = (body: string, base64 = false) =>
      call({ method: 'POST', path: '/v1/messages', headers: BEARER, body, base64 });
    const tooLarge = {
      error: 'payload_too_large',
      maxBytes: MAX_BODY_BYTES,
      message: `the body is ${MAX_BODY_BYTES + 1} bytes; at most ${MAX_BODY_BYTES} bytes are accepted`,
    };
    // Not JSON at all: refused for its size, so the size was looked at first.
    expect(await post('x'.repeat(MAX_BODY_BYTES + 1))).toMatchObject({ status: 413, body: tooLarge });
    // 11,000 characters, 33,000 bytes: counted in bytes.
    const chinese = await post(
      JSON.stringify({ type: 'friend', to: { uin: 11 }, text: '中'.repeat(11_000) }),
    );
    expect(chinese).toMatchObject({ status: 413, body: { maxBytes: MAX_BODY_BYTES } });
    expect((await post('x'.repeat(MAX_BODY_BYTES + 1), true)).body).toEqual(tooLarge);
    // Base64 makes this 29 kB body 39 kB: what counts is the body decoded, so it is sent.
    const padded = `{"type":"friend","to":{"uin":11},"text":"padded"${' '.repeat(29_000)}}`;
    expect(Buffer.from(padded).toString('base64').length).toBeGreaterThan(MAX_BODY_BYTES);
    expect(await post(padded, true)).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(sender.calls.map((c) => c.text)).toEqual(['padded']);
    expect(api.idempotency.calls.claim).toBe(0);
  });

  it('400 for a base64 body that is not UTF-8 once decoded', async () => {
    const body = Buffer.concat([
      Buffer.from('{"type":"friend","to":{"uin":11},"text":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const event = apiEvent({ method: 'POST', path: '/v1/messages', headers: BEARER, body: '' });
    event.body = body.toString('base64');
    event.isBase64Encoded = true;
    const result = await api.handler(event, lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ field: 'body', reason: 'not valid UTF-8' });
    expect(sender.calls).toHaveLength(0);
  });

  it('400 for an account that is not a QQ number, never repeating it in the answer or the log', async () => {
    const long = `1${'2'.repeat(30_000)}`;
    const notQq = 'expected a QQ number (5 to 12 digits, not starting with 0)';
    for (const account of [long, 'abc', '020001', '1234', '1234567890123', `${ACCOUNT} `]) {
      const answer = await call(message({ account }));
      expect(answer).toMatchObject({ status: 400, body: { field: 'account', reason: notQq } });
    }
    const query = await get(`/v1/session?account=${long}`);
    expect(query).toMatchObject({ status: 400, body: { field: 'account', reason: notQq } });
    expect((await get('/v1/contacts?account=x%0Ay')).body.reason).toBe(notQq);
    // A QQ number is short: it is named.
    expect((await call(message({ account: '123456789012' }))).body.reason).toBe(
      'unknown account 123456789012',
    );
    expect(output.lines.join('\n')).not.toContain('2'.repeat(100));
    expect(Math.max(...output.lines.map((l) => l.length))).toBeLessThan(2_000);
    expect(sender.calls).toHaveLength(0);
  });

  it("repeats at most 64 characters of the caller's own strings: unknown field names, recipient names", async () => {
    const key = `k${'y'.repeat(20_000)}`;
    const unknownField = await call(message({ [key]: 1 }));
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.field).toBe(`k${'y'.repeat(63)}…`);
    expect(unknownField.raw.length).toBeLessThan(400);
    const nested = await call(message({ to: { name: 'Ali', [key]: 1 } }));
    expect(nested.body.field).toBe(`to.k${'y'.repeat(63)}…`);

    const name = 'n'.repeat(200);
    const unknown = await call(message({ to: { name } }));
    expect(unknown).toMatchObject({
      status: 404,
      body: { reason: `no friend is named "${'n'.repeat(64)}…"` },
    });
    expect(output.lines.join('\n')).not.toContain('y'.repeat(100));
  });

  it('401 without the right bearer token, before looking at the body', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope-nope-nope-nope' },
      { authorization: API_TOKEN },
    ];
    for (const headers of headerSets) {
      const answer = await call({ method: 'POST', path: '/v1/messages', headers, body: 'not json' });
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(answer.headers['www-authenticate']).toBe('Bearer');
    }
    expect(sender.calls).toHaveLength(0);
  });

  it('404 for a name or id the current contacts do not have', async () => {
    const byName = await call(message({ to: { name: 'Nobody' } }));
    expect(byName).toMatchObject({ status: 404, body: { error: 'unknown_recipient' } });
    expect(byName.body.reason).toContain('Nobody');
    const byId = await call(message({ type: 'group', to: { uin: 91 } }));
    expect(byId.status).toBe(404);
    expect(sender.calls).toHaveLength(0);
  });

  it('409 ambiguous_recipient with the candidates and their ids', async () => {
    const answer = await call(message({ to: { name: 'sam' } }));
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      error: 'ambiguous_recipient',
      candidates: [
        { name: 'Sam', uin: 15 },
        { name: 'Sam', uin: 16 },
      ],
    });
    expect(sender.calls).toHaveLength(0);
  });

  it('409 session_offline with the state, since when and why', async () => {
    api.sessions.put({
      account: ACCOUNT,
      state: 'needs_qr',
      stateSince: Date.parse('2025-03-01T11:00:00.000Z'),
      version: 7,
      reason: 'the session expired: scan a new QR code',
    });
    const answer = await call(message());
    expect(answer).toMatchObject({
      status: 409,
      body: {
        error: 'session_offline',
        state: 'needs_qr',
        since: '2025-03-01T11:00:00.000Z',
        reason: 'the session expired: scan a new QR code',
      },
    });
    api.sessions.records.clear();
    expect((await call(message())).body).toEqual({
      error: 'session_offline',
      state: 'needs_qr',
      since: null,
      reason: 'never logged in',
    });
    expect(sender.calls).toHaveLength(0);
  });

  it('429 with Retry-After in whole seconds while pacing forbids sending', async () => {
    expect((await call(message())).status).toBe(200);
    clock += 1_100;
    const answer = await call(message());
    expect(answer).toMatchObject({ status: 429, body: { error: 'too_many_requests', retryAfterSeconds: 2 } });
    expect(answer.headers['retry-after']).toBe('2');
    clock += 1_900;
    expect((await call(message())).status).toBe(200);
    expect(sender.calls).toHaveLength(2);
  });

  it('Idempotency-Key: the same answer twice for one send; 409 in progress; 422 for another body', async () => {
    const keyed = (key: string, text = 'hello') =>
      ({ ...message({ text }), headers: { ...BEARER, 'idempotency-key': key } }) as const;
    const first = await call(keyed('order-1'));
    const second = await call(keyed('order-1'));
    expect(second.raw).toBe(first.raw);
    expect(sender.calls).toHaveLength(1);

    const reused = await call(keyed('order-1', 'something else'));
    expect(reused).toMatchObject({ status: 422, body: { error: 'idempotency_key_reused' } });

    await api.idempotency.claim(`send|${ACCOUNT}|order-2`, 300, clock);
    const busy = await call(keyed('order-2'));
    expect(busy).toMatchObject({ status: 409, body: { error: 'in_progress' } });
    expect(sender.calls).toHaveLength(1);
  });

  it('502 with the retcode when SmartQQ did not send it', async () => {
    sender.answers.push(
      { status: 'session_problem', retcode: 100001, verdict: 'session_expired', partsSent: 0, parts: 1 },
      {
        status: 'rejected',
        retcode: 100006,
        reason: 'retcode 100006 (malformed_request)',
        partsSent: 0,
        parts: 1,
      },
    );
    const expired = await call(message());
    expect(expired).toMatchObject({
      status: 502,
      body: { error: 'upstream', result: 'session_problem', retcode: 100001, partsSent: 0, parts: 1 },
    });
    clock += 3_000;
    const rejected = await call(message());
    expect(rejected.body).toMatchObject({ result: 'rejected', retcode: 100006 });
  });

  it('503 while the contacts of the current login are not loaded', async () => {
    api.sessions.put({ ...onlineRecord(ACCOUNT, session, contacts), contacts: { ...contacts, linkedAt: 1 } });
    const answer = await call(message());
    expect(answer).toMatchObject({ status: 503, body: { error: 'contacts_unavailable' } });
    expect(sender.calls).toHaveLength(0);
  });

  it('500 {"error":"internal"} and no detail for anything unexpected', async () => {
    api.sessions.get = async () => {
      throw new Error('ProvisionedThroughputExceeded on table qqbot-Sessions');
    };
    const answer = await call(message());
    expect(answer).toMatchObject({ status: 500, body: { error: 'internal' } });
    expect(answer.raw).toBe('{"error":"internal"}');
    const logged = output.json().find((l) => l.level === 'ERROR');
    expect(JSON.stringify(logged)).toContain('ProvisionedThroughputExceeded');
  });

  it('500 when the token cannot be had (Secrets Manager down), without detail', async () => {
    api = testApi({
      account: ACCOUNT,
      sender,
      apiToken: async () => {
        throw new Error('secrets unreachable');
      },
    });
    const answer = await call(message());
    expect(answer.raw).toBe('{"error":"internal"}');
  });
});

describe('GET /v1/session', () => {
  it('200 with account, state, since and reason, and no secret', async () => {
    api.sessions.put({
      ...onlineRecord(ACCOUNT, session, contacts),
      state: 'relinking',
      stateSince: Date.parse('2025-03-01T11:59:00.000Z'),
      reason: 'poll answered 121',
      qr: { pngBase64: 'iVBORw0KGgo=', fetchedAt: 1, cookies: { qrsig: SECRETS.cookie } },
    });
    const answer = await get('/v1/session');
    expect(answer).toMatchObject({
      status: 200,
      body: {
        account: ACCOUNT,
        state: 'relinking',
        since: '2025-03-01T11:59:00.000Z',
        reason: 'poll answered 121',
      },
    });
    expect(Object.keys(answer.body).sort()).toEqual(['account', 'reason', 'since', 'state']);
    api.sessions.records.clear();
    expect((await get('/v1/session')).body).toEqual({
      account: ACCOUNT,
      state: 'needs_qr',
      since: null,
      reason: 'never logged in',
    });
  });

  it('400 for another account, 401 without a token, 500 when the store fails', async () => {
    expect((await get('/v1/session?account=30001')).body).toMatchObject({ field: 'account' });
    expect((await get(`/v1/session?account=${ACCOUNT}`)).status).toBe(200);
    expect((await get('/v1/session', {})).status).toBe(401);
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    expect((await get('/v1/session')).raw).toBe('{"error":"internal"}');
  });
});

describe('GET /v1/contacts', () => {
  it('200 with names and current ids of the current login', async () => {
    const answer = await get('/v1/contacts');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      account: ACCOUNT,
      fetchedAt: '2025-03-01T08:00:05.000Z',
      friends: [
        { uin: 11, nick: 'Alice', markname: 'Ali' },
        { uin: 15, nick: 'Sam' },
        { uin: 16, nick: 'Sam' },
      ],
      groups: [{ uin: 21, name: 'Hiking Club' }],
      discussions: [{ uin: 31, name: 'Weekend plans' }],
    });
  });

  it('400, 401, 409 offline, 503 stale, 500', async () => {
    expect((await get('/v1/contacts?account=1')).status).toBe(400);
    expect((await get('/v1/contacts', { authorization: 'Bearer x' })).status).toBe(401);
    api.sessions.put({ ...onlineRecord(ACCOUNT, session, contacts), contacts: undefined });
    expect((await get('/v1/contacts')).status).toBe(503);
    api.sessions.put({ account: ACCOUNT, state: 'scan_pending', stateSince: 5, version: 2 });
    expect((await get('/v1/contacts')).body).toMatchObject({
      error: 'session_offline',
      state: 'scan_pending',
    });
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    expect((await get('/v1/contacts')).status).toBe(500);
  });
});

describe('GET /v1/session/qr', () => {
  it('200 with the PNG while a QR waits to be scanned, and never its cookies', async () => {
    api.sessions.put({
      ...onlineRecord(ACCOUNT, session, contacts),
      state: 'scan_pending',
      stateSince: 1,
      qr: {
        pngBase64: 'iVBORw0KGgo=',
        fetchedAt: Date.parse('2025-03-01T12:00:00.000Z'),
        cookies: { qrsig: SECRETS.cookie },
      },
    });
    const answer = await get('/v1/session/qr');
    expect(answer).toMatchObject({
      status: 200,
      body: { account: ACCOUNT, png: 'iVBORw0KGgo=', fetchedAt: '2025-03-01T12:00:00.000Z' },
    });
    expect(answer.raw).not.toContain(SECRETS.cookie);
  });

  it('404 no_qr when online or never logged in; 401 without a token', async () => {
    api.sessions.put(onlineRecord(ACCOUNT, session, contacts));
    expect(await get('/v1/session/qr')).toMatchObject({ status: 404, body: { error: 'no_qr' } });
    api.sessions.records.clear();
    expect(await get('/v1/session/qr')).toMatchObject({ status: 404, body: { error: 'no_qr' } });
    expect((await get('/v1/session/qr', {})).status).toBe(401);
  });

  it('400 for another account, 500 when the store fails', async () => {
    expect((await get('/v1/session/qr?account=30001')).body).toMatchObject({ field: 'account' });
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    expect((await get('/v1/session/qr')).raw).toBe('{"error":"internal"}');
  });
});

describe('accounts: GET, POST /v1/accounts, PATCH and DELETE /v1/accounts/{account}', () => {
  const send = (
    method: HttpRequest['method'],
    path: string,
    body?: unknown,
    headers: Record<string, string> = BEARER,
  ) => call({ method, path, headers, ...(body === undefined ? {} : { body }) });
  const registry = () => api.deps.registry as MemoryAccountRegistry;

  it('lists the configured account; adds one (201, then 200 unchanged); account then required', async () => {
    expect((await get('/v1/accounts')).body).toEqual({
      accounts: [{ account: ACCOUNT, status: 'active', configured: true }],
    });
    const added = await send('POST', '/v1/accounts', { account: '30001' });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      account: '30001',
      status: 'active',
      configured: false,
      since: new Date(clock).toISOString(),
    });
    expect((await send('POST', '/v1/accounts', { account: 30001 })).status).toBe(200);
    expect((await get('/v1/accounts')).body.accounts.map((a: { account: string }) => a.account)).toEqual([
      ACCOUNT,
      '30001',
    ]);
    // Two served: a call that leaves the account out is refused, naming the accounts.
    const unnamed = await call(message());
    expect(unnamed.status).toBe(400);
    expect(unnamed.body).toMatchObject({
      field: 'account',
      reason: `required: this deployment serves ${ACCOUNT}, 30001`,
    });
    expect((await get('/v1/session?account=30001')).body).toMatchObject({
      account: '30001',
      state: 'needs_qr',
    });
    expect(sender.calls).toHaveLength(0);
  });

  it('pauses: nothing sent for it (409 account_paused), no login link; resumes; idempotent both ways', async () => {
    const paused = await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'paused' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ account: ACCOUNT, status: 'paused', configured: true });
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'paused' })).body.status).toBe('paused');
    const refused = await call(message());
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'account_paused', account: ACCOUNT });
    expect((await send('POST', `/v1/accounts/${ACCOUNT}/login`)).body).toMatchObject({
      error: 'account_paused',
    });
    expect(sender.calls).toHaveLength(0);
    // Reading about it still works.
    expect((await get('/v1/session')).body).toMatchObject({ account: ACCOUNT, state: 'online' });
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'active' })).body.status).toBe('active');
    expect((await call(message())).status).toBe(200);
    expect(sender.calls).toHaveLength(1);
  });

  it('sets an account its own OneBot bot (listed with it), or null for none; {} names what is missing', async () => {
    const set = await send('PATCH', `/v1/accounts/${ACCOUNT}`, {
      onebot: { postUrl: 'http://127.0.0.1:8080/onebot', mode: 'onebot_only' },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      account: ACCOUNT,
      status: 'active',
      onebot: { postUrl: 'http://127.0.0.1:8080/onebot', mode: 'onebot_only' },
    });
    expect((await get('/v1/accounts')).body.accounts[0].onebot).toEqual({
      postUrl: 'http://127.0.0.1:8080/onebot',
      mode: 'onebot_only',
    });
    const both = await send('PATCH', `/v1/accounts/${ACCOUNT}`, {
      status: 'paused',
      onebot: { postUrl: null },
    });
    expect(both.body).toMatchObject({ status: 'paused', onebot: { postUrl: null } });
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, { onebot: null })).body).not.toHaveProperty(
      'onebot',
    );
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, {})).body).toMatchObject({
      field: 'body',
      reason: 'expected "status" or "onebot"',
    });
    expect(
      (await send('PATCH', `/v1/accounts/${ACCOUNT}`, { onebot: { postUrl: 'ftp://x' } })).body,
    ).toMatchObject({
      field: 'onebot',
    });
  });

  it('removes: no longer listed nor served; the removal of a configured account is kept; added back', async () => {
    await send('POST', '/v1/accounts', { account: '30001' });
    expect((await send('DELETE', `/v1/accounts/${ACCOUNT}`)).body).toEqual({
      account: ACCOUNT,
      status: 'removed',
    });
    expect((await get('/v1/accounts')).body.accounts).toEqual([
      expect.objectContaining({ account: '30001' }),
    ]);
    expect(registry().registry[ACCOUNT]).toMatchObject({ status: 'removed' });
    expect((await call(message({ account: ACCOUNT }))).body).toMatchObject({
      field: 'account',
      reason: `unknown account ${ACCOUNT}`,
    });
    // An account added through the registry is forgotten when removed: the item does not grow.
    await send('DELETE', '/v1/accounts/30001');
    expect(registry().registry['30001']).toBeUndefined();
    expect((await get('/v1/accounts')).body.accounts).toEqual([]);
    expect((await send('POST', '/v1/accounts', { account: ACCOUNT })).status).toBe(201);
    expect((await call(message())).status).toBe(200);
  });

  it('400 for a bad body or number, 404 for an account not served, 401 without a token; nothing changed', async () => {
    const before = JSON.stringify(registry().registry);
    expect((await send('POST', '/v1/accounts', { account: '0123' })).body).toMatchObject({
      field: 'account',
    });
    expect((await send('POST', '/v1/accounts', { account: '30001', qq: 1 })).body).toMatchObject({
      field: 'body',
      reason: 'unknown field',
    });
    expect((await send('POST', '/v1/accounts', {})).body).toMatchObject({
      field: 'account',
      reason: 'required',
    });
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'off' })).body).toMatchObject({
      field: 'status',
      reason: "expected 'active' or 'paused'",
    });
    expect((await send('PATCH', '/v1/accounts/x', { status: 'paused' })).status).toBe(400);
    expect((await send('PATCH', '/v1/accounts/30001', { status: 'paused' })).body).toMatchObject({
      error: 'unknown_account',
    });
    expect((await send('DELETE', '/v1/accounts/30001')).status).toBe(404);
    expect((await send('DELETE', '/v1/accounts/x')).body).toMatchObject({ field: 'account' });
    expect((await send('POST', '/v1/accounts', { account: '30001' }, {})).status).toBe(401);
    expect((await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'paused' }, {})).status).toBe(401);
    expect((await send('DELETE', `/v1/accounts/${ACCOUNT}`, undefined, {})).status).toBe(401);
    expect((await get('/v1/accounts', {})).status).toBe(401);
    expect(JSON.stringify(registry().registry)).toBe(before);
  });

  it('409 too_many_accounts past the limit; 413 for a huge body; 500 when the registry fails', async () => {
    registry().registry = Object.fromEntries(
      Array.from({ length: MAX_ACCOUNTS }, (_, i) => [String(100_000 + i), { status: 'active', since: 1 }]),
    );
    expect((await send('POST', '/v1/accounts', { account: '30001' })).body).toMatchObject({
      error: 'too_many_accounts',
    });
    const huge = { account: '30001', pad: 'x'.repeat(40_000) };
    expect((await send('POST', '/v1/accounts', huge)).status).toBe(413);
    expect(
      (await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'paused', pad: 'x'.repeat(40_000) })).status,
    ).toBe(413);
    registry().read = async () => {
      throw new Error('boom');
    };
    clock += SERVED_CACHE_MS; // what was read before is no longer used
    registry().change = async () => {
      throw new Error('boom');
    };
    for (const answer of [
      await get('/v1/accounts'),
      await send('POST', '/v1/accounts', { account: '30002' }),
      await send('PATCH', `/v1/accounts/${ACCOUNT}`, { status: 'paused' }),
      await send('DELETE', `/v1/accounts/${ACCOUNT}`),
    ]) {
      expect(answer.raw).toBe('{"error":"internal"}');
    }
  });
});

describe('OneBot v11 actions: /onebot/v11/{action} and /onebot/v11/{account}/{action}', () => {
  const TOKEN = { authorization: `Token ${API_TOKEN}` };
  const action = (
    method: HttpRequest['method'],
    path: string,
    body?: unknown,
    headers: Record<string, string> = TOKEN,
  ) => call({ method, path, headers, ...(body === undefined ? {} : { body }) });

  it('lists friends and groups with stable ids and sends by them, as CQ string or segments', async () => {
    const friends = await action('GET', '/onebot/v11/get_friend_list');
    expect(friends.body).toMatchObject({ status: 'ok', retcode: 0 });
    expect(friends.body.data).toEqual([
      { user_id: 1_000_001, nickname: 'Alice', remark: 'Ali' },
      { user_id: 1_000_002, nickname: 'Sam', remark: '' },
      { user_id: 1_000_003, nickname: 'Sam', remark: '' },
    ]);
    const groups = await action('POST', '/onebot/v11/get_group_list', {});
    expect(groups.body.data).toEqual([
      { group_id: 1_000_004, group_name: 'Hiking Club', member_count: 1, max_member_count: 2000 },
    ]);
    // The second Sam (uin 16), by its stable id; faces go as QQ faces.
    const sent = await action('POST', '/onebot/v11/send_private_msg', {
      user_id: 1_000_003,
      message: 'hi [CQ:face,id=14] &#91;x&#93;',
    });
    expect(sent.body).toMatchObject({ status: 'ok', retcode: 0, data: { message_id: expect.any(Number) } });
    expect(sender.calls.at(-1)).toMatchObject({ target: { kind: 'friend', uin: 16 }, text: 'hi [微笑] [x]' });
    clock += 3_000;
    const group = await action(
      'GET',
      `/onebot/v11/${ACCOUNT}/send_group_msg?group_id=1000004&message=hello&echo=e1`,
    );
    expect(group.body).toMatchObject({ status: 'ok', echo: 'e1' });
    expect(sender.calls.at(-1)).toMatchObject({ target: { kind: 'group', gid: 21 }, text: 'hello' });
    clock += 3_000;
    const segments = await action('POST', '/onebot/v11/send_msg', {
      message_type: 'group',
      group_id: '1000004',
      user_id: 1_000_001,
      message: [
        { type: 'at', data: { qq: '1000001' } },
        { type: 'text', data: { text: 'see you' } },
      ],
    });
    expect(segments.body.status).toBe('ok');
    expect(sender.calls.at(-1)?.text).toBe('@Alice see you');
  });

  it('every action: its data with valid parameters, 100 naming each missing one, the envelope each time', async () => {
    await action('GET', '/onebot/v11/get_friend_list');
    await action('GET', '/onebot/v11/get_group_list');
    const ok: [string, Record<string, unknown>, unknown][] = [
      ['get_login_info', {}, { user_id: 20001, nickname: 'DemoBot' }],
      ['get_status', {}, { online: true, good: true, state: 'online' }],
      ['get_version_info', {}, expect.objectContaining({ protocol_version: 'v11' })],
      ['can_send_image', {}, { yes: false }],
      ['can_send_record', {}, { yes: false }],
      [
        'get_friend_list',
        {},
        expect.arrayContaining([{ user_id: 1_000_001, nickname: 'Alice', remark: 'Ali' }]),
      ],
      ['get_group_list', {}, [expect.objectContaining({ group_id: 1_000_004, group_name: 'Hiking Club' })]],
      [
        'get_group_info',
        { group_id: 1_000_004 },
        expect.objectContaining({ group_name: 'Hiking Club', member_count: 1 }),
      ],
      [
        'get_group_member_list',
        { group_id: 1_000_004 },
        [expect.objectContaining({ nickname: 'Trail Boss', role: 'member' })],
      ],
      ['send_private_msg', { user_id: 1_000_001, message: 'a' }, { message_id: expect.any(Number) }],
      ['send_group_msg', { group_id: 1_000_004, message: 'b' }, { message_id: expect.any(Number) }],
      ['send_msg', { user_id: 1_000_001, message: 'c' }, { message_id: expect.any(Number) }],
    ];
    for (const [name, params, data] of ok) {
      clock += 3_000;
      const answer = await action('POST', `/onebot/v11/${name}`, { ...params, echo: name });
      expect(answer.body, name).toEqual({
        status: 'ok',
        retcode: 0,
        data,
        message: '',
        wording: '',
        echo: name,
      });
    }
    const member = (await action('POST', '/onebot/v11/get_group_member_list', { group_id: 1_000_004 })).body
      .data[0];
    expect(
      (
        await action('POST', '/onebot/v11/get_group_member_info', {
          group_id: 1_000_004,
          user_id: member.user_id,
        })
      ).body.data,
    ).toEqual(member);
    const missing: [string, Record<string, unknown>, string][] = [
      ['get_group_info', {}, 'group_id: required'],
      ['get_group_member_list', {}, 'group_id: required'],
      ['get_group_member_info', { group_id: 1_000_004 }, 'user_id: required'],
      ['send_private_msg', { message: 'x' }, 'user_id: required'],
      ['send_group_msg', { message: 'x' }, 'group_id: required'],
      ['send_discuss_msg', { message: 'x' }, 'discuss_id: required'],
      ['send_discuss_msg', { discuss_id: 5, message: 'x' }, 'discuss_id 5 is not a discussion in this login'],
    ];
    for (const [name, params, message] of missing) {
      const answer = await action('POST', `/onebot/v11/${name}`, params);
      expect(answer.body, name).toMatchObject({
        status: 'failed',
        retcode: message.includes('required') ? 100 : 102,
        message,
        data: null,
      });
    }
  });

  it('answers failed, never a 5xx, for what SmartQQ cannot do or a bad parameter; 200 with the envelope', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['set_group_kick', { group_id: 1, user_id: 2 }, 104, /set_group_kick is not supported by SmartQQ/],
      [
        'send_private_msg',
        { user_id: 1_000_001, message: '[CQ:image,file=a.png]' },
        104,
        /"image" is not supported/,
      ],
      ['send_private_msg', { user_id: 'x', message: 'hi' }, 100, /user_id: expected a positive integer/],
      ['send_private_msg', { user_id: 1_000_001 }, 100, /message: required/],
      ['send_private_msg', { user_id: 9_999_999, message: 'hi' }, 102, /not a friend in this login/],
      ['send_group_msg', { group_id: 9_999_999, message: 'hi' }, 102, /not a group in this login/],
      ['send_msg', { message_type: 'channel', message: 'hi' }, 100, /message_type/],
      [
        'send_private_msg',
        { user_id: 1_000_001, message: '字'.repeat(2_001) },
        100,
        /too long: at most 2000 characters/,
      ],
    ];
    await action('GET', '/onebot/v11/get_friend_list');
    for (const [name, params, retcode, message] of cases) {
      const answer = await action('POST', `/onebot/v11/${name}`, params);
      expect(answer.status, name).toBe(200);
      expect(answer.body, name).toMatchObject({ status: 'failed', retcode, data: null });
      expect(answer.body.message, name).toMatch(message);
    }
    expect(sender.calls).toHaveLength(0);
  });

  it('takes the token as Bearer, Token or access_token; 401 without, 403 wrong; 404, 406, 400', async () => {
    expect((await action('GET', '/onebot/v11/get_status', undefined, BEARER)).body.data).toMatchObject({
      online: true,
    });
    expect(
      (await action('GET', `/onebot/v11/get_login_info?access_token=${API_TOKEN}`, undefined, {})).body.data,
    ).toEqual({
      user_id: 20001,
      nickname: 'DemoBot',
    });
    for (const path of ['/onebot/v11/get_status', `/onebot/v11/${ACCOUNT}/get_status`]) {
      expect((await action('GET', path, undefined, {})).status).toBe(401);
      expect((await action('POST', path, {}, {})).status).toBe(401);
      expect((await action('GET', path, undefined, { authorization: 'Token wrong-token-0000' })).status).toBe(
        403,
      );
      expect((await action('POST', path, {}, { authorization: 'Bearer wrong-token-0000' })).status).toBe(403);
    }
    for (const base of ['/onebot/v11', `/onebot/v11/${ACCOUNT}`]) {
      const unknown = await action('GET', `${base}/no_such_action?echo=7`);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ status: 'failed', retcode: 1404, echo: '7' });
      expect((await action('POST', `${base}/no_such_action`, {})).status).toBe(404);
      const xml = await call({
        method: 'POST',
        path: `${base}/get_status`,
        headers: { ...TOKEN, 'content-type': 'text/xml' },
        body: '<a/>',
      });
      expect(xml.status).toBe(406);
      const broken = await call({
        method: 'POST',
        path: `${base}/get_status`,
        headers: { ...TOKEN, 'content-type': 'application/json' },
        body: '{',
      });
      expect(broken.status).toBe(400);
      const form = await call({
        method: 'POST',
        path: `${base}/get_group_info`,
        headers: { ...TOKEN, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'group_id=1000001&echo=f',
      });
      expect(form.body).toMatchObject({ status: 'failed', retcode: 102, echo: 'f' });
    }
    // An account not served, or not a number.
    expect((await action('GET', '/onebot/v11/30001/get_status')).status).toBe(404);
    expect((await action('GET', '/onebot/v11/x1/get_status')).status).toBe(400);
    expect((await action('POST', '/onebot/v11/x1/get_status', {})).status).toBe(400);
  });

  it('needs the account in the path when several are served, and refuses to send for a paused one', async () => {
    await call({ method: 'POST', path: '/v1/accounts', headers: BEARER, body: { account: '30001' } });
    const unnamed = await action('GET', '/onebot/v11/get_status');
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.message).toMatch(/use \/onebot\/v11\/\{account\}\/\{action\}/);
    expect((await action('POST', '/onebot/v11/get_status', {})).status).toBe(400);
    await call({
      method: 'PATCH',
      path: `/v1/accounts/${ACCOUNT}`,
      headers: BEARER,
      body: { status: 'paused' },
    });
    const paused = await action('POST', `/onebot/v11/${ACCOUNT}/send_private_msg`, {
      user_id: 1,
      message: 'x',
    });
    expect(paused.body).toMatchObject({ status: 'failed', retcode: 103 });
    expect((await action('GET', `/onebot/v11/${ACCOUNT}/get_status`)).body.status).toBe('ok');
    expect(sender.calls).toHaveLength(0);
  });

  it('async for 1202 (never resent); 500 when the store fails', async () => {
    await action('GET', '/onebot/v11/get_friend_list');
    sender.answers.push({
      status: 'uncertain',
      retcode: 1202,
      reason: 'retcode 1202',
      partsSent: 0,
      parts: 1,
    });
    const maybe = await action('POST', '/onebot/v11/send_private_msg_async', {
      user_id: 1_000_001,
      message: 'x',
    });
    expect(maybe.body).toMatchObject({ status: 'async', retcode: 1 });
    expect(sender.calls).toHaveLength(1);
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    for (const path of ['/onebot/v11/get_status', `/onebot/v11/${ACCOUNT}/get_status`]) {
      expect((await action('GET', path)).raw).toBe('{"error":"internal"}');
      expect((await action('POST', path, {})).raw).toBe('{"error":"internal"}');
    }
  });
});

describe('GET /v1/openapi.json', () => {
  it('is public and describes every route the handler serves', async () => {
    const answer = await get('/v1/openapi.json', {});
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\.1\./);
    expect(documentedRoutes().sort()).toEqual([...ROUTE_KEYS].sort());
    expect(documentedRoutes()).toEqual(
      expect.arrayContaining([
        'POST /v1/messages',
        'POST /v1/accounts/{account}/login',
        'GET /login/{token}',
      ]),
    );
  });
});

describe('routing and the event', () => {
  it('answers 404 JSON for a route it does not serve', async () => {
    const result = await api.handler(
      apiEvent({ method: 'DELETE', path: '/v1/messages', headers: BEARER }),
      lambdaContext(),
    );
    expect(result).toMatchObject({ statusCode: 404, body: '{"error":"not_found"}' });
    expect(result.headers['content-type']).toBe('application/json');
  });

  it('routes a $default catch-all by method and path, and reads headers whatever their case', async () => {
    const event = apiEvent({ ...message(), routeKey: '$default' });
    event.headers = { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' };
    const result = await api.handler(event, lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(sender.calls).toHaveLength(1);
  });
});

describe('logs and metrics', () => {
  it('puts the account on every log line and counts sends by result', async () => {
    sender.answers.push({
      status: 'uncertain',
      retcode: 1202,
      reason: 'retcode 1202',
      partsSent: 0,
      parts: 1,
    });
    await call(message());
    await call(message({ to: { name: 'Nobody' } }));
    const lines = output.json();
    const logLines = lines.filter((l) => 'level' in l);
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    for (const line of logLines) expect(line.account).toBe(ACCOUNT);
    expect(logLines.find((l) => l.message === 'message handled')).toMatchObject({
      route: 'POST /v1/messages',
      recipient: 'Ali (Alice)',
      outcome: { status: 'uncertain', retcode: 1202 },
    });
    const metrics = lines.filter((l) => '_aws' in l);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ result: 'uncertain', Sends: 1 });
    expect(metrics[0]).toMatchObject({ account: ACCOUNT });
    expect(JSON.stringify(metrics[0])).toContain('"Dimensions":[["service","result","account"]]');
  });

  it('never puts a secret, the token or a cookie in an answer or a log line', async () => {
    const answers: string[] = [];
    const keep = async (request: Parameters<typeof invoke>[1]) => answers.push((await call(request)).raw);
    sender.answers.push(
      { status: 'sent', parts: 1 },
      { status: 'uncertain', retcode: 1202, reason: 'retcode 1202', partsSent: 0, parts: 1 },
      { status: 'session_problem', retcode: 100001, verdict: 'session_expired', partsSent: 0, parts: 1 },
    );
    await keep(message());
    clock += 3_000;
    await keep({ ...message(), headers: { ...BEARER, 'idempotency-key': 'k-1' } });
    await keep({ ...message(), headers: { ...BEARER, 'idempotency-key': 'k-1' } });
    clock += 3_000;
    await keep(message());
    await keep(message({ to: { name: 'Nobody' } }));
    await keep({ ...message(), headers: { authorization: 'Bearer wrong-token-wrong-token' } });
    await keep({ method: 'GET', path: '/v1/session', headers: BEARER });
    await keep({ method: 'GET', path: '/v1/contacts', headers: BEARER });
    expect(sender.calls).toHaveLength(3);
    const everything = [...answers, ...output.lines].join('\n');
    expect(output.lines.length).toBeGreaterThan(5);
    for (const secret of [...Object.values(SECRETS), API_TOKEN, 'wrong-token-wrong-token']) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('the login link and page', () => {
  const post = (path: string, headers: Record<string, string> = BEARER) =>
    call({ method: 'POST', path, headers, body: {} });
  const linkPath = async () => {
    const answer = await post(`/v1/accounts/${ACCOUNT}/login`);
    return new URL(answer.body.url as string).pathname;
  };
  const scanPending = (qr: Record<string, unknown>) =>
    api.sessions.put({
      account: ACCOUNT,
      state: 'scan_pending',
      stateSince: clock,
      version: 3,
      qr: { pngBase64: 'iVBORw0KGgo=', fetchedAt: clock, cookies: { qrsig: SECRETS.cookie }, ...qr },
    });

  it('POST …/login: 200 a link to this API for 15 minutes, with the session state and no token in it', async () => {
    const answer = await post(`/v1/accounts/${ACCOUNT}/login`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      account: ACCOUNT,
      expiresAt: new Date(clock + 15 * 60_000).toISOString(),
      state: 'online',
    });
    const url = new URL(answer.body.url as string);
    expect(url.origin).toBe('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com');
    expect(url.pathname).toMatch(/^\/login\/[\w-]+\.[\w-]{43}$/);
    expect(answer.raw).not.toContain(API_TOKEN);
  });

  it('POST …/login: 400 for another account, 401 without the token, 500 when the store fails', async () => {
    expect((await post('/v1/accounts/30001/login')).status).toBe(400);
    expect((await post('/v1/accounts/x/login')).body).toMatchObject({ field: 'account' });
    expect((await post(`/v1/accounts/${ACCOUNT}/login`, {})).status).toBe(401);
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    expect((await post(`/v1/accounts/${ACCOUNT}/login`)).raw).toBe('{"error":"internal"}');
  });

  it('GET /login/{token}: 200 the page, public, loading nothing from elsewhere and sending no Referer', async () => {
    const path = await linkPath();
    const page = await get(path, {});
    expect(page.status).toBe(200);
    expect(page.raw).toContain('<img id="qr"');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'sha256-[\w+/=]+'/);
    expect(page.raw).not.toMatch(/https?:\/\//);
  });

  it('the state follows the login: waiting, scan, scanned, refused, expired, online — never a secret', async () => {
    const path = await linkPath();
    const state = async () => (await get(`${path}/state`, {})).body;
    api.sessions.put({
      account: ACCOUNT,
      state: 'needs_qr',
      stateSince: clock,
      version: 2,
      reason: 'kicked',
    });
    expect(await state()).toMatchObject({ state: 'waiting_for_qr', reason: 'kicked' });
    scanPending({});
    expect(await state()).toMatchObject({ state: 'scan', png: 'iVBORw0KGgo=' });
    scanPending({ scannedAt: clock + 1 });
    expect(await state()).toMatchObject({ state: 'scanned', png: 'iVBORw0KGgo=' });
    scanPending({ refused: { scannedBy: 30002, at: clock } });
    expect(await state()).toMatchObject({ state: 'scan', refusedScanBy: 30002 });
    scanPending({ fetchedAt: clock - 120_000 });
    const expired = await state();
    expect(expired.state).toBe('expired');
    expect(expired.png).toBeUndefined();
    api.sessions.put(onlineRecord(ACCOUNT, session, contacts));
    const online = await get(`${path}/state`, {});
    expect(online.body).toEqual({
      account: ACCOUNT,
      state: 'online',
      linkExpiresAt: new Date(clock + 15 * 60_000).toISOString(),
    });
    for (const secret of [...Object.values(SECRETS), API_TOKEN]) expect(online.raw).not.toContain(secret);
  });

  it('404 for a link that is not valid, 410 once it expired (the page says so), 500 when the store fails', async () => {
    const path = await linkPath();
    const forged = path.replace(/\.[\w-]+$/, `.${'A'.repeat(43)}`);
    expect((await get(`${forged}/state`, {})).body).toMatchObject({ error: 'link_bad_signature' });
    expect((await get('/login/nonsense/state', {})).body).toMatchObject({ error: 'link_malformed' });
    expect((await get(forged, {})).status).toBe(404);
    clock += 15 * 60_000;
    const gone = await get(`${path}/state`, {});
    expect(gone).toMatchObject({ status: 410, body: { error: 'link_expired' } });
    expect(gone.body.message).toMatch(/expired/);
    expect((await get(path, {})).status).toBe(410);
    clock -= 60_000;
    api.sessions.get = async () => {
      throw new Error('boom');
    };
    expect((await get(`${path}/state`, {})).raw).toBe('{"error":"internal"}');
  });

  it('500 for the page when the token cannot be had (no key to check the link with)', async () => {
    const path = await linkPath();
    api = testApi({
      account: ACCOUNT,
      sender,
      apiToken: async () => {
        throw new Error('secrets unreachable');
      },
    });
    expect((await get(path, {})).raw).toBe('{"error":"internal"}');
  });
});
