/**
 * Where the bearer token comes from: a Secrets Manager secret in AWS (API_TOKEN_SECRET_ID; its
 * SecretString is the token itself), a plain value locally (API_TOKEN). The secret is fetched once
 * per cold start and kept; a failed fetch is not kept, so the next request tries again.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../lib/config.ts';
import { secretValue } from '../shared/secrets.ts';

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
    return secretValue(config.API_TOKEN_SECRET_ID, secrets, MIN_TOKEN_LENGTH);
  }
  if (config.API_TOKEN !== undefined) {
    const token = config.API_TOKEN;
    return async () => token;
  }
  throw new ConfigError('bad configuration: API_TOKEN_SECRET_ID or API_TOKEN must be set');
}
