import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { apiTokenSource } from '../../../functions/send/api-token.ts';
import { ConfigError } from '../../../lib/config.ts';
import { checkBearer, sameSecret } from '../../../lib/send-api/auth.ts';
import { UnauthorizedError } from '../../../lib/send-api/errors.ts';

const TOKEN = 'a-long-enough-token-0123456789';

describe('checkBearer', () => {
  it('accepts the token as a bearer credential, whatever the case of the scheme', () => {
    expect(() => checkBearer(`Bearer ${TOKEN}`, TOKEN)).not.toThrow();
    expect(() => checkBearer(`bearer ${TOKEN}`, TOKEN)).not.toThrow();
  });

  it('refuses no header, another scheme, another token, a prefix or an extension of it', () => {
    for (const header of [
      undefined,
      '',
      TOKEN,
      `Basic ${TOKEN}`,
      'Bearer ',
      'Bearer wrong-token-0123456789abc',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN} extra`,
    ]) {
      expect(() => checkBearer(header, TOKEN), String(header)).toThrow(UnauthorizedError);
    }
  });

  it('compares secrets of different lengths without throwing (digests have one length)', () => {
    expect(sameSecret('a', 'a much longer secret')).toBe(false);
    expect(sameSecret('same', 'same')).toBe(true);
  });
});

describe('apiTokenSource', () => {
  /** A Secrets Manager stand-in answering `answers` in turn (an Error is thrown). */
  function secrets(answers: (string | Error)[]) {
    const asked: string[] = [];
    return {
      asked,
      client: () => ({
        send: async (command: unknown) => {
          expect(command).toBeInstanceOf(GetSecretValueCommand);
          asked.push(String((command as GetSecretValueCommand).input.SecretId));
          const next = answers.shift();
          if (next instanceof Error) throw next;
          return { SecretString: next };
        },
      }),
    };
  }

  it('fetches the secret once and keeps it, even for concurrent first requests', async () => {
    const sm = secrets([`${TOKEN}\n`]);
    const token = apiTokenSource({ API_TOKEN_SECRET_ID: 'qqbot/api-token' }, sm.client as never);
    expect(await Promise.all([token(), token()])).toEqual([TOKEN, TOKEN]);
    expect(await token()).toBe(TOKEN);
    expect(sm.asked).toEqual(['qqbot/api-token']);
  });

  it('tries again on the next request after a failed fetch', async () => {
    const sm = secrets([new Error('throttled'), TOKEN]);
    const token = apiTokenSource({ API_TOKEN_SECRET_ID: 'qqbot/api-token' }, sm.client as never);
    await expect(token()).rejects.toThrow('throttled');
    expect(await token()).toBe(TOKEN);
    expect(sm.asked).toHaveLength(2);
  });

  it('refuses a secret too short to be a token, naming the secret and not its value', async () => {
    const sm = secrets(['short-secret']);
    const token = apiTokenSource({ API_TOKEN_SECRET_ID: 'qqbot/api-token' }, sm.client as never);
    const error = await token().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('qqbot/api-token');
    expect(String(error)).not.toContain('short-secret');
  });

  it('uses API_TOKEN when there is no secret, and needs one of the two', async () => {
    const sm = secrets([]);
    expect(await apiTokenSource({ API_TOKEN: TOKEN }, sm.client as never)()).toBe(TOKEN);
    expect(sm.asked).toEqual([]);
    expect(() => apiTokenSource({}, sm.client as never)).toThrow(/API_TOKEN_SECRET_ID or API_TOKEN/);
  });
});
