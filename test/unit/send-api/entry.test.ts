/**
 * The Lambda entry `handler`: built from the environment on the first invocation. Neither test
 * reaches DynamoDB or SmartQQ (the document is public, a request without a token stops at 401).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../functions/send/handler.ts';
import { apiEvent, lambdaContext } from '../../support/apigw.ts';
import { type CapturedOutput, captureOutput } from '../../support/send-api.ts';

const ENV = {
  ACCOUNT: '20001',
  SESSIONS_TABLE: 'qqbot-Sessions',
  GUARDS_TABLE: 'qqbot-Guards',
  API_TOKEN: 'a-local-token-0123456789',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  SMARTQQ_BASE_URL: 'http://127.0.0.1:9',
  SEND_INTERVAL_MS: '3000',
};

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.stop();
  vi.unstubAllEnvs();
});

describe('handler', () => {
  it('fails with the name of a missing variable, and with no token configured', async () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    vi.stubEnv('ACCOUNT', '');
    await expect(handler(apiEvent({ method: 'GET', path: '/v1/session' }), lambdaContext())).rejects.toThrow(
      /ACCOUNT/,
    );
    vi.stubEnv('ACCOUNT', ENV.ACCOUNT);
    vi.stubEnv('API_TOKEN', '');
    await expect(handler(apiEvent({ method: 'GET', path: '/v1/session' }), lambdaContext())).rejects.toThrow(
      /API_TOKEN_SECRET_ID or API_TOKEN/,
    );
  });

  it('serves the API from the environment, its log lines named by service', async () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    const doc = await handler(apiEvent({ method: 'GET', path: '/v1/openapi.json' }), lambdaContext());
    expect(doc.statusCode).toBe(200);
    const refused = await handler(
      apiEvent({ method: 'POST', path: '/v1/messages', body: { type: 'friend', to: { uin: 1 }, text: 'x' } }),
      lambdaContext(),
    );
    expect(refused.statusCode).toBe(401);
    const logged = output.json().filter((l) => 'level' in l);
    expect(logged.length).toBeGreaterThan(0);
    // Refused before any account was named: the lines say so by having none (the account of a
    // request is on its lines once known: handler.test.ts).
    for (const line of logged) {
      expect(line).toMatchObject({ service: 'send' });
      expect(line).not.toHaveProperty('account');
    }
  });
});
