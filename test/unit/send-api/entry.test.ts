/**
 * The Lambda entry `handler`: configured from the environment at import, once per cold start. Neither
 * test reaches DynamoDB or SmartQQ (the document is public, a request without a token stops at 401).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SendApiHandler } from '../../../functions/send/app.ts';
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

/** A cold start: the module imported afresh with the environment as it is now. */
async function coldStart(): Promise<SendApiHandler> {
  vi.resetModules();
  return (await import('../../../functions/send/handler.ts')).handler;
}

describe('handler', () => {
  it('fails the cold start, not a request, with the name of a missing variable or the missing token', async () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    vi.stubEnv('ACCOUNT', '');
    await expect(coldStart()).rejects.toThrow(/ACCOUNT/);
    vi.stubEnv('ACCOUNT', ENV.ACCOUNT);
    vi.stubEnv('API_TOKEN', '');
    await expect(coldStart()).rejects.toThrow(/API_TOKEN_SECRET_ID or API_TOKEN/);
  });

  it('serves the API from the environment, its log lines named by service', async () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    const handler = await coldStart();
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
