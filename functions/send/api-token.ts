/**
 * Where the bearer token comes from: a Secrets Manager secret in AWS (API_TOKEN_SECRET_ID; its
 * SecretString is the token itself), a plain value locally (API_TOKEN). The secret is fetched once
 * per cold start and kept; a failed fetch is not kept, so the next request tries again.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../lib/config.ts';

export type TokenSource = () => Promise<string>;

export interface TokenConfig {
  readonly API_TOKEN_SECRET_ID?: string | undefined;
  readonly API_TOKEN?: string | undefined;
}

/** The same minimum as API_TOKEN's (lib/config.ts): a short secret would be guessable. */
const MIN_TOKEN_LENGTH = 16;

export function apiTokenSource(
  config: TokenConfig,
  secrets: () => Pick<SecretsManagerClient, 'send'>,
): TokenSource {
  if (config.API_TOKEN_SECRET_ID !== undefined) {
    const secretId = config.API_TOKEN_SECRET_ID;
    return keepOnceFetched(async () => {
      const answer = await secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
      const token = answer.SecretString?.trim() ?? '';
      // The message names the secret, never its value.
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new ConfigError(
          `secret ${secretId} must hold a token of at least ${MIN_TOKEN_LENGTH} characters`,
        );
      }
      return token;
    });
  }
  if (config.API_TOKEN !== undefined) {
    const token = config.API_TOKEN;
    return async () => token;
  }
  throw new ConfigError('bad configuration: API_TOKEN_SECRET_ID or API_TOKEN must be set');
}

/** Calls `fetch` until it succeeds once, then answers its value; concurrent callers share one fetch. */
export function keepOnceFetched<T>(fetch: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= fetch().catch((err: unknown) => {
      kept = undefined;
      throw err;
    });
    return kept;
  };
}
