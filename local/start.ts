/**
 * `npm start`: the whole bot on this machine, in one process, on 127.0.0.1 — DynamoDB and SQS
 * emulators, the SmartQQ simulator with the demo world, and the poller, consumer and send functions
 * wired as in AWS (`local/runtime`). Prints the login QR, then demo contacts talking and the bot
 * answering them by the demo rules, and every message the bot sends.
 *
 * Flags: --wait-scan (do not scan the QR automatically; use the control API), --port N (the
 * simulator's port), --api-port N (the send API's), --hold-ms N (poll hold), --quiet-demo (no demo
 * chatter). Ctrl-C stops everything.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderQrForTerminal } from '../lib/smartqq/index.ts';
import { RUNTIME_FILE } from '../lib/state/runtime-file.ts';
import {
  type LocalRuntime,
  type SessionChange,
  startDemoChatter,
  startLocalRuntime,
  watchSession,
} from './runtime/index.ts';

// The SDK's notice that its 2027 releases will need Node 22 says nothing about this demo (the
// project supports Node 20); the tests turn it off the same way (vitest.config.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..');
/** The demo world scans and allows the QR by itself after this long. */
const AUTO_SCAN_AFTER_MS = 3_000;

const { values: flags } = parseArgs({
  options: {
    'wait-scan': { type: 'boolean', default: false },
    'quiet-demo': { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    'api-port': { type: 'string', default: '0' },
    'hold-ms': { type: 'string', default: '30000' },
  },
});
const print = (line = '') => console.log(line);

let runtime: LocalRuntime;
try {
  runtime = await startLocalRuntime({
    simulatorPort: portFlag('port'),
    sendApiPort: portFlag('api-port'),
    pollHoldMs: numberFlag('hold-ms'),
    ...(flags['wait-scan'] ? {} : { autoScanAfterMs: AUTO_SCAN_AFTER_MS }),
    runtimeFile: path.join(PROJECT_DIR, RUNTIME_FILE),
    log: (line) => console.error(`[runtime] ${line}`),
  });
} catch (err) {
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
}

printBanner(runtime);

const demo = startDemoChatter({ simulatorUrl: runtime.simulator.url, print });
let talking = false;
const watch = watchSession({
  sessions: runtime.sessions,
  account: runtime.account,
  onChange: (change) => {
    showSession(change);
    if (change.kind === 'state' && change.state === 'online' && !talking && !flags['quiet-demo']) {
      talking = true;
      demo.talk();
    }
  },
  onError: (err) => console.error(`[runtime] reading the session: ${err.message}`),
});

let stopping = false;
async function stop(): Promise<void> {
  // A second Ctrl-C does not wait for the first one's clean stop.
  if (stopping) process.exit(1);
  stopping = true;
  print('\nstopping…');
  watch.close();
  demo.close();
  await runtime.close();
  print('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

function printBanner(rt: LocalRuntime): void {
  const curl =
    `curl -XPOST ${rt.sendApiUrl}/v1/messages -H 'authorization: Bearer ${rt.apiToken}' ` +
    `-H 'content-type: application/json' -d '{"type":"friend","to":{"name":"Ali"},"text":"hello from curl"}'`;
  print('QQ bot, local runtime (everything on 127.0.0.1; Ctrl-C stops it all)');
  print(`  SmartQQ simulator  ${rt.simulator.url}  (control API ${rt.controlUrl}/)`);
  print(`  send API           ${rt.sendApiUrl}/v1/messages`);
  print(`  API token          ${rt.apiToken}`);
  print(`  DynamoDB           ${rt.dynamodbEndpoint} (dynalite)   SQS ${rt.sqsEndpoint} (fauxqs)`);
  print(`  rules              npm run rules -- list --local`);
  print();
  print('Send a message through the send API:');
  print(`  ${curl}`);
  print();
}

function showSession(change: SessionChange): void {
  switch (change.kind) {
    case 'qr':
      print('Scan this QR code with the QQ app to log in:');
      print(renderQrForTerminal(change.png));
      print(
        flags['wait-scan']
          ? `(simulator: curl -XPOST ${runtime.controlUrl}/qr -d '{"action":"scan"}' then '{"action":"allow"}')`
          : '(demo world: the QR is scanned and allowed automatically in a few seconds)',
      );
      return;
    case 'state':
      if (change.state === 'online') print(`online as ${runtime.account}`);
      else if (change.state === 'needs_qr')
        print(`session needs a new QR scan${change.reason ? `: ${change.reason}` : ''}`);
      else if (change.state === 'relinking') print('session: relinking…');
      return;
    case 'contacts': {
      const { friends, groups, discussions } = change.contacts;
      print(`friends: ${friends.map((f) => f.markname ?? f.nick).join(', ')}`);
      print(`groups: ${groups.map((g) => g.name).join(', ')}`);
      print(`discussions: ${discussions.map((d) => d.name).join(', ')}`);
      return;
    }
  }
}

function numberFlag(name: 'hold-ms' | 'port' | 'api-port'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number, not ${JSON.stringify(flags[name])}`);
    process.exit(2);
  }
  return value;
}

function portFlag(name: 'port' | 'api-port'): number {
  const port = numberFlag(name);
  if (port > 65_535) {
    console.error(`--${name} must be a port number (0 picks a free one)`);
    process.exit(2);
  }
  return port;
}
