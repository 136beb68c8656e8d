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
import { demoLinesFor } from './runtime/demo-chatter.ts';
import {
  type LocalRuntime,
  type SessionChange,
  startDemoChatter,
  startLocalRuntime,
  watchSession,
  worldAccounts,
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
/** With the simulator and no --account: every account of its world (the demo's two), each answering as itself. */
const startAccounts =
  withSimulator && options.account === undefined ? worldAccounts(options.world) : undefined;
const transcript = startTranscript(print, {
  severalAccounts: (startAccounts?.length ?? 1) > 1,
  ...(startAccounts?.[0] !== undefined ? { firstAccount: startAccounts[0] } : {}),
  ...(options.account !== undefined ? { firstAccount: options.account } : {}),
});

const starting = startLocalRuntime({
  ...(options.smartqqUrl !== undefined ? { smartqqUrl: options.smartqqUrl } : {}),
  ...(options.account !== undefined ? { account: options.account } : {}),
  ...(startAccounts !== undefined ? { accounts: startAccounts } : {}),
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
  ...(options.onebot
    ? {
        functionEnvironment: {
          ONEBOT_POST_URL: options.onebot.url,
          ...(options.onebot.secret ? { ONEBOT_SECRET: options.onebot.secret } : {}),
          ...(options.onebot.mode ? { ONEBOT_MODE: options.onebot.mode } : {}),
        },
      }
    : {}),
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
const several = runtime.accounts.length > 1;
for (const account of runtime.accounts) {
  let demoStarted = false;
  let seenState = false;
  let shownContacts = '';
  const watch = watchSession({
    sessions: runtime.sessions,
    account,
    onChange: (change) => {
      const shown = showSession(account, change, seenState, shownContacts);
      if (change.kind === 'state') seenState = true;
      if (change.kind === 'contacts') shownContacts = shown;
      // The demo talks to an account once this run's login has loaded its contacts (a saved session
      // may be dead).
      if (change.kind !== 'contacts' || change.contacts.fetchedAt < startedAt) return;
      // The demo lines speak as the demo world's people: no demo in another world.
      if (simulator && !demoStarted && !options.quietDemo && options.world === undefined) {
        demoStarted = true;
        const lines = demoLinesFor(Number(account), Number(runtime.account));
        if (lines.length === 0) return;
        const demo = startDemoChatter({
          simulatorUrl: simulator.url,
          lines,
          // Two accounts: each says a line every 10 s, so the demo keeps its pace of one every 5 s.
          everyMs: several ? 10_000 : 5_000,
          onError: warn,
        });
        closers.push(() => demo.close());
      }
    },
    onError: (err) => warn(`[runtime] reading the session of ${account}: ${err.message}`),
  });
  closers.push(() => watch.close());
}

function printBanner(rt: LocalRuntime): void {
  // With several accounts the API needs to know which one sends.
  const from = rt.accounts.length > 1 ? `,"account":"${rt.account}"` : '';
  const curl =
    `curl -XPOST ${rt.sendApiUrl}/v1/messages -H 'authorization: Bearer ${rt.apiToken}' ` +
    `-H 'content-type: application/json' -d '{"type":"friend","to":{"name":"Ali"},"text":"hello from curl"${from}}'`;
  const bots = rt.accounts.length > 1 ? `QQ bots ${rt.accounts.join(', ')}` : `QQ bot ${rt.account}`;
  print(`${bots}, local runtime (everything on 127.0.0.1; Ctrl-C stops it all)`);
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
  print(`  accounts           npm run accounts -- list --local${dataDirFlag}  (add, pause, resume, remove)`);
  // A OneBot v11 framework: its API root and token here, its event URL given with --onebot-url.
  const apiRoot = `${rt.sendApiUrl}/onebot/v11${rt.accounts.length > 1 ? `/${rt.account}` : ''}/`;
  print(`  OneBot v11         actions at ${apiRoot} (access token: the API token)`);
  print(
    options.onebot
      ? `                     events posted to ${options.onebot.url} (${options.onebot.mode ?? 'rules_first'})`
      : '                     events: npm start -- --onebot-url http://127.0.0.1:8080/ (your bot)',
  );
  print();
  print('Send a message through the send API:');
  print(`  ${rt.simulator ? curl : curl.replace('Ali', 'FRIEND-NAME')}`);
  print();
}

/**
 * Prints what changed in an account's session; returns the contacts' lines as shown (a refresh that
 * finds the same contacts says nothing new). With several accounts each line names its account.
 */
function showSession(
  account: string,
  change: SessionChange,
  seenState: boolean,
  shownContacts: string,
): string {
  const tag = runtime.accounts.length > 1 || account !== runtime.account ? `${account} ` : '';
  switch (change.kind) {
    case 'qr':
      print(`${tag}Scan this QR code with the QQ app${tag ? ` of ${account}` : ''} to log in:`);
      print(renderQrForTerminal(change.png));
      if (!simulator) return shownContacts;
      print(
        options.waitScan
          ? `(simulator: curl -XPOST ${simulator.url}/_sim/qr -d '{"action":"scan"}' then '{"action":"allow","account":${account}}')`
          : '(demo world: the QR is scanned and allowed automatically in a few seconds)',
      );
      return shownContacts;
    case 'state': {
      const saved = !seenState && change.since < startedAt;
      if (saved)
        print(`${tag}saved session (${options.dataDir ?? 'data folder'}): ${change.state}; checking it…`);
      else if (change.state === 'online') print(`online as ${account}`);
      else if (change.state === 'needs_qr')
        print(`${tag}session needs a new QR scan${change.reason ? `: ${change.reason}` : ''}`);
      else if (change.state === 'relinking') print(`${tag}session: relinking…`);
      return shownContacts;
    }
    case 'contacts': {
      const { friends, groups, discussions } = change.contacts;
      const lines = [
        `${tag}friends: ${friends.map((f) => f.markname ?? f.nick).join(', ')}`,
        `${tag}groups: ${groups.map((g) => g.name).join(', ')}`,
        `${tag}discussions: ${discussions.map((d) => d.name).join(', ') || '(none)'}`,
      ].join('\n');
      if (lines !== shownContacts) print(lines);
      return lines;
    }
  }
}

function releaseRuntimeFileQuietly(): void {
  try {
    releaseRuntimeFile(runtimeFile);
  } catch {}
}
