/**
 * The scheduled poller (EventBridge, every minute): wiring only. The poll loop itself is
 * `lib/pipeline/poller.ts`; the accounts of one invocation (ACCOUNTS, default ACCOUNT) are
 * polled side by side by `lib/pipeline/shard.ts`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { readEnv, smartQQHosts } from '../../lib/config.ts';
import type { PipelineLog } from '../../lib/pipeline/ports.ts';
import { runShard } from '../../lib/pipeline/shard.ts';
import { SqsInboundQueue } from '../../lib/queue/inbound-queue.ts';
import { DynamoMemberLists } from '../../lib/stores/member-lists-store.ts';
import { DynamoOutbox } from '../../lib/stores/outbox-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { createAwsClients } from '../shared/aws-clients.ts';
import { createObservability } from '../shared/observability.ts';

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
const { logger, metrics, log, counts } = createObservability('poller', env.ACCOUNT);
const sessions = new DynamoSessionStore({ doc, tableName: env.SESSIONS_TABLE });
const outbox = new DynamoOutbox({ doc, tableName: env.GUARDS_TABLE });
const memberLists = new DynamoMemberLists({ doc, tableName: env.GUARDS_TABLE });
const queue = new SqsInboundQueue({ client: sqs, queueUrl: env.INBOUND_QUEUE_URL });
const hosts = smartQQHosts(env);
const pollLimits = { maxHoldMs: env.POLL_MAX_HOLD_MS, marginMs: env.POLL_MARGIN_MS };

export const handler = middy(async (_event: ScheduledEvent, context: Context) => {
  counts.count('poller_invocations');
  const accounts = env.ACCOUNTS ?? [env.ACCOUNT];
  const reports = await runShard(accounts, (account) => ({
    account,
    sessions,
    queue,
    outbox,
    memberLists,
    hosts,
    pollLimits,
    remainingMs: () => context.getRemainingTimeInMillis(),
    owner: context.awsRequestId,
    scheduleRateMs: env.POLLER_RATE_MS,
    log: account === env.ACCOUNT ? log : logFor(account),
    metrics: counts,
  }));
  for (const [account, report] of reports) {
    logger.info('poller finished', {
      ...report,
      ...(account === env.ACCOUNT ? {} : { polledAccount: account }),
    });
    // Also counted last, just before logMetrics publishes: in the local runtime overlapping
    // invocations share this module's Metrics, and one may have published what the other counted.
    counts.count(`poller_${report.status}`);
  }
  // One account (the stack's today): its report, as before.
  return accounts.length === 1 ? reports.get(accounts[0] as string) : Object.fromEntries(reports);
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));

/** The log lines of another account of the shard carry its number. */
function logFor(account: string): PipelineLog {
  const child = logger.createChild({ persistentKeys: { account } });
  return {
    info: (message, extra) => child.info(message, extra ?? {}),
    warn: (message, extra) => child.warn(message, extra ?? {}),
    error: (message, extra) => child.error(message, extra ?? {}),
  };
}
