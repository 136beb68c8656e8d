/**
 * `npm start`: the whole bot on this machine, in one process, on 127.0.0.1 — DynamoDB and SQS
 * emulators, the SmartQQ simulator with the demo world (or another SmartQQ-compatible server), and
 * the poller, consumer and send functions wired as in AWS (`local/runtime`). Prints the login QR,
 * then a transcript: every message the bot receives, and every message it sends with its cause.
 *
 * Flags: `local/start-options.ts` (`npm start -- --help`). One Ctrl-C (or SIGTERM, or SIGHUP, or
 * the parent process going away) stops everything and removes the runtime file.
 */
import path from 'node:path';
import { renderQrForTerminal } from '../lib/smartqq/index.ts';
import {
  DEFAULT_DATA_DIR,
  LocalRuntimeBusyError,
  releaseRuntimeFile,
  runtimeFilePath,
} from '../lib/state/runtime-file.ts';
import {
  type LocalRuntime,
  type SessionChange,
  startDemoChatter,
  startLocalRuntime,
  watchSession,
} from './runtime/index.ts';
import { startTranscript } from './runtime/transcript.ts';
import { parseStartArgs, type StartOptions, StartUsageError, USAGE } from './start-options.ts';

// The SDK's notice that its 2027 releases will need Node 22 says nothing about this demo (the
// project supports Node 20); the tests turn it off the same way (vitest.config.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..');
/** The demo world scans and allows the QR by itself after this long. */
const AUTO_SCAN_AFTER_MS = 3_000;
/** The poll hold of the built-in simulator: short, so a demo shows a few poll cycles. */
const SIMULATOR_HOLD_MS = 30_000;
/** A clean stop that takes longer than this is abandoned. */
const STOP_TIMEOUT_MS = 10_000;
/** Signals within this long of the first are the same Ctrl-C reaching this process again. */
const SAME_SIGNAL_MS = 1_500;

// A closed terminal (SIGHUP) makes writes fail with EIO or EPIPE: the stop goes on regardless.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const print = (line = '') => {
  try {
    console.log(line);
  } catch {}
};
const warn = (line: string) => {
  try {
    console.error(line);
  } catch {}
};

let options: StartOptions;
try {
  options = parseStartArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof StartUsageError)) throw err;
  warn(`npm start: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  print(USAGE);
  process.exit(0);
}

const dataDir = options.dataDir ?? path.join(PROJECT_DIR, DEFAULT_DATA_DIR);
const runtimeFile = runtimeFilePath(dataDir);
const withSimulator = options.smartqqUrl === undefined;
const transcript = startTranscript(print);

const starting = startLocalRuntime({
  ...(options.smartqqUrl !== undefined ? { smartqqUrl: options.smartqqUrl } : {}),
  ...(options.account !== undefined ? { account: options.account } : {}),
  ...(options.world !== undefined ? { world: options.world } : {}),
  ...(options.rules !== undefined ? { rules: options.rules } : {}),
  ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  ...(options.logLevel !== undefined ? { handlerLogLevel: options.logLevel } : {}),
  simulatorPort: options.simulatorPort,
  sendApiPort: options.sendApiPort,
  ...(options.holdMs !== undefined || withSimulator
    ? { pollHoldMs: options.holdMs ?? SIMULATOR_HOLD_MS }
    : {}),
  ...(withSimulator && !options.waitScan ? { autoScanAfterMs: AUTO_SCAN_AFTER_MS } : {}),
  runtimeFile,
  log: (line) => warn(`[runtime] ${line}`),
});

let stopping = false;
let firstSignalAt = 0;
const closers: (() => void)[] = [() => transcript.close()];

/**
 * One stop, whatever asked for it; a person insisting (a signal well after the first) exits at once,
 * without waiting for the clean stop.
 */
function requestStop(why: string, insistable = true): void {
  if (stopping) {
    if (!insistable) return;
    // One Ctrl-C reaches this process more than once: the terminal signals npm and node alike, and
    // npm forwards what it gets. Only a signal well after the first is a person insisting.
    if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    warn('stopping at once (the runtime file is removed; the ports close with the process)');
    process.exit(130);
  }
  stopping = true;
  firstSignalAt = Date.now();
  void stop(why);
}

async function stop(why: string): Promise<void> {
  print(`\nstopping (${why})…`);
  setTimeout(() => {
    warn(`the stop took more than ${STOP_TIMEOUT_MS / 1000} s: exiting anyway`);
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
  for (const close of closers) close();
  const runtime = await starting.catch(() => undefined);
  await runtime?.close();
  print('stopped');
  process.exit(0);
}

// Whatever the way out, the runtime file goes with this process (a later start would otherwise
// find it and have to check whether it is stale).
process.on('exit', () => releaseRuntimeFileQuietly());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => requestStop(signal));
// The parent gone (npm killed, the terminal closed under it) means nobody is left to stop us.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) requestStop('the parent process is gone', false);
}, 500).unref();

print('starting the local runtime…');
let runtime: LocalRuntime;
try {
  runtime = await starting;
} catch (err) {
  if (stopping) await new Promise(() => {}); // the stop in progress exits
  warn(err instanceof LocalRuntimeBusyError ? err.message : `npm start failed: ${(err as Error).message}`);
  process.exit(1);
}
// Stopped while starting: the stop in progress closes what started, and exits.
if (stopping) await new Promise(() => {});

printBanner(runtime);
const simulator = runtime.simulator;
const startedAt = Date.now();
let demoStarted = false;
let seenState = false;
let shownContacts = '';
const watch = watchSession({
  sessions: runtime.sessions,
  account: runtime.account,
  onChange: (change) => {
    showSession(change);
    // The demo talks once this run's login has loaded the contacts (a saved session may be dead).
    if (change.kind !== 'contacts' || change.contacts.fetchedAt < startedAt) return;
    // The demo lines speak as the demo world's people: no demo in another world.
    if (simulator && !demoStarted && !options.quietDemo && options.world === undefined) {
      demoStarted = true;
      const demo = startDemoChatter({ simulatorUrl: simulator.url, onError: warn });
      closers.push(() => demo.close());
    }
  },
  onError: (err) => warn(`[runtime] reading the session: ${err.message}`),
});
closers.push(() => watch.close());

function printBanner(rt: LocalRuntime): void {
  const curl =
    `curl -XPOST ${rt.sendApiUrl}/v1/messages -H 'authorization: Bearer ${rt.apiToken}' ` +
    `-H 'content-type: application/json' -d '{"type":"friend","to":{"name":"Ali"},"text":"hello from curl"}'`;
  print(`QQ bot ${rt.account}, local runtime (everything on 127.0.0.1; Ctrl-C stops it all)`);
  if (rt.simulator) print(`  SmartQQ simulator  ${rt.smartqqUrl}  (control API ${rt.smartqqUrl}/_sim/)`);
  else print(`  SmartQQ server     ${rt.smartqqUrl}`);
  print(`  send API           ${rt.sendApiUrl}/v1/messages`);
  print(`  API token          ${rt.apiToken}`);
  print(
    `  DynamoDB           ${rt.dynamodbEndpoint} (dynalite, ${options.dataDir ? `kept in ${options.dataDir}` : 'in memory'})`,
  );
  print(`  SQS                ${rt.sqsEndpoint} (fauxqs)`);
  const dataDirFlag = options.dataDir ? ` --data-dir ${options.dataDir}` : '';
  print(`  rules              npm run rules -- list --local${dataDirFlag}`);
  print(`  QR login on a phone  npm run login -- --local${dataDirFlag}  (a link to a login page)`);
  print();
  print('Send a message through the send API:');
  print(`  ${rt.simulator ? curl : curl.replace('Ali', 'FRIEND-NAME')}`);
  print();
}

function showSession(change: SessionChange): void {
  switch (change.kind) {
    case 'qr':
      print('Scan this QR code with the QQ app to log in:');
      print(renderQrForTerminal(change.png));
      if (!simulator) return;
      print(
        options.waitScan
          ? `(simulator: curl -XPOST ${simulator.url}/_sim/qr -d '{"action":"scan"}' then '{"action":"allow"}')`
          : '(demo world: the QR is scanned and allowed automatically in a few seconds)',
      );
      return;
    case 'state': {
      const saved = !seenState && change.since < startedAt;
      seenState = true;
      if (saved) print(`saved session (${options.dataDir ?? 'data folder'}): ${change.state}; checking it…`);
      else if (change.state === 'online') print(`online as ${runtime.account}`);
      else if (change.state === 'needs_qr')
        print(`session needs a new QR scan${change.reason ? `: ${change.reason}` : ''}`);
      else if (change.state === 'relinking') print('session: relinking…');
      return;
    }
    case 'contacts': {
      const { friends, groups, discussions } = change.contacts;
      const lines = [
        `friends: ${friends.map((f) => f.markname ?? f.nick).join(', ')}`,
        `groups: ${groups.map((g) => g.name).join(', ')}`,
        `discussions: ${discussions.map((d) => d.name).join(', ')}`,
      ].join('\n');
      // A refresh that found the same contacts says nothing new.
      if (lines !== shownContacts) print(lines);
      shownContacts = lines;
      return;
    }
  }
}

function releaseRuntimeFileQuietly(): void {
  try {
    releaseRuntimeFile(runtimeFile);
  } catch {}
}
