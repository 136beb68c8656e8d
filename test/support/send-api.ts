/**
 * Driving the send function in tests: its dependencies on in-memory ports, an `invoke` that builds
 * a real API Gateway v2 event, checks the answer against the OpenAPI document and returns it parsed,
 * and the process output (Powertools writes logs and metrics to stdout) captured line by line.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { expect } from 'vitest';
import { createHandler, type SendApiDeps, type SendApiHandler } from '../../functions/send/app.ts';
import type { ContactsCache, SessionRecord } from '../../lib/pipeline/ports.ts';
import type { MessageSender } from '../../lib/send-api/sender.ts';
import type { SendResult, SendTarget } from '../../lib/smartqq/send.ts';
import type { SessionJson } from '../../lib/smartqq/session.ts';
import { apiEvent, type HttpRequest, lambdaContext } from './apigw.ts';
import {
  MemoryAccountRegistry,
  MemoryIdempotencyStore,
  MemoryOneBotIds,
  MemorySendPacing,
  MemorySessionStore,
} from './memory-ports.ts';
import { conformanceProblems, type StatusCoverage } from './openapi-conformance.ts';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const BEARER = { authorization: `Bearer ${API_TOKEN}` };

export { type CapturedOutput, captureOutput } from './capture-output.ts';

export interface StubSender extends MessageSender {
  readonly calls: { account: string; target: SendTarget; text: string; session: SessionJson }[];
  /** The next answers, in order; `sent` with parts 1 when none is left. A function may throw. */
  readonly answers: (SendResult | (() => Promise<SendResult>))[];
}

export function stubSender(): StubSender {
  const calls: StubSender['calls'] = [];
  const answers: StubSender['answers'] = [];
  return {
    calls,
    answers,
    async send(account, session, target, text) {
      calls.push({ account, session, target, text });
      const next = answers.shift();
      if (next === undefined) return { status: 'sent', parts: 1 };
      return typeof next === 'function' ? next() : next;
    },
  };
}

export interface TestApi {
  readonly handler: SendApiHandler;
  readonly deps: SendApiDeps;
  readonly sessions: MemorySessionStore;
  readonly pacing: MemorySendPacing;
  readonly idempotency: MemoryIdempotencyStore;
}

export function testApi(overrides: Partial<SendApiDeps> & Pick<SendApiDeps, 'account' | 'sender'>): TestApi {
  const sessions = new MemorySessionStore();
  const pacing = new MemorySendPacing();
  const idempotency = new MemoryIdempotencyStore();
  const deps: SendApiDeps = {
    sessions,
    pacing,
    idempotency,
    registry: new MemoryAccountRegistry(),
    memberLists: { get: async () => undefined },
    onebotIds: new MemoryOneBotIds(),
    sendPace: { intervalMs: 0, burst: 1 },
    apiToken: async () => API_TOKEN,
    logger: new Logger({ serviceName: 'send', logLevel: 'DEBUG' }),
    metrics: new Metrics({ namespace: 'QQBotTest', serviceName: 'send' }),
    ...overrides,
  };
  return {
    handler: createHandler(deps),
    deps,
    sessions: deps.sessions as MemorySessionStore,
    pacing: deps.pacing as MemorySendPacing,
    idempotency: deps.idempotency as MemoryIdempotencyStore,
  };
}

export interface Answered {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in assertions.
  readonly body: any;
}

/**
 * Invokes the handler with a real API Gateway v2 event and checks the answer against the OpenAPI
 * document (`coverage` records the route and status).
 */
export async function invoke(
  handler: SendApiHandler,
  request: HttpRequest,
  coverage?: StatusCoverage,
): Promise<Answered> {
  const event = apiEvent(request);
  const result = await handler(event, lambdaContext());
  expect(conformanceProblems(event, result)).toEqual([]);
  coverage?.record(event, result.statusCode);
  return {
    status: result.statusCode,
    headers: result.headers,
    raw: result.body,
    // A page is HTML: its text is the body.
    body: result.headers['content-type']?.startsWith('text/html') ? result.body : JSON.parse(result.body),
  };
}

/** A sendable message. */
export function message(overrides: Record<string, unknown> = {}): HttpRequest {
  return {
    method: 'POST',
    path: '/v1/messages',
    headers: BEARER,
    body: { type: 'friend', to: { name: 'Ali' }, text: 'hello', ...overrides },
  };
}

/** An online session record with its contacts, as the poller leaves it after a login. */
export function onlineRecord(
  account: string,
  session: SessionJson,
  contacts: Omit<ContactsCache, 'linkedAt'>,
  stateSince = Date.parse('2025-03-01T08:00:00.000Z'),
): SessionRecord {
  return {
    account,
    state: 'online',
    stateSince,
    version: 3,
    session,
    contacts: { ...contacts, linkedAt: session.linkedAt },
  };
}
