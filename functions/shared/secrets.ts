/**
 * Secrets Manager values the functions use (the API token, the OneBot signing secret): fetched once
 * per cold start and kept; a failed fetch is not kept, so the next use tries again. An error names
 * the secret, never its value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../lib/config.ts';

/** The SecretString of `secretId`, trimmed, at least `minLength` characters. */
export function secretValue(
  secretId: string,
  secrets: () => Pick<SecretsManagerClient, 'send'>,
  minLength: number,
): () => Promise<string> {
  return keepOnceFetched(async () => {
    const answer = await secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = answer.SecretString?.trim() ?? '';
    if (value.length < minLength) {
      throw new ConfigError(`secret ${secretId} must hold a value of at least ${minLength} characters`);
    }
    return value;
  });
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
