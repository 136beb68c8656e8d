import { describe, expect, it } from 'vitest';
import {
  type AccountView,
  eachAtMost,
  formatAccountTable,
  parseAccountsArgs,
  runAccountsCli,
  SESSION_LOOKUPS_AT_ONCE,
} from '../../../lib/cli/accounts-cli.ts';
import { UsageError } from '../../../lib/cli/usage-error.ts';

const TOKEN = { QQBOT_API_TOKEN: 'secret-token' };
const API = ['--api', 'http://127.0.0.1:9'];

function problem(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseAccountsArgs(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseAccountsArgs', () => {
  it('reads each command, its QQ number and where the API is, flags anywhere', () => {
    expect(parseAccountsArgs(['list'], {})).toEqual({ command: 'list', where: { kind: 'local' } });
    expect(parseAccountsArgs(['add', '30001', '--local', '--data-dir', 'D'], {})).toEqual({
      command: 'add',
      account: '30001',
      where: { kind: 'local', dataDir: 'D' },
    });
    expect(parseAccountsArgs(['--stack', 'S', 'pause', '123456789012'], {})).toEqual({
      command: 'pause',
      account: '123456789012',
      where: { kind: 'stack', stack: 'S' },
    });
    expect(parseAccountsArgs(['resume', ...API, '30001'], TOKEN)).toMatchObject({
      command: 'resume',
      account: '30001',
      where: { kind: 'api', apiUrl: 'http://127.0.0.1:9' },
    });
    expect(parseAccountsArgs(['remove', '30001'], {})).toMatchObject({ command: 'remove', account: '30001' });
  });

  it('asks for the usage with help, --help or -h', () => {
    expect(parseAccountsArgs(['help'], {})).toBe('help');
    expect(parseAccountsArgs(['--help'], {})).toBe('help');
    expect(parseAccountsArgs(['add', '-h'], {})).toBe('help');
  });

  it('names what is wrong with the command and its number', () => {
    expect(problem([])).toBe('say what to do: list, add, pause, resume, remove, onebot');
    expect(problem(['enable', '30001'])).toBe(
      'unknown command "enable" (commands: list, add, pause, resume, remove, onebot)',
    );
    expect(problem(['add'])).toBe('add needs the QQ number: add N');
    for (const bad of ['0123', '1234', '1234567890123', '3000l', '30001.0', '３0001']) {
      expect(problem(['pause', bad])).toBe(`${bad} is not a QQ number (5 to 12 digits, not starting with 0)`);
    }
    expect(problem(['list', '30001'])).toBe('list takes no QQ number (given: 30001)');
    expect(problem(['add', '30001', '30002'])).toBe('one command at a time: 30002 is left over');
  });

  it('onebot: exactly one of --url, --none, --default; mode and format with a URL, each checked', () => {
    expect(
      parseAccountsArgs(['onebot', '30001', '--url', 'http://bot/', '--mode', 'both', ...API], TOKEN),
    ).toMatchObject({
      command: 'onebot',
      account: '30001',
      onebot: { postUrl: 'http://bot/', mode: 'both' },
    });
    expect(parseAccountsArgs(['onebot', '30001', '--none', ...API], TOKEN)).toMatchObject({
      onebot: { postUrl: null },
    });
    expect(parseAccountsArgs(['onebot', '30001', '--default', ...API], TOKEN)).toMatchObject({
      onebot: null,
    });
    expect(problem(['onebot', '30001'])).toBe('onebot needs exactly one of --url URL, --none or --default');
    expect(problem(['onebot', '30001', '--none', '--default'])).toBe(
      'onebot needs exactly one of --url URL, --none or --default',
    );
    expect(problem(['onebot', '30001', '--none', '--mode', 'both'])).toBe(
      '--mode and --format go with --url',
    );
    expect(problem(['onebot', '30001', '--url', 'ftp://x'])).toBe('--url: expected an http or https URL');
    expect(problem(['onebot', '30001', '--url', 'https://bot:pw@x/'])).toBe(
      '--url: no user or password in the URL, please',
    );
    expect(problem(['onebot', '30001', '--url', 'http://x/', '--mode', 'all'])).toMatch(/^--mode must be/);
    expect(problem(['onebot', '30001', '--url', 'http://x/', '--format', 'xml'])).toMatch(
      /^--format must be/,
    );
    expect(problem(['pause', '30001', '--url', 'http://x/'])).toBe('--url goes with the onebot command');
  });

  it('names what is wrong with the flags', () => {
    expect(problem(['list', '--bogus'])).toMatch(/^Unknown option '--bogus'/);
    expect(problem(['list', '--stack'])).toMatch(/--stack/);
    expect(problem(['list', '--local', '--api', 'http://x'], TOKEN)).toMatch(/only one of/);
    expect(problem(['list', ...API])).toMatch(/\$QQBOT_API_TOKEN/);
    expect(problem(['list', '--region', 'eu-west-1'])).toBe('--region goes with --stack NAME');
  });
});

describe('runAccountsCli', () => {
  function io(fetchImpl: typeof fetch, env: Record<string, string> = TOKEN) {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        out: (t: string) => out.push(t),
        err: (t: string) => err.push(t),
        env,
        projectDir: '/nowhere',
        fetch: fetchImpl,
      },
    };
  }
  const answer = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('looks up the sessions at most 8 at a time, and lists them in the API order', async () => {
    const accounts = Array.from({ length: 20 }, (_, i) => ({
      account: String(30001 + i),
      status: i % 2 ? 'paused' : 'active',
      configured: i === 0,
    }));
    let inFlight = 0;
    let most = 0;
    const run = io(async (input, init) => {
      const url = new URL(String(input));
      expect(new Headers(init?.headers).get('authorization')).toBe('Bearer secret-token');
      if (url.pathname === '/v1/accounts') return answer(200, { accounts });
      inFlight++;
      most = Math.max(most, inFlight);
      // Later accounts answer sooner: the order printed must not follow the answers.
      await new Promise((resolve) =>
        setTimeout(resolve, 40 - Number(url.searchParams.get('account')) + 30001),
      );
      inFlight--;
      return answer(200, { account: url.searchParams.get('account'), state: 'online', since: null });
    });
    expect(await runAccountsCli(['list', ...API], run.io)).toBe(0);
    expect(most).toBe(SESSION_LOOKUPS_AT_ONCE);
    const lines = run.out.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(accounts.map((a) => a.account));
  });

  it('says so when no account is served', async () => {
    const run = io(async () => answer(200, { accounts: [] }));
    expect(await runAccountsCli(['list', ...API], run.io)).toBe(0);
    expect(run.out.join('')).toBe('no accounts are served (npm run accounts -- add N to serve one)\n');
  });

  it('exits 1 with the API message, and with what stops it from reaching the API', async () => {
    const full = io(async () =>
      answer(409, { error: 'too_many_accounts', message: 'a deployment serves at most 2000 accounts' }),
    );
    expect(await runAccountsCli(['add', '30001', ...API], full.io)).toBe(1);
    expect(full.err.join('')).toBe(
      'accounts: a deployment serves at most 2000 accounts (POST /v1/accounts answered 409 too_many_accounts)\n',
    );

    const down = io(async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(''), { code: 'ECONNREFUSED' }) });
    });
    expect(await runAccountsCli(['list', ...API], down.io)).toBe(1);
    expect(down.err.join('')).toBe(
      'accounts: cannot reach the send API at http://127.0.0.1:9: ECONNREFUSED\n',
    );

    const html = io(async () => new Response('<html>Bad Gateway</html>', { status: 502 }));
    expect(await runAccountsCli(['remove', '30001', ...API], html.io)).toBe(1);
    expect(html.err.join('')).toBe('accounts: DELETE /v1/accounts/30001 answered 502\n');
    for (const run of [full, down, html]) expect(run.err.join('')).not.toContain('secret-token');
  });

  it('still lists an account whose session could not be read', async () => {
    const run = io(async (input) =>
      new URL(String(input)).pathname === '/v1/accounts'
        ? answer(200, { accounts: [{ account: '30001', status: 'active', configured: false }] })
        : answer(400, { error: 'bad_request', field: 'account', message: 'account: unknown account 30001' }),
    );
    expect(await runAccountsCli(['list', ...API], run.io)).toBe(0);
    expect(run.out.join('')).toMatch(
      /^30001\s+active\s+added\s+-\s+unknown: account: unknown account 30001/m,
    );
  });

  it('prints the usage on stdout for --help and sends nothing', async () => {
    const run = io(async () => {
      throw new Error('nothing is to be sent');
    });
    expect(await runAccountsCli(['--help'], run.io)).toBe(0);
    expect(run.out.join('')).toMatch(/^Usage: npm run accounts -- <command> \[N\] <where>/);
  });
});

describe('formatAccountTable', () => {
  it('aligns the columns and shortens the time', () => {
    const accounts: AccountView[] = [
      { account: '20001', status: 'active', configured: true },
      { account: '123456789012', status: 'paused', configured: false, since: '2026-11-29T20:00:00.000Z' },
    ];
    expect(formatAccountTable(accounts, ['online', 'needs_qr (never logged in)'])).toBe(
      [
        'account       status  origin      since                 session',
        '20001         active  configured  -                     online',
        '123456789012  paused  added       2026-11-29T20:00:00Z  needs_qr (never logged in)',
        '',
      ].join('\n'),
    );
  });
});

describe('eachAtMost', () => {
  it('keeps the order of the items and copes with fewer items than the limit', async () => {
    expect(await eachAtMost([3, 1, 2], 8, async (n) => n * 2)).toEqual([6, 2, 4]);
    expect(await eachAtMost([], 8, async (n: number) => n)).toEqual([]);
  });
});
