/**
 * The inbound queue consumer (SQS FIFO event source, ReportBatchItemFailures): wiring only. What it
 * does with a batch is `consumer.ts`; with a message, `lib/pipeline/replier.ts`. The configuration
 * is read and the clients built once per cold start.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnv, smartQQHosts } from '../../lib/config.ts';
import { httpEventPoster } from '../../lib/onebot/post.ts';
import { accountOneBots } from '../../lib/onebot/quick-reply.ts';
import { conversationPace, replyWithRetries } from '../../lib/pipeline/replier.ts';
import {
  MemberListCache,
  SentHere,
  SessionCache,
  SmartQQClients,
} from '../../lib/pipeline/session-clients.ts';
import { RuleCache } from '../../lib/rules/rule-cache.ts';
import { DynamoAccountRegistryReader } from '../../lib/stores/account-registry.ts';
import { DynamoConversationGuard, DynamoCooldownStore } from '../../lib/stores/guard-store.ts';
import { DynamoIdempotencyStore } from '../../lib/stores/idempotency-store.ts';
import { DynamoMemberListReader } from '../../lib/stores/member-lists-store.ts';
import { DynamoOneBotIds } from '../../lib/stores/onebot-ids-store.ts';
import { DynamoSendPacing } from '../../lib/stores/pacing-store.ts';
import { DynamoRuleStore } from '../../lib/stores/rule-store.ts';
import { DynamoSessionStore } from '../../lib/stores/session-store.ts';
import { createAwsClients } from '../shared/aws-clients.ts';
import { createObservability, publishAccountMetrics } from '../shared/observability.ts';
import { secretValue } from '../shared/secrets.ts';
import { createConsumerHandler } from './consumer.ts';
import { sqsDeadLetterSender } from './dead-letter.ts';
import { sqsRecordDeferrer } from './defer.ts';

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
  'INBOUND_DLQ_URL',
  'INBOUND_QUEUE_URL',
  'ONEBOT_POST_URL',
  'ONEBOT_SECRET',
  'ONEBOT_SECRET_ID',
  'ONEBOT_MODE',
  'ONEBOT_POST_FORMAT',
]);
const { doc, sqs } = createAwsClients(env);
const observability = createObservability('consumer');
const { logger, metrics, counts } = observability;
const guards = { doc, tableName: env.GUARDS_TABLE };
const rules = new RuleCache(new DynamoRuleStore({ doc, tableName: env.RULES_TABLE }), {
  // Once per reload, not per message: each invalid rule named with its field.
  onProblems: (problems) => {
    for (const p of problems)
      logger.error('invalid rule skipped', { ruleId: p.ruleId, field: p.field, problem: p.message });
  },
  // The last good rules keep answering meanwhile; the next check tries again.
  onReloadError: (error, account) =>
    logger.error('rules could not be reloaded: answering by the last ones loaded', {
      account,
      reason: error instanceof Error ? error.message : String(error),
    }),
});
// Kept for the container's life: the session record (10 s at most) and the SmartQQ connections.
const base = {
  sessions: new SessionCache(new DynamoSessionStore({ doc, tableName: env.SESSIONS_TABLE })),
  memberLists: new MemberListCache(new DynamoMemberListReader(guards)),
  clients: new SmartQQClients(smartQQHosts(env)),
  sentHere: new SentHere(),
  rules,
  cooldowns: new DynamoCooldownStore(guards),
  conversationGuard: new DynamoConversationGuard(guards),
  idempotency: new DynamoIdempotencyStore(guards),
  pacing: new DynamoSendPacing(guards),
  sendPace: { intervalMs: env.SEND_INTERVAL_MS, burst: env.SEND_BURST },
  conversationPace: conversationPace(env.CONVERSATION_REPLIES_PER_MINUTE),
};

/** Each account's OneBot bot: its own (the registry) or the deployment's (ONEBOT_*), if any. */
const signingSecret = onebotSecret();
const onebotFor = accountOneBots({
  defaults: {
    ...(env.ONEBOT_POST_URL ? { postUrl: env.ONEBOT_POST_URL } : {}),
    mode: env.ONEBOT_MODE,
    format: env.ONEBOT_POST_FORMAT,
  },
  registry: new DynamoAccountRegistryReader({ doc, tableName: env.SESSIONS_TABLE }),
  ids: new DynamoOneBotIds({ doc, tableName: env.SESSIONS_TABLE }),
  posterFor: (url) => httpEventPoster({ url, ...signingSecret }),
});

/** The signing secret: the stack's (Secrets Manager, fetched at the first post) or a plain one locally. */
function onebotSecret(): { secret?: string | (() => Promise<string>) } {
  if (env.ONEBOT_SECRET_ID) {
    return { secret: secretValue(env.ONEBOT_SECRET_ID, () => new SecretsManagerClient({}), 16) };
  }
  return env.ONEBOT_SECRET ? { secret: env.ONEBOT_SECRET } : {};
}

export const handler = createConsumerHandler({
  // What is said and counted about a message is said of its account; its OneBot bot is asked, if any.
  reply: async (message, remainingMs) => {
    const { log, counts: accountCounts } = observability.forAccount(message.account);
    const onebot = await onebotFor(message.account);
    return replyWithRetries(message, {
      ...base,
      ...(onebot ? { onebot } : {}),
      log,
      metrics: accountCounts,
      remainingMs,
    });
  },
  deadLetter: sqsDeadLetterSender(sqs, env.INBOUND_DLQ_URL),
  defer: sqsRecordDeferrer(sqs, env.INBOUND_QUEUE_URL),
  logger,
  metrics,
  counts,
}).use(publishAccountMetrics(observability));
