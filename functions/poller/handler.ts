/**
 * The scheduled poller (EventBridge, every minute, one rule per shard): wiring only. The poll loop
 * itself is `lib/pipeline/poller.ts`; the accounts of one invocation — the active accounts of its
 * shard, from ACCOUNTS and the account registry — are polled side by side by `lib/pipeline/shard.ts`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readEnv, smartQQHosts } from '../../lib/config.ts';
import { parseShardEvent, pollShard } from '../../lib/pipeline/shard.ts';
import { SqsInboundQueue } from '../../lib/queue/inbound-queue.ts';
import { DynamoAccountRegistryReader } from '../../lib/stores/account-registry.ts';
import { DynamoMemberLists } from '../../lib/stores/member-lists-store.ts';
import { DynamoOutbox } from '../../lib/stores/outbox-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { createAwsClients } from '../shared/aws-clients.ts';
import { createObservability, publishAccountMetrics } from '../shared/observability.ts';

const env = readEnv([
  'ACCOUNT',
  'ACCOUNTS',
  'SESSIONS_TABLE',
  'GUARDS_TABLE',
  'INBOUND_QUEUE_URL',
  'DYNAMODB_ENDPOINT',
  'SQS_ENDPOINT',
  'SMARTQQ_BASE_URL',
  'SMARTQQ_PTLOGIN_URL',
  'SMARTQQ_SWEB2_URL',
  'SMARTQQ_D1WEB2_URL',
  'POLL_MAX_HOLD_MS',
  'POLL_MARGIN_MS',
  'POLLER_RATE_MS',
]);
const { doc, sqs } = createAwsClients(env);
const observability = createObservability('poller');
const { logger, metrics, log, counts } = observability;
const configured = env.ACCOUNTS ?? [env.ACCOUNT];
const registry = new DynamoAccountRegistryReader({ doc, tableName: env.SESSIONS_TABLE });
const sessions = new DynamoSessionStore({ doc, tableName: env.SESSIONS_TABLE });
const outbox = new DynamoOutbox({ doc, tableName: env.GUARDS_TABLE });
const memberLists = new DynamoMemberLists({ doc, tableName: env.GUARDS_TABLE });
const queue = new SqsInboundQueue({ client: sqs, queueUrl: env.INBOUND_QUEUE_URL });
const hosts = smartQQHosts(env);
const pollLimits = { maxHoldMs: env.POLL_MAX_HOLD_MS, marginMs: env.POLL_MARGIN_MS };

export const handler = middy(async (event: unknown, context: Context) => {
  counts.count('poller_invocations');
  // The stack's rules pass `{ shard, shards }`; a bad one fails here, before any account is touched.
  const shard = parseShardEvent(event);
  const reports = await pollShard({
    configured,
    registry,
    shard,
    remainingMs: () => context.getRemainingTimeInMillis(),
    log,
    depsFor: (account, remainingMs) => ({
      account,
      log: observability.forAccount(account).log,
      metrics: observability.forAccount(account).counts,
      sessions,
      queue,
      outbox,
      memberLists,
      hosts,
      pollLimits,
      remainingMs,
      owner: context.awsRequestId,
      scheduleRateMs: env.POLLER_RATE_MS,
    }),
  });
  for (const [account, report] of reports) {
    observability.forAccount(account).log.info('poller finished', { ...report });
    // Also counted last, just before the metrics are published: in the local runtime overlapping
    // invocations share this module's Metrics, and one may have published what the other counted.
    observability.forAccount(account).counts.count(`poller_${report.status}`);
  }
  return { shard: shard.shard, shards: shard.shards, accounts: Object.fromEntries(reports) };
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(publishAccountMetrics(observability));
