/**
 * The send function's Lambda entry: configured once per cold start, at import — a missing or bad
 * variable fails the cold start with its name, not the first request. The API itself is `app.ts`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnv, smartQQHosts } from '../../lib/config.ts';
import { smartQQSender } from '../../lib/send-api/sender.ts';
import { createDynamoClients } from '../../lib/state/dynamo.ts';
import { DynamoAccountRegistry } from '../../lib/stores/account-registry.ts';
import { DynamoIdempotencyStore } from '../../lib/stores/idempotency-store.ts';
import { DynamoMemberListReader } from '../../lib/stores/member-lists-store.ts';
import { DynamoOneBotIds } from '../../lib/stores/onebot-ids-store.ts';
import { DynamoSendPacing } from '../../lib/stores/pacing-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { apiTokenSource } from './api-token.ts';
import { createHandler, type SendApiHandler } from './app.ts';

const env = readEnv([
  'ACCOUNT',
  'ACCOUNTS',
  'SESSIONS_TABLE',
  'GUARDS_TABLE',
  'SEND_INTERVAL_MS',
  'SEND_BURST',
  'API_TOKEN_SECRET_ID',
  'API_TOKEN',
  'DYNAMODB_ENDPOINT',
  'SMARTQQ_BASE_URL',
  'SMARTQQ_PTLOGIN_URL',
  'SMARTQQ_SWEB2_URL',
  'SMARTQQ_D1WEB2_URL',
]);
const apiToken = apiTokenSource(env, () => new SecretsManagerClient({}));
const { doc } = createDynamoClients(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {});

export const handler: SendApiHandler = createHandler({
  account: env.ACCOUNT,
  accounts: env.ACCOUNTS ?? [env.ACCOUNT],
  sessions: new DynamoSessionStore({ doc, tableName: env.SESSIONS_TABLE }),
  pacing: new DynamoSendPacing({ doc, tableName: env.GUARDS_TABLE }),
  idempotency: new DynamoIdempotencyStore({ doc, tableName: env.GUARDS_TABLE }),
  sender: smartQQSender({ hosts: smartQQHosts(env) }),
  sendPace: { intervalMs: env.SEND_INTERVAL_MS, burst: env.SEND_BURST },
  apiToken,
  registry: new DynamoAccountRegistry({ doc, tableName: env.SESSIONS_TABLE }),
  memberLists: new DynamoMemberListReader({ doc, tableName: env.GUARDS_TABLE }),
  onebotIds: new DynamoOneBotIds({ doc, tableName: env.SESSIONS_TABLE }),
  logger: new Logger({ serviceName: 'send' }),
  // The namespace of the other functions' metrics (functions/shared); each send names its account.
  metrics: new Metrics({ namespace: 'QQBot', serviceName: 'send' }),
});
