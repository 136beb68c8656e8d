/**
 * `npm start` as a person uses it: the real process (npm, then node), its flags, its stop by one
 * Ctrl-C (or SIGTERM, or SIGHUP), its runtime file, a second start on the same data, a restart that
 * keeps the rules, and the `curl` it prints.
 */
import { exec } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../lib/state/dynamo.ts';
import { clearLease, DynamoSessionStore } from '../../lib/stores/session-store.ts';
import demoWorld from '../../local/demo-world.json' with { type: 'json' };
import { startDynamoEmulator } from '../../local/runtime/emulators.ts';
import { startSimulator } from '../../local/simulator/index.ts';
import { killGroup, type NpmStart, npmStart, PROJECT_DIR } from '../support/npm-start.ts';

const run = promisify(exec);
const dirs: string[] = [];
const started: NpmStart[] = [];

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  dirs.push(dir);
  return dir;
}

function start(flags: readonly string[]): NpmStart {
  const npm = npmStart(flags);
  started.push(npm);
  return npm;
}

afterEach(() => {
  for (const npm of started.splice(0)) killGroup(npm);
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const BANNER = /send API +(http:\/\/127\.0\.0\.1:\d+)\/v1\/messages/;
const ONLINE = /^online as 20001$/m;

/** Nothing after "stopping" but "stopped": no function log line, no stack trace, no forced exit. */
function expectCleanStop(output: string): void {
  const afterStop = output.slice(output.lastIndexOf('stopping ('));
  expect(afterStop).toMatch(/^stopping \([^)]+\)…\nstopped\n$/);
  expect(output).not.toMatch(/^\s+at /m);
}

async function refusesConnections(url: string): Promise<boolean> {
  return fetch(`${url}/v1/session`).then(
    () => false,
    () => true,
  );
}

describe('stopping', () => {
  it('one Ctrl-C stops everything cleanly and removes the runtime file, 20 times out of 20', async () => {
    const dir = dataDir();
    const runtimeFile = path.join(dir, 'runtime.json');
    for (let round = 0; round < 20; round++) {
      const npm = start(['--quiet-demo', '--data-dir', dir]);
      const [, apiUrl] = await npm.waitFor(BANNER);
      // Some rounds stop while logging in, some once online and polling.
      if (round % 4 === 3) await npm.waitFor(ONLINE);
      expect(existsSync(runtimeFile)).toBe(true);

      npm.signalGroup('SIGINT');

      expect(await npm.exited).toBe(0);
      expectCleanStop(npm.output());
      expect(existsSync(runtimeFile)).toBe(false);
      expect(await refusesConnections(apiUrl as string)).toBe(true);
    }
  }, 240_000);

  it.each([
    ['SIGTERM to npm (kill PID)', (npm: NpmStart) => npm.signalNpm('SIGTERM')],
    ['SIGINT to npm alone', (npm: NpmStart) => npm.signalNpm('SIGINT')],
    ['SIGHUP to the group (the terminal closed)', (npm: NpmStart) => npm.signalGroup('SIGHUP')],
    ['SIGHUP to npm alone (npm dies, node sees its parent gone)', (npm: NpmStart) => npm.signalNpm('SIGHUP')],
    ['SIGTERM while still starting', (npm: NpmStart) => npm.signalGroup('SIGTERM')],
  ])(
    '%s stops everything cleanly too',
    async (what, signal) => {
      const dir = dataDir();
      const npm = start(['--quiet-demo', '--data-dir', dir]);
      if (!what.includes('starting')) await npm.waitFor(ONLINE);
      else await npm.waitFor(/^starting the local runtime…$/m);

      signal(npm);
      await npm.exited;

      expect(npm.output()).toMatch(/stopped\n$/);
      if (npm.output().includes('stopping (')) expectCleanStop(npm.output());
      expect(existsSync(path.join(dir, 'runtime.json'))).toBe(false);
    },
    60_000,
  );
});

describe('the runtime file', () => {
  it('a second npm start on the same data refuses, naming the running one; the first goes on', async () => {
    const dir = dataDir();
    const first = start(['--quiet-demo', '--data-dir', dir]);
    const [, apiUrl] = await first.waitFor(BANNER);
    const pid = JSON.parse(readFileSync(path.join(dir, 'runtime.json'), 'utf8')).pid as number;

    const second = start(['--quiet-demo', '--data-dir', dir]);

    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`npm start is already running on ${dir} (pid ${pid}, started `);
    expect(second.output()).toContain(
      `send API ${apiUrl}): stop it first, or give this one its own data folder`,
    );
    expect(JSON.parse(readFileSync(path.join(dir, 'runtime.json'), 'utf8')).pid).toBe(pid);
    expect(await refusesConnections(apiUrl as string)).toBe(false);
    first.signalGroup('SIGINT');
    expect(await first.exited).toBe(0);
  }, 60_000);

  it('a stale one (its process gone) is replaced, and said so', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'runtime.json'), JSON.stringify({ pid: 4_194_305, startedAt: 'earlier' }));

    const npm = start(['--quiet-demo', '--data-dir', dir]);
    await npm.waitFor(BANNER);

    expect(npm.output()).toContain('left by npm start (pid 4194305) which is gone');
    expect(JSON.parse(readFileSync(path.join(dir, 'runtime.json'), 'utf8')).pid).not.toBe(4_194_305);
  }, 60_000);
});

describe('flags', () => {
  it.each([
    [['--bogus'], 'npm start: unknown flag --bogus'],
    [['--data-dir'], 'npm start: --data-dir needs a value'],
    [['stray'], 'npm start: unexpected argument "stray": every option is a --flag'],
    [['--world', 'no-such-world.json'], 'npm start: --world no-such-world.json: no such file'],
  ])(
    '%j: one line naming the flag, the usage, exit 2, no stack trace',
    async (flags, line) => {
      const npm = start(flags);

      expect(await npm.exited).toBe(2);
      expect(npm.output()).toContain(`${line}\nusage: npm start -- [options]\n`);
      expect(npm.output()).not.toMatch(/^\s+at /m);
      expect(npm.output()).not.toMatch(/Error:|node:internal/);
    },
    30_000,
  );
});

describe('a restart with --data-dir', () => {
  it('keeps the rules: one added while running answers after the restart', async () => {
    const dir = dataDir();
    const first = start(['--quiet-demo', '--data-dir', dir]);
    await first.waitFor(ONLINE);
    const rules = `npx tsx lib/cli/rules-cli.ts`;
    await run(
      `${rules} add --local --data-dir ${dir} --account 20001 --id marco --match exact --pattern marco ` +
        '--reply polo --chat-types friend',
      { cwd: PROJECT_DIR },
    );
    first.signalGroup('SIGINT');
    expect(await first.exited).toBe(0);

    const second = start(['--quiet-demo', '--data-dir', dir]);
    const [, simulatorUrl] = await second.waitFor(/SmartQQ simulator +(http:\/\/127\.0\.0\.1:\d+)/);
    await second.waitFor(ONLINE);
    const listed = await run(`${rules} list --local --data-dir ${dir}`, { cwd: PROJECT_DIR });
    await fetch(`${simulatorUrl}/_sim/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'friend', from: 'Alice', text: 'marco' }),
    });

    await second.waitFor(/↳ bot to Ali \(rule marco, answering "marco"\): polo/);
    expect(listed.stdout).toContain('marco');
    second.signalGroup('SIGINT');
    expect(await second.exited).toBe(0);
  }, 90_000);
});

describe('a lease left by a stop', () => {
  it('is cleared at the next start, which polls at once rather than at the next tick', async () => {
    const dir = dataDir();
    const first = start(['--quiet-demo', '--data-dir', dir]);
    await first.waitFor(ONLINE);
    first.signalGroup('SIGINT');
    expect(await first.exited).toBe(0);
    // As a stop that came before the poller gave its lease back: held, for a long invocation.
    const dynamo = await startDynamoEmulator(0, path.join(dir, 'dynamodb'));
    const { doc, client } = createDynamoClients({ endpoint: dynamo.endpoint });
    const sessions = new DynamoSessionStore({ doc, tableName: 'local-Sessions' });
    const now = Date.now();
    // Whatever the clean stop left, then a lease of a poller that is gone.
    await clearLease({ doc, tableName: 'local-Sessions' }, '20001');
    expect(await sessions.acquireLease('20001', 'a-poller-gone', now + 30_000, now, now + 900_000)).toBe(
      true,
    );
    client.destroy();
    await dynamo.close();

    const second = start(['--quiet-demo', '--data-dir', dir]);
    // The schedule's next tick is a minute away: online within the wait means the start cleared it.
    await second.waitFor(ONLINE, 25_000);
    second.signalGroup('SIGINT');
    expect(await second.exited).toBe(0);
  }, 90_000);
});

describe('the printed curl', () => {
  it('works first time while the demo chatters, and the transcript says it was the send API', async () => {
    const npm = start(['--data-dir', dataDir()]);
    await npm.waitFor(/^QQ bots 20001, 20002, local runtime/m);
    await npm.waitFor(ONLINE);
    const [curl] = await npm.waitFor(/^ +curl -XPOST .*$/m);
    for (let answered = 1; answered <= 3; answered++) {
      // After a demo reply each time: the demo takes turns from the same pace.
      await npm.waitUntil(() => (npm.output().match(/↳ bot to /g) ?? []).length >= answered);
      const { stdout } = await run(`${curl.trim()} -s -w ' %{http_code}'`);
      expect(stdout).toMatch(/^\{"status":"sent".* 200$/);
    }

    await npm.waitUntil(
      // The demo world has two accounts: each line names its account, the curl sends as the first.
      () =>
        (npm.output().match(/^20001 \[send API\] bot to Ali \(Alice\): hello from curl$/gm) ?? []).length ===
        3,
    );
    // The demo world's second account is online too and answers its own chats by its own rule.
    await npm.waitFor(/^online as 20002$/m);
    await npm.waitFor(/^20002 +↳ bot to Librarian in Book Club \(rule book-of-the-month, .*《三体》/m);
    expect(npm.output()).not.toMatch(/^20002 .*rule ping/m);
    npm.signalGroup('SIGINT');
    expect(await npm.exited).toBe(0);
  }, 90_000);
});

describe('another world, other rules, another server', () => {
  it('--world and --rules: the bot runs as the world’s account, by those rules only', async () => {
    const dir = dataDir();
    writeFileSync(
      path.join(dir, 'world.json'),
      JSON.stringify({
        people: [{ qq: 10009, nick: 'Zed' }],
        accounts: [{ qq: 30001, nick: 'OtherBot', friends: [{ qq: 10009 }], groups: [], discussions: [] }],
      }),
    );
    writeFileSync(
      path.join(dir, 'rules.json'),
      JSON.stringify([
        {
          account: '30001',
          id: 'hi',
          chatTypes: ['friend'],
          match: 'exact',
          pattern: 'hi',
          replies: ['hello {sender}'],
        },
      ]),
    );
    const npm = start(['--world', path.join(dir, 'world.json'), '--rules', path.join(dir, 'rules.json')]);
    const [, simulatorUrl] = await npm.waitFor(/SmartQQ simulator +(http:\/\/127\.0\.0\.1:\d+)/);
    await npm.waitFor(/^online as 30001$/m);
    for (const text of ['ping', 'hi']) {
      await fetch(`${simulatorUrl}/_sim/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'friend', from: 'Zed', text }),
      });
    }

    await npm.waitFor(/↳ bot to Zed \(rule hi, answering "hi"\): hello Zed/);
    expect(npm.output()).toContain('QQ bot 30001, local runtime');
    expect(npm.output()).toContain('[friend] Zed: ping');
    expect(npm.output()).not.toMatch(/answering "ping"|demo line refused/);
    npm.signalGroup('SIGINT');
    expect(await npm.exited).toBe(0);
  }, 60_000);

  it('--smartqq-url: the bot logs in to that server and answers there; --log-level INFO shows the functions’ logs', async () => {
    const server = await startSimulator({ world: demoWorld, autoScanAfterMs: 200, pollHoldMs: 5_000 });
    try {
      const npm = start(['--smartqq-url', server.url, '--account', '20001', '--log-level', 'INFO']);
      await npm.waitFor(/^online as 20001$/m);
      server.injectMessage({ type: 'friend', from: 'Alice', text: 'ping' });

      await npm.waitFor(/↳ bot to Ali \(rule ping, answering "ping"\): pong/);
      expect(server.sent().map((m) => [m.to.name, m.text])).toContainEqual(['Alice', 'pong']);
      expect(npm.output()).toContain(`SmartQQ server     ${server.url}`);
      expect(npm.output()).toMatch(/^\{"level":"INFO","message":"logged in by QR code"/m);
      npm.signalGroup('SIGINT');
      expect(await npm.exited).toBe(0);
    } finally {
      await server.close();
    }
  }, 60_000);
});
