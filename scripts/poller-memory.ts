/**
 * `npm run measure:poller-memory`: the poller function's peak memory, as Lambda would report "Max
 * Memory Used". The poller is bundled exactly as the stack bundles it (esbuild, ESM, minified) and
 * run alone in a plain `node` process, one invocation of 60 s polling a logged-in account while the
 * simulator sends it 20 messages a second; its peak resident set size is printed. The login is done
 * first by the local runtime, which is then stopped (the session stays in the emulated DynamoDB).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import demoWorld from '../local/demo-world.json' with { type: 'json' };
import { startDynamoEmulator, startSqsEmulator } from '../local/runtime/emulators.ts';
import { startLocalRuntime } from '../local/runtime/index.ts';
import { type MessageInput, startSimulator } from '../local/simulator/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INVOCATION_MS = 60_000;
const HOLD_MS = 10_000;
const ACCOUNT = '20001';

const dir = mkdtempSync(path.join(tmpdir(), 'poller-memory-'));
const dynamo = await startDynamoEmulator(0);
const sqs = await startSqsEmulator(0);
const sim = await startSimulator({ world: demoWorld, pollHoldMs: HOLD_MS, autoScanAfterMs: 100 });
try {
  // Log in through the pipeline, then stop it: the child poller takes over the stored session.
  const runtime = await startLocalRuntime({
    smartqqUrl: sim.url,
    account: ACCOUNT,
    dynamodbEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    pollHoldMs: HOLD_MS,
    handlerLogLevel: 'ERROR',
    log: () => {},
  });
  while (!sim.state().accounts[0]?.online) await new Promise((resolve) => setTimeout(resolve, 100));
  const environment = {
    ACCOUNT,
    SESSIONS_TABLE: runtime.tables.sessions,
    GUARDS_TABLE: runtime.tables.guards,
    INBOUND_QUEUE_URL: runtime.queues.inbound,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    SMARTQQ_BASE_URL: sim.url,
    POLL_MAX_HOLD_MS: String(HOLD_MS),
    POLL_MARGIN_MS: '2000',
    POLLER_RATE_MS: '60000',
    AWS_REGION: runtime.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  await runtime.close();

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
      text: `message ${n++} ${'x'.repeat(200)}`,
      account: Number(ACCOUNT),
    } as MessageInput);
  }, 50);
  const code = await exited;
  clearInterval(timer);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`the poller run failed (exit ${code}): ${out}`);
  const { maxRssMb, result } = JSON.parse(line) as { maxRssMb: number; result: unknown };
  process.stdout.write(
    `poller, one ${INVOCATION_MS / 1000} s invocation, ${n} messages sent to it: peak RSS ${maxRssMb.toFixed(1)} MB (${JSON.stringify(result)})\n`,
  );
} finally {
  await sim.close();
  await Promise.all([dynamo.close(), sqs.close()]);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
