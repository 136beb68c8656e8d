/**
 * The bot of `npm run chaos`: the local runtime's three functions in a child process the harness
 * kills (SIGKILL) and restarts, on the harness's DynamoDB, SQS and SmartQQ simulator, which outlive
 * it. Configuration from CHAOS_BOT_CONFIG (JSON, `BotConfig`); prints `ready` once it runs.
 */
import { startLocalRuntime } from '../../local/runtime/index.ts';

export interface BotConfig {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly smartqqUrl: string;
  readonly account: string;
  readonly pollHoldMs: number;
}

/** Every test message `chaos <id>` is answered `ack <id>`, wherever it comes from. */
export const CHAOS_RULES = [
  {
    account: '*',
    id: 'chaos-ack',
    chatTypes: ['friend', 'group', 'discussion'],
    match: 'regex',
    pattern: '^chaos (\\S+)$',
    caseSensitive: true,
    replies: ['ack {$1}'],
  },
];

const config = JSON.parse(process.env.CHAOS_BOT_CONFIG ?? '') as BotConfig;
const runtime = await startLocalRuntime({
  dynamodbEndpoint: config.dynamodbEndpoint,
  sqsEndpoint: config.sqsEndpoint,
  smartqqUrl: config.smartqqUrl,
  account: config.account,
  rules: CHAOS_RULES,
  pollHoldMs: config.pollHoldMs,
  pollMarginMs: 500,
  scheduleRateMs: 5_000,
  sqsWaitTimeSeconds: 1,
  sendIntervalMs: 0,
  handlerLogLevel: process.env.CHAOS_BOT_LOG_LEVEL ?? 'WARN',
  functionEnvironment: { CONVERSATION_REPLIES_PER_MINUTE: '0' },
  log: (line) => process.stderr.write(`bot: ${line}\n`),
});
process.stdout.write('ready\n');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void runtime.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The harness gone (its pipe closed): stop too, never an orphan.
process.stdin.on('end', stop);
process.stdin.resume();
