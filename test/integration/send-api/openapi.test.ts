/**
 * The OpenAPI document and the handler agree. Every answer of the send-api tests is also checked
 * against the document as it is produced (`invoke` in test/support/send-api.ts), and the unit tests
 * of the handler produce every documented status of every route (`StatusCoverage`).
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROUTE_KEYS } from '../../../functions/send/app.ts';
import { openApiDocument } from '../../../functions/send/openapi.ts';
import { ADD_BODY, PATCH_BODY } from '../../../lib/send-api/accounts.ts';
import { bodySchema } from '../../../lib/send-api/request.ts';
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

/** The JSON schema of a route's request body, its `$ref` to components.schemas followed. */
function requestBodySchemaOf(route: string): unknown {
  const [method = '', path = ''] = route.split(' ');
  const operation = openApiDocument().paths[path]?.[method.toLowerCase()];
  const body = operation?.requestBody as
    | { content: { 'application/json': { schema: { $ref?: string } } } }
    | undefined;
  const schema = body?.content['application/json'].schema;
  const name = schema?.$ref?.replace('#/components/schemas/', '');
  return name === undefined ? schema : openApiDocument().components.schemas[name];
}

/** What a JSON round trip (the wire, the file) makes of a value. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('the OpenAPI document', () => {
  it('lists exactly the routes the handler serves', () => {
    expect([...documentedRoutes()].sort()).toEqual([...ROUTE_KEYS].sort());
  });

  it('is served as openapi.ts builds it, without a token', async () => {
    const answer = await invoke(api().handler, { method: 'GET', path: '/v1/openapi.json' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(asJson(openApiDocument()));
  });

  it('is written out in functions/send/openapi.json as it is built (else: npm run openapi)', () => {
    const file = readFileSync(new URL('../../../functions/send/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(file)).toEqual(asJson(openApiDocument()));
  });

  it.each([
    ['POST /v1/messages', bodySchema],
    ['POST /v1/accounts', ADD_BODY],
    ['PATCH /v1/accounts/{account}', PATCH_BODY],
  ] as const)('takes the request body of %s from the zod schema that checks it', (route, schema) => {
    // JSON Schema 2020-12 (OpenAPI 3.1's dialect, hence no `$schema`) of what the client sends.
    const { $schema: _dialect, ...expected } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
    });
    const documented = requestBodySchemaOf(route);
    expect(documented).toEqual(expected);
    // Strict: an unknown field is refused by both.
    expect(documented).toMatchObject({ type: 'object', additionalProperties: false });
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

  it('documents a JSON schema that compiles for every request body and answer, and a 500 for every route', () => {
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
