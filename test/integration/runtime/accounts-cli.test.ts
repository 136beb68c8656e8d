/**
 * `npm run accounts` against a running local runtime (its runtime file): the configured account
 * listed with its session, an account added, paused (the send API refuses to send for it), resumed
 * and removed, and the CLI's answers to bad arguments, a refused token and an API error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccountsCli } from '../../../lib/cli/accounts-cli.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime/index.ts';
import { E2E_DEFAULTS } from '../../e2e/harness.ts';

let runtime: LocalRuntime;
const dataDir = mkdtempSync(path.join(tmpdir(), 'accounts-cli-'));
const where = ['--local', '--data-dir', dataDir];

beforeAll(async () => {
  runtime = await startLocalRuntime({ ...E2E_DEFAULTS, runtimeFile: path.join(dataDir, 'runtime.json') });
  // The demo world scans the QR by itself (E2E_DEFAULTS.autoScanAfterMs).
  const deadline = Date.now() + 30_000;
  while ((await runtime.sessions.get(runtime.account))?.state !== 'online') {
    if (Date.now() > deadline) throw new Error(`${runtime.account} is not online after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);
afterAll(async () => {
  await runtime?.close();
});

/** Runs the CLI in-process; what it printed, and the requests it made. */
async function accounts(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const code = await runAccountsCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    projectDir: dataDir,
    fetch: (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return fetch(input, init);
    },
  });
  return { code, out: out.join(''), err: err.join(''), requests };
}

/** The list's rows, by account: [status, origin, since, session]. */
async function listed(): Promise<Map<string, string[]>> {
  const run = await accounts(['list', ...where]);
  expect(run.code, run.err).toBe(0);
  const [header, ...rows] = run.out.trimEnd().split('\n');
  expect(header?.split(/\s+/)).toEqual(['account', 'status', 'origin', 'since', 'session']);
  return new Map(rows.map((row) => row.split(/\s{2,}/)).map(([account = '', ...rest]) => [account, rest]));
}

function sendFor(account: string) {
  return fetch(`${runtime.sendApiUrl}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ account, type: 'friend', to: { name: 'Ali' }, text: 'hello' }),
  });
}

describe('npm run accounts', () => {
  it('lists the configured account: active, configured, and its session online', async () => {
    const run = await accounts(['list', ...where]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`^${runtime.account}\\s+active\\s+configured\\s+-\\s+online$`, 'm'));
    // One list, then one session lookup per account.
    expect(run.requests).toEqual([
      `GET ${runtime.sendApiUrl}/v1/accounts`,
      `GET ${runtime.sendApiUrl}/v1/session?account=${runtime.account}`,
    ]);
    expect(run.out + run.err).not.toContain(runtime.apiToken);
  });

  it('adds, pauses, resumes and removes an account', async () => {
    const added = await accounts(['add', '30001', ...where]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toBe(
      `added 30001: scan its QR with \`npm run login -- --account 30001 --local --data-dir ${dataDir}\`\n`,
    );
    let rows = await listed();
    expect(rows.get('30001')?.slice(0, 2)).toEqual(['active', 'added']);
    expect(rows.get('30001')?.[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(rows.get('30001')?.[3]).toMatch(/^(needs_qr|scan_pending|relinking|online)\b/);
    expect([...rows.keys()]).toEqual([runtime.account, '30001']);

    const again = await accounts(['add', '30001', ...where]);
    expect(again.code).toBe(0);
    expect(again.out).toBe('30001 is served already (active)\n');

    const paused = await accounts(['pause', '30001', ...where]);
    expect(paused.code, paused.err).toBe(0);
    expect(paused.out).toMatch(/^paused 30001: its polling stops within a poll cycle/);
    expect(paused.out).toContain('nothing is sent for it until it is resumed');
    rows = await listed();
    expect(rows.get('30001')?.[0]).toBe('paused');
    const refused = await sendFor('30001');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'account_paused', account: '30001' });

    const resumed = await accounts(['resume', '30001', ...where]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/^resumed 30001: /);
    expect((await listed()).get('30001')?.[0]).toBe('active');
    // Active again: the send API no longer refuses it as paused (its session is another matter).
    expect(await (await sendFor('30001')).json()).not.toMatchObject({ error: 'account_paused' });

    const removed = await accounts(['remove', '30001', ...where]);
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toMatch(/^removed 30001: .*data are kept/);
    expect([...(await listed()).keys()]).toEqual([runtime.account]);

    const twice = await accounts(['remove', '30001', ...where]);
    expect(twice.code).toBe(1);
    expect(twice.err).toBe(
      'accounts: account 30001 is not served here (DELETE /v1/accounts/30001 answered 404 unknown_account)\n',
    );
    expect(twice.out).toBe('');
  }, 30_000);

  it("sets an account's own OneBot bot, listed with it; --none and --default", async () => {
    const set = await accounts([
      'onebot',
      runtime.account,
      '--url',
      'http://127.0.0.1:9/onebot',
      '--mode',
      'both',
      ...where,
    ]);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toBe(
      `${runtime.account}: its events go to http://127.0.0.1:9/onebot (both) within 10 s\n`,
    );
    const list = await accounts(['list', ...where]);
    expect(list.out).toMatch(/\bonebot$/m);
    expect(list.out).toContain('http://127.0.0.1:9/onebot (both)');
    const none = await accounts(['onebot', runtime.account, '--none', ...where]);
    expect(none.out).toMatch(/no OneBot bot; its messages are answered by the rules alone/);
    expect((await accounts(['list', ...where])).out).toMatch(/\bnone$/m);
    const back = await accounts(['onebot', runtime.account, '--default', ...where]);
    expect(back.code).toBe(0);
    // No account has a bot of its own: no OneBot column.
    expect((await accounts(['list', ...where])).out).not.toMatch(/onebot/);
  });

  it('refuses bad arguments with exit 2, the usage, and nothing sent or changed', async () => {
    const before = await listed();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['pause', '0123', ...where], {}, /^accounts: 0123 is not a QQ number \(5 to 12 digits/],
      [['add', 'abc', ...where], {}, /^accounts: abc is not a QQ number/],
      [['remove', ...where], {}, /^accounts: remove needs the QQ number/],
      [['enable', '30001', ...where], {}, /^accounts: unknown command "enable"/],
      [['add', '30001', '--bogus', ...where], {}, /^accounts: Unknown option '--bogus'/],
      [['add', '30001', '--stack', 'S', ...where], {}, /^accounts: give only one of --local, --stack/],
      [
        ['add', '30001', '--api', runtime.sendApiUrl],
        {},
        /^accounts: --api needs the API token in \$QQBOT_API_TOKEN/,
      ],
      [
        ['list', '--local', '--data-dir', path.join(dataDir, 'nowhere')],
        {},
        /^accounts: --local: .*not found: start the local runtime/,
      ],
    ];
    for (const [argv, env, message] of cases) {
      const run = await accounts(argv, env);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.err, argv.join(' ')).toMatch(message);
      expect(run.err.split('\n')[0], 'one line, then the usage').not.toMatch(/Usage/);
      expect(run.err).toContain('Usage: npm run accounts -- <command> [N] <where>');
      expect(run.requests, argv.join(' ')).toEqual([]);
      expect(run.out).toBe('');
    }
    expect(await listed()).toEqual(before);
  });

  it('exits 1 when the API refuses the token, and prints no token', async () => {
    const run = await accounts(['list', '--api', runtime.sendApiUrl], { QQBOT_API_TOKEN: 'wrong-token-xyz' });
    expect(run.code).toBe(1);
    expect(run.err).toBe('accounts: the send API refused the token (401)\n');
    expect(run.out).toBe('');
    expect(run.err).not.toContain('wrong-token-xyz');
    expect(run.err).not.toContain(runtime.apiToken);
  });

  it('works with --api and the right token', async () => {
    const run = await accounts(['add', runtime.account, '--api', `${runtime.sendApiUrl}/`], {
      QQBOT_API_TOKEN: runtime.apiToken,
    });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toBe(`${runtime.account} is served already (active)\n`);
  });
});
