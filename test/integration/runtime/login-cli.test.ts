/**
 * `npm run login` against a running local runtime (its runtime file), the phone side done through
 * the simulator's control API: the link, the QR in the terminal, the states, exit 0 once online.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoginCli } from '../../../lib/cli/login-cli.ts';
import { STATE_TEXT } from '../../../lib/send-api/login-page.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime/index.ts';
import { E2E_DEFAULTS } from '../../e2e/harness.ts';

let runtime: LocalRuntime;
const dataDir = mkdtempSync(path.join(tmpdir(), 'login-cli-'));

beforeAll(async () => {
  const { autoScanAfterMs: _none, ...defaults } = E2E_DEFAULTS;
  runtime = await startLocalRuntime({ ...defaults, runtimeFile: path.join(dataDir, 'runtime.json') });
}, 60_000);
afterAll(async () => {
  await runtime?.close();
});

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env, projectDir: dataDir },
  };
}

describe('npm run login', () => {
  it('keeps the runtime file, which holds the local token, readable by its owner only', () => {
    expect(statSync(path.join(dataDir, 'runtime.json')).mode & 0o777).toBe(0o600);
  });

  it('prints the phone link and the QR, follows the scan, and exits 0 once online', async () => {
    const sim = runtime.simulator;
    if (!sim) throw new Error('the runtime runs its simulator');
    const run = io();
    const done = runLoginCli(['--local', '--data-dir', dataDir, '--timeout-s', '60'], run.io);
    // The phone: scan once the QR is shown, then allow.
    await expect.poll(() => run.out.join(''), { timeout: 20_000 }).toContain(STATE_TEXT.scan);
    sim.qr('scan');
    await expect.poll(() => run.out.join(''), { timeout: 20_000 }).toContain(STATE_TEXT.scanned);
    sim.qr('allow');
    expect(await done).toBe(0);
    const text = run.out.join('');
    expect(text).toMatch(new RegExp(`${runtime.sendApiUrl}/login/[\\w-]+\\.[\\w-]{43}`));
    expect(text).toContain('▀'); // the QR, drawn in half blocks
    expect(text).toContain(STATE_TEXT.online);
    expect(text).not.toContain(runtime.apiToken);
    expect(run.err).toEqual([]);
  }, 60_000);

  it('says what is wrong with the arguments, and exits 2', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['--api', 'not a url', '--account', '20001'],
        { QQBOT_API_TOKEN: 't' },
        /--api not a url is not a URL/,
      ],
      [['--api', 'http://127.0.0.1:1', '--account', '20001'], {}, /\$QQBOT_API_TOKEN/],
      [['--local', '--stack', 'S'], {}, /only one of/],
      [['--account', '0123'], {}, /not a QQ number/],
      [['--local', '--data-dir', path.join(dataDir, 'nowhere')], {}, /not found: start the local runtime/],
      [['--bogus'], {}, /Unknown option '--bogus'/],
    ];
    for (const [argv, env, message] of cases) {
      const run = io(env);
      expect(await runLoginCli(argv, run.io), argv.join(' ')).toBe(2);
      expect(run.err.join(''), argv.join(' ')).toMatch(message);
    }
  });

  it('exits 1 naming the cause when the token is refused', async () => {
    const run = io({ QQBOT_API_TOKEN: 'wrong-token' });
    expect(await runLoginCli(['--api', runtime.sendApiUrl, '--account', '20001'], run.io)).toBe(1);
    expect(run.err.join('')).toMatch(/refused the token \(401\)/);
  });
});
