/**
 * The inbound queue consumer (SQS FIFO event source, ReportBatchItemFailures): wiring only. What it
 * does with a message is `lib/pipeline/replier.ts`.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { readEnv, smartQQHosts } from '../../lib/config.ts';
import { conversationPace, replyTo } from '../../lib/pipeline/replier.ts';
import { parseInboundMessage } from '../../lib/queue/inbound-queue.ts';
import { RuleCache } from '../../lib/rules/rule-cache.ts';
import { DynamoCooldownStore, DynamoRecentReplies } from '../../lib/stores/guard-store.ts';
import { DynamoIdempotencyStore } from '../../lib/stores/idempotency-store.ts';
import { DynamoSendPacing } from '../../lib/stores/pacing-store.ts';
import { DynamoRuleStore } from '../../lib/stores/rule-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { createAwsClients } from '../shared/aws-clients.ts';
import { createObservability } from '../shared/observability.ts';

const env = readEnv([
  'ACCOUNT',
  'SESSIONS_TABLE',
  'RULES_TABLE',
  'GUARDS_TABLE',
  'DYNAMODB_ENDPOINT',
  'SQS_ENDPOINT',
  'SMARTQQ_BASE_URL',
  'SMARTQQ_PTLOGIN_URL',
  'SMARTQQ_SWEB2_URL',
  'SMARTQQ_D1WEB2_URL',
  'SEND_INTERVAL_MS',
  'SEND_BURST',
  'CONVERSATION_REPLIES_PER_MINUTE',
]);
const { doc } = createAwsClients(env);
const { logger, metrics, log, counts } = createObservability('consumer', env.ACCOUNT);
const guards = { doc, tableName: env.GUARDS_TABLE };
const rules = new RuleCache(new DynamoRuleStore({ doc, tableName: env.RULES_TABLE }), {
  // Once per reload, not per message: each invalid rule named with its field.
  onProblems: (problems) => {
    for (const p of problems)
      logger.error('invalid rule skipped', { ruleId: p.ruleId, field: p.field, problem: p.message });
  },
});
const base = {
  sessions: new DynamoSessionStore({ doc, tableName: env.SESSIONS_TABLE }),
  rules,
  cooldowns: new DynamoCooldownStore(guards),
  recentReplies: new DynamoRecentReplies(guards),
  idempotency: new DynamoIdempotencyStore(guards),
  pacing: new DynamoSendPacing(guards),
  sendPace: { intervalMs: env.SEND_INTERVAL_MS, burst: env.SEND_BURST },
  conversationPace: conversationPace(env.CONVERSATION_REPLIES_PER_MINUTE),
  hosts: smartQQHosts(env),
  log,
  metrics: counts,
};

export const handler = middy(async (event: SQSEvent, context: Context) => {
  counts.count('records_received', event.Records.length);
  // FIFO: after a failure, the rest of that conversation in the batch fails too, so it stays in order.
  const processor = new SqsFifoPartialProcessorAsync();
  const recordHandler = async (record: SQSRecord) => {
    const message = parseInboundMessage(record.body);
    logger.appendKeys({ conversation: message.conversation, eventKey: message.key });
    try {
      const report = await replyTo(message, {
        ...base,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      logger.info('message handled', { replies: report.replies, skipped: report.skipped });
    } finally {
      logger.removeKeys(['conversation', 'eventKey']);
    }
  };
  // skipGroupOnError: a failed conversation waits, the others in the batch go on.
  return processPartialResponse(event, recordHandler, processor, {
    context,
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
