/**
 * The OpenAPI document and the handler agree. Every answer of the send-api tests is also checked
 * against the document as it is produced (`invoke` in test/support/send-api.ts), and the unit tests
 * of the handler produce every documented status of every route (`StatusCoverage`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../../functions/send/handler.ts';
import openApiFile from '../../../functions/send/openapi.json' with { type: 'json' };
import { apiEvent } from '../../support/apigw.ts';
import {
  conformanceProblems,
  documentedRoutes,
  documentedStatuses,
  documentProblems,
  needsToken,
} from '../../support/openapi-conformance.ts';
import { type CapturedOutput, captureOutput, invoke, stubSender, testApi } from '../../support/send-api.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.stop());

const api = () => testApi({ account: '20001', sender: stubSender() });

describe('the OpenAPI document', () => {
  it('lists exactly the routes the handler serves', () => {
    expect([...documentedRoutes()].sort()).toEqual([...ROUTE_KEYS].sort());
  });

  it('is served as it is in the repository, without a token', async () => {
    const answer = await invoke(api().handler, { method: 'GET', path: '/v1/openapi.json' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(openApiFile);
  });

  it('says which routes need the token, and the handler agrees', async () => {
    const { handler } = api();
    for (const route of ROUTE_KEYS) {
      const [method, path] = route.split(' ') as ['GET' | 'POST', string];
      const answer = await invoke(handler, { method, path, ...(method === 'POST' ? { body: {} } : {}) });
      expect(answer.status === 401, route).toBe(needsToken(route));
      if (needsToken(route)) expect(documentedStatuses(route)).toContain(401);
    }
  });

  it('documents a JSON schema that compiles for every answer, and a 500 for every route', () => {
    expect(documentProblems()).toEqual([]);
    for (const route of documentedRoutes()) expect(documentedStatuses(route), route).toContain(200);
  });
});

describe('the conformance check', () => {
  const event = apiEvent({ method: 'GET', path: '/v1/session', headers: {} });
  const jsonAnswer = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

  it('accepts a documented answer', () => {
    expect(
      conformanceProblems(event, jsonAnswer(200, { account: '1', state: 'online', since: null })),
    ).toEqual([]);
  });

  it('finds an undocumented status, route, a wrong body, a leaked field, a missing header', () => {
    expect(conformanceProblems(event, jsonAnswer(418, {}))).toEqual([
      'GET /v1/session: status 418 is not documented',
    ]);
    expect(conformanceProblems(apiEvent({ method: 'GET', path: '/v2/x' }), jsonAnswer(200, {}))).toEqual([
      'GET /v2/x is not in the document',
    ]);
    expect(
      conformanceProblems(event, jsonAnswer(200, { account: '1', state: 'asleep', since: null })),
    ).toHaveLength(1);
    expect(
      conformanceProblems(
        event,
        jsonAnswer(200, { account: '1', state: 'online', since: null, psessionid: 'x' }),
      ),
    ).toHaveLength(1);
    expect(conformanceProblems(event, jsonAnswer(401, { error: 'unauthorized' }))).toEqual([
      'GET /v1/session 401: header WWW-Authenticate is missing',
    ]);
    expect(
      conformanceProblems(event, { ...jsonAnswer(200, {}), headers: { 'content-type': 'text/plain' } })[0],
    ).toContain('content-type is text/plain');
  });

  it('finds an accepted request that the document would not accept', () => {
    const sendEvent = apiEvent({
      method: 'POST',
      path: '/v1/messages',
      body: { type: 'friend', to: { name: 'Ali' }, text: 'x', extra: true },
    });
    expect(conformanceProblems(sendEvent, jsonAnswer(200, { status: 'sent', parts: 1 }))[0]).toContain(
      'an accepted request does not match the document',
    );
  });
});
