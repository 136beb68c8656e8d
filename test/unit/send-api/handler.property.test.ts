/**
 * The send function's HTTP edge fed arbitrary input (fast-check): any body (JSON values, strings,
 * lone surrogates, huge strings, base64 or not), any headers and any `account` query. Whatever comes
 * in, the handler answers (it never throws), never with a 5xx (the dependencies are healthy, so every
 * refusal is the client's mistake), with an answer that the OpenAPI document describes, that stays
 * short, and that — like every log line — never holds the token.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContactsCache } from '../../../lib/pipeline/ports.ts';
import type { SessionJson } from '../../../lib/smartqq/session.ts';
import { apiEvent, lambdaContext } from '../../support/apigw.ts';
import { conformanceProblems } from '../../support/openapi-conformance.ts';
import {
  API_TOKEN,
  type CapturedOutput,
  captureOutput,
  onlineRecord,
  stubSender,
  testApi,
} from '../../support/send-api.ts';

const ACCOUNT = '20001';
/** The longest answer any of these requests may get (the largest is a 400 naming a capped field). */
const MAX_ANSWER_BYTES = 2_048;
/** The longest log line (a line carries the Lambda context, the route and a capped reason). */
const MAX_LOG_LINE_BYTES = 4_096;

const session = {
  v: 1,
  cookies: { version: 'tough-cookie@6.1.0', cookies: [] },
  ptwebqq: 'p',
  vfwebqq: 'v',
  psessionid: 's',
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
  members: {},
  selfUins: [20001],
  selfNick: 'DemoBot',
};

// ── Arbitraries ────────────────────────────────────────────────────────────────────────────────

/** Any UTF-16 code unit, lone surrogates included (a JS string need not be valid Unicode). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** From a few to about 120,000 UTF-8 bytes: over every limit, or just around one. */
const hugeString = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 500, max: 30_000 }))
  .map(([piece, times]) => piece.repeat(times));
const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A field: mostly a valid value (so that most requests get past the body), else anything, or none. */
const field = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 20, arbitrary: valid },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: anyString },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const recipient = fc.oneof(
  { weight: 4, arbitrary: fc.record({ uin: fc.constantFrom(11, 15, 16, 21, 31, 99) }) },
  { weight: 1, arbitrary: fc.record({ uin: fc.oneof(fc.integer(), fc.double()) }) },
  {
    weight: 4,
    arbitrary: fc.record({ name: fc.constantFrom('Ali', 'sam', 'Hiking Club', 'weekend plans', 'Nobody') }),
  },
  { weight: 2, arbitrary: fc.record({ name: anyString }) },
  { weight: 1, arbitrary: fc.record({ uin: fc.constant(11), name: fc.constant('Ali') }) },
);
const sendBody = fc
  .record({
    type: field(fc.constantFrom('friend', 'group', 'discussion')),
    to: field(recipient),
    text: field(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), anyString)),
    account: field(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(undefined, ACCOUNT) },
        { weight: 1, arbitrary: fc.constantFrom('30001', '1', '020001', `${ACCOUNT} `) },
      ),
    ),
  })
  .chain((body) =>
    fc
      .oneof(
        { weight: 8, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), hugeString), anyJson) },
      )
      .map((extra) => ({ ...body, ...extra })),
  );
const bodyText = fc.oneof(
  { weight: 12, arbitrary: sendBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: sendBody.map((b) => JSON.stringify(b, null, 2)) },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: anyString },
);

const headers = fc
  .record(
    {
      authorization: fc.oneof(
        { weight: 12, arbitrary: fc.constant(`Bearer ${API_TOKEN}`) },
        { weight: 1, arbitrary: anyString },
        { weight: 1, arbitrary: anyString.map((s) => `Bearer ${s}`) },
      ),
      'idempotency-key': fc.oneof(
        { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,12}$/) },
        { weight: 1, arbitrary: anyString },
      ),
    },
    { requiredKeys: ['authorization'] },
  )
  .chain((known) =>
    fc
      .dictionary(fc.string({ maxLength: 15 }), anyString, { maxKeys: 3 })
      .map((other) => ({ ...other, ...known })),
  );

interface Request {
  readonly route: 'POST /v1/messages' | 'GET /v1/session' | 'GET /v1/contacts' | 'GET /v1/session/qr';
  readonly body: string | undefined;
  readonly base64: boolean;
  readonly headers: Record<string, string>;
  readonly account: string | undefined;
}

const request: fc.Arbitrary<Request> = fc.record({
  route: fc.oneof(
    { weight: 8, arbitrary: fc.constant('POST /v1/messages' as const) },
    { weight: 1, arbitrary: fc.constantFrom('GET /v1/session', 'GET /v1/contacts', 'GET /v1/session/qr') },
  ),
  body: fc.option(bodyText, { freq: 20, nil: undefined }),
  base64: fc.boolean(),
  headers,
  account: fc.option(fc.oneof(fc.constantFrom(ACCOUNT, '30001'), anyString), { freq: 2, nil: undefined }),
});

function eventOf(r: Request): APIGatewayProxyEventV2 {
  const [method, path] = r.route.split(' ') as ['GET' | 'POST', string];
  const event = apiEvent({
    method,
    path,
    headers: r.headers,
    ...(method === 'POST' && r.body !== undefined ? { body: r.body, base64: r.base64 } : {}),
  });
  if (method === 'GET' && r.account !== undefined) event.queryStringParameters = { account: r.account };
  return event;
}

// ── The property ───────────────────────────────────────────────────────────────────────────────

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.stop());

describe('the send API handler on arbitrary requests', () => {
  it('answers every one below 500, documented, short, and without the token', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        output.lines.length = 0;
        const api = testApi({ account: ACCOUNT, sender: stubSender() });
        api.sessions.put(onlineRecord(ACCOUNT, session, contacts));
        const event = eventOf(r);
        const answer = await api.handler(event, lambdaContext());
        expect(answer.statusCode, answer.body.slice(0, 300)).toBeLessThan(500);
        expect(Buffer.byteLength(answer.body)).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
        expect(answer.body).not.toContain(API_TOKEN);
        expect(conformanceProblems(event, answer)).toEqual([]);
        for (const line of output.lines) {
          expect(line).not.toContain(API_TOKEN);
          expect(Buffer.byteLength(line), line.slice(0, 300)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
        }
      }),
      { numRuns: 250 },
    );
  });
});
