/**
 * `npm run measure:poller-memory [-- --accounts N --seconds S]`: the poller function's peak memory,
 * as Lambda would report "Max Memory Used", for one invocation holding N accounts (ACCOUNTS,
 * lib/pipeline/shard.ts; default 1). The poller is bundled exactly as the stack bundles it (esbuild,
 * ESM, minified) and run alone in a plain `node` process for S seconds (default 60), polling N
 * logged-in accounts while the simulator sends them 20 messages a second in all; its peak resident
 * set size is printed. The accounts are logged in first through the simulator, their sessions
 * stored in the emulated DynamoDB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { createDynamoClients } from '../lib/state/dynamo.ts';
import { createQueues, localQueueNames } from '../lib/state/queues.ts';
import { createTables, localTableNames } from '../lib/state/tables.ts';
import { DynamoMemberLists } from '../lib/stores/member-lists-store.ts';
import { DynamoSessionStore } from '../lib/stores/session-store.ts';
import demoWorld from '../local/demo-world.json' with { type: 'json' };
import { localSqsClient, startDynamoEmulator, startSqsEmulator } from '../local/runtime/emulators.ts';
import { logInThroughSimulator } from '../local/runtime/sim-login.ts';
import { type MessageInput, startSimulator } from '../local/simulator/index.ts';

const { values } = parseArgs({
  options: { accounts: { type: 'string', default: '1' }, seconds: { type: 'string', default: '60' } },
});
const ACCOUNTS = Number(values.accounts);
const INVOCATION_MS = Number(values.seconds) * 1000;
if (!Number.isInteger(ACCOUNTS) || ACCOUNTS < 1 || ACCOUNTS > 500)
  throw new Error('--accounts must be 1 to 500');
// Less leaves no time for a whole poll hold (10 s) after the publishing reserve (10 s).
if (!Number.isInteger(INVOCATION_MS) || INVOCATION_MS < 30_000)
  throw new Error('--seconds must be 30 or more');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOLD_MS = 10_000;
const demoAccount = demoWorld.accounts[0] as (typeof demoWorld.accounts)[number];
const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(demoAccount.qq + i));
// The demo account's contacts, for each of N accounts.
const world = {
  ...demoWorld,
  accounts: accounts.map((qq, i) => ({
    ...demoAccount,
    qq: Number(qq),
    nick: `${demoAccount.nick}${i || ''}`,
  })),
};

const dir = mkdtempSync(path.join(tmpdir(), 'poller-memory-'));
const dynamo = await startDynamoEmulator(0);
const sqs = await startSqsEmulator(0);
const sim = await startSimulator({ world, pollHoldMs: HOLD_MS });
try {
  const { client: dynamoClient, doc } = createDynamoClients({ endpoint: dynamo.endpoint });
  const tables = localTableNames('measure');
  await createTables(dynamoClient, tables);
  const sqsClient = localSqsClient(sqs.endpoint);
  const queues = await createQueues(sqsClient, localQueueNames('measure'));
  const sessions = new DynamoSessionStore({ doc, tableName: tables.sessions });
  const memberLists = new DynamoMemberLists({ doc, tableName: tables.guards });
  // Each account logged in through the simulator (its phone allows it), the session stored.
  for (const account of accounts) await logInThroughSimulator(sim, account, { sessions, memberLists });
  const environment = {
    ACCOUNT: accounts[0] as string,
    ACCOUNTS: accounts.join(','),
    SESSIONS_TABLE: tables.sessions,
    GUARDS_TABLE: tables.guards,
    INBOUND_QUEUE_URL: queues.inbound,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    SMARTQQ_BASE_URL: sim.url,
    POLL_MAX_HOLD_MS: String(HOLD_MS),
    POLL_MARGIN_MS: '2000',
    POLLER_RATE_MS: '60000',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  dynamoClient.destroy();
  sqsClient.destroy();

  // As infra/bot-function.ts bundles it.
  await build({
    entryPoints: [path.join(ROOT, 'functions/poller/handler.ts')],
    outfile: path.join(dir, 'poller.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  writeFileSync(
    path.join(dir, 'run.mjs'),
    `const { handler } = await import('./poller.mjs');
const end = Date.now() + ${INVOCATION_MS};
const context = { functionName: 'poller', awsRequestId: 'measure', getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
const result = await handler({}, context);
const usage = process.resourceUsage();
process.stdout.write(JSON.stringify({ maxRssMb: usage.maxRSS / 1024, result }) + '\\n');
process.exit(0);
`,
  );
  const child = spawn(process.execPath, [path.join(dir, 'run.mjs')], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // 20 messages a second from friends, groups and the discussion while it polls.
  const speakers: Omit<MessageInput, 'text'>[] = [
    { type: 'friend', from: 10001 },
    { type: 'group', group: 'Hiking Club', from: 10002 },
    { type: 'discussion', discussion: 'Weekend plans', from: 10003 },
  ];
  let n = 0;
  const timer = setInterval(() => {
    const speaker = speakers[n % speakers.length] as Omit<MessageInput, 'text'>;
    sim.injectMessage({
      ...speaker,
      text: `message ${n} ${'x'.repeat(200)}`,
      account: Number(accounts[n % accounts.length]),
    } as MessageInput);
    n++;
  }, 50);
  const code = await exited;
  clearInterval(timer);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`the poller run failed (exit ${code}): ${out}`);
  const { maxRssMb, result } = JSON.parse(line) as { maxRssMb: number; result: unknown };
  const reports = (result as { accounts: Record<string, unknown> }).accounts;
  const published = Object.values(reports).reduce(
    (sum: number, r) => sum + Number((r as { published?: number }).published ?? 0),
    0,
  );
  const failed = Object.values(reports).filter((r) => (r as { status?: string }).status !== 'done').length;
  process.stdout.write(
    `poller, one ${INVOCATION_MS / 1000} s invocation holding ${ACCOUNTS} account(s), ${n} messages sent to them, ${published} published, ${failed} not done: peak RSS ${maxRssMb.toFixed(1)} MB\n`,
  );
} finally {
  await sim.close();
  await Promise.all([dynamo.close(), sqs.close()]);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
