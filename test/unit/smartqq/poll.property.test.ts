/**
 * The poll2 parser fed mutated versions of the captured answer (fast-check): fields dropped, types
 * changed, values nested in arrays, numbers too large for an id (even for a double), the retcode
 * changed. Whatever the server says, `poll` returns one of its typed outcomes — with events whose
 * fields have the types they promise, or a SmartQQ error — and never throws.
 */
import fc from 'fast-check';
import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SmartQQApi } from '../../../lib/smartqq/api.ts';
import { SmartQQNetworkError, SmartQQProtocolError } from '../../../lib/smartqq/errors.ts';
import { type PollOutcome, poll } from '../../../lib/smartqq/poll.ts';
import { Session } from '../../../lib/smartqq/session.ts';
import { fixtureJson } from '../../support/fixtures.ts';

const CAPTURED = fixtureJson('poll_messages.txt');

// ── Mutations ──────────────────────────────────────────────────────────────────────────────────

/** A number written as is in the JSON text: `1e400` parses to Infinity, long digits lose precision. */
class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON text, with `RawNumber`s written as they are. */
function toJsonText(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '1e300',
  '18446744073709551616',
  '123456789012345678901234567890',
  '9007199254740993',
  '-1',
  '1.5',
  '-0',
  '0.000001',
];

type Mutation =
  | { readonly kind: 'drop'; readonly at: number }
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number }
  | { readonly kind: 'huge'; readonly at: number; readonly text: string }
  | { readonly kind: 'duplicate'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(0, 102, 103, 116, 121, 100001, 100012, -1, '', 'message', [], {}, null, true),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    ),
  }),
  fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), text: fc.constantFrom(...HUGE_NUMBERS) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
);

type Slot = { readonly parent: Record<string, unknown> | unknown[]; readonly key: string | number };

/** Every place a value sits in the tree, root excluded, in a stable order. */
function slotsOf(value: unknown, into: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((child, index) => {
      into.push({ parent: value, key: index });
      slotsOf(child, into);
    });
  } else if (typeof value === 'object' && value !== null && !(value instanceof RawNumber)) {
    for (const [key, child] of Object.entries(value)) {
      into.push({ parent: value as Record<string, unknown>, key });
      slotsOf(child, into);
    }
  }
  return into;
}

function mutate(answer: unknown, mutations: readonly Mutation[]): unknown {
  const root = structuredClone(answer);
  for (const m of mutations) {
    const slots = slotsOf(root);
    const slot = slots[m.at % Math.max(1, slots.length)];
    if (!slot) break;
    const parent = slot.parent as Record<string | number, unknown>;
    const current = parent[slot.key];
    switch (m.kind) {
      case 'drop':
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete parent[slot.key];
        break;
      case 'replace':
        parent[slot.key] = structuredClone(m.value);
        break;
      case 'nest': {
        let nested = current;
        for (let i = 0; i < m.depth; i++) nested = [nested];
        parent[slot.key] = nested;
        break;
      }
      case 'huge':
        parent[slot.key] = new RawNumber(m.text);
        break;
      case 'duplicate':
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 0, structuredClone(current));
        else parent[slot.key] = [current, current];
        break;
    }
  }
  return root;
}

// ── What a typed outcome is ────────────────────────────────────────────────────────────────────

/** An id, a msg_id or a time: what the protocol promises, and what the stores can keep. */
const id = z.number().int().nonnegative();
const segment = z.union([
  z.strictObject({ type: z.literal('text'), text: z.string().min(1) }),
  z.strictObject({ type: z.literal('face'), id, name: z.string().optional() }),
]);
const message = { msgId: id, time: id, segments: z.array(segment), text: z.string() };
const event = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('friend_message'), fromUin: id, ...message }),
  z.strictObject({ kind: z.literal('group_message'), gid: id, senderUin: id, ...message }),
  z.strictObject({ kind: z.literal('discussion_message'), did: id, senderUin: id, ...message }),
  z.strictObject({
    kind: z.literal('temporary_message'),
    fromUin: id,
    serviceType: id.optional(),
    viaId: id.optional(),
    ...message,
  }),
  z.strictObject({
    kind: z.literal('status_change'),
    uin: id,
    status: z.string(),
    clientType: id.optional(),
  }),
  z.strictObject({ kind: z.literal('kick'), reason: z.string() }),
  z.strictObject({ kind: z.literal('notice'), pollType: z.string(), value: z.unknown() }),
  z.strictObject({
    kind: z.literal('unreadable'),
    pollType: z.string(),
    reason: z.string(),
    value: z.unknown(),
  }),
]);
const retcode = z.number().int();
const outcome = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('events'), events: z.array(event).min(1) }),
  z.strictObject({ kind: z.literal('nothing_yet') }),
  z.strictObject({ kind: z.literal('not_registered'), retcode }),
  // A cookie value: what the next request's Cookie header can carry (RFC 6265 cookie-octets).
  z.strictObject({
    kind: z.literal('ptwebqq_rotated'),
    ptwebqq: z.string().regex(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/),
  }),
  z.strictObject({ kind: z.literal('relink'), retcode }),
  z.strictObject({ kind: z.literal('session_expired'), retcode }),
  z.strictObject({ kind: z.literal('too_frequent'), retcode }),
  z.strictObject({ kind: z.literal('rejected'), retcode }),
  z.strictObject({
    kind: z.literal('error'),
    error: z.custom((e) => e instanceof SmartQQProtocolError || e instanceof SmartQQNetworkError),
  }),
]);

/** An api whose poll2 is answered with `body`. */
function answering(body: string, status = 200): SmartQQApi {
  return {
    raw: async () => ({ status, headers: {}, body: Buffer.from(body, 'utf8') }),
  } as unknown as SmartQQApi;
}

async function newSession(): Promise<Session> {
  const jar = new CookieJar();
  await jar.setCookie('ptwebqq=0123abcd; Domain=qq.com; Path=/', 'https://s.web2.qq.com/');
  return new Session(jar, { ptwebqq: '0123abcd', vfwebqq: 'v', psessionid: 's', uin: 1, linkedAt: 0 });
}

async function pollOn(body: string): Promise<PollOutcome> {
  const session = await newSession();
  const answer = await poll(answering(body), session, { budgetMs: 200_000 });
  const cookie = await session.jar.getCookieString('https://d1.web2.qq.com/channel/poll2');
  // Whatever the server said, the next request can still be sent: a Cookie header is one line.
  expect(cookie).toMatch(/^[\x20-\x7e]*$/);
  return answer;
}

describe('poll on mutated captured answers', () => {
  it('reads the captured answer as its three events', async () => {
    const answer = await pollOn(toJsonText(CAPTURED));
    expect(outcome.parse(answer)).toMatchObject({ kind: 'events' });
    expect(answer.kind === 'events' && answer.events.map((e) => e.kind)).toEqual([
      'friend_message',
      'group_message',
      'discussion_message',
    ]);
  });

  it('returns a typed outcome, never throws, whatever was changed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (mutations) => {
        const answer = await pollOn(toJsonText(mutate(CAPTURED, mutations)));
        const checked = outcome.safeParse(answer);
        expect(checked.success, JSON.stringify(checked.error?.issues[0])).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('returns a typed outcome for every retcode and any "p", with a result or without', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(0, 102, 103, 116, 120, 121, 100000, 100003, 100006, 100012, 6),
          fc.integer(),
        ),
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 1 })),
        fc.boolean(),
        async (code, p, withResult) => {
          const body = { retcode: code, p, ...(withResult ? { result: CAPTURED.result } : {}) };
          const checked = outcome.safeParse(await pollOn(JSON.stringify(body)));
          expect(checked.success, JSON.stringify(checked.error?.issues[0])).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
