import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiWhere, locateApi, shellWords, whereArgs } from '../../../lib/cli/api-target.ts';
import { UsageError } from '../../../lib/cli/usage-error.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'api-target-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = { QQBOT_API_TOKEN: 'tok' };

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
}

describe('apiWhere', () => {
  it('defaults to the local runtime, with or without --data-dir', () => {
    expect(apiWhere({}, {})).toEqual({ kind: 'local' });
    expect(apiWhere({ local: true }, {})).toEqual({ kind: 'local' });
    expect(apiWhere({ 'data-dir': 'D' }, {})).toEqual({ kind: 'local', dataDir: 'D' });
    expect(apiWhere({ local: true, 'data-dir': 'D' }, {})).toEqual({ kind: 'local', dataDir: 'D' });
  });

  it('takes a stack with its region, and an API URL with the token from the environment', () => {
    expect(apiWhere({ stack: 'S', region: 'eu-west-1' }, {})).toEqual({
      kind: 'stack',
      stack: 'S',
      region: 'eu-west-1',
    });
    expect(apiWhere({ api: 'https://x.example/prod//' }, TOKEN)).toEqual({
      kind: 'api',
      apiUrl: 'https://x.example/prod',
      token: 'tok',
    });
  });

  it('names the problem with the flags', () => {
    expect(usageError(() => apiWhere({ local: true, stack: 'S' }, {}))).toBe(
      'give only one of --local, --stack and --api',
    );
    expect(usageError(() => apiWhere({ stack: 'S', api: 'http://x' }, TOKEN))).toMatch(/only one of/);
    expect(usageError(() => apiWhere({ api: 'nope' }, TOKEN))).toBe('--api nope is not a URL');
    expect(usageError(() => apiWhere({ api: 'http://x' }, {}))).toBe(
      '--api needs the API token in $QQBOT_API_TOKEN',
    );
    expect(usageError(() => apiWhere({ api: 'http://x' }, { QQBOT_API_TOKEN: '' }))).toMatch(
      /\$QQBOT_API_TOKEN/,
    );
    expect(usageError(() => apiWhere({ stack: 'S', 'data-dir': 'D' }, {}))).toMatch(
      /--data-dir goes with --local/,
    );
    expect(usageError(() => apiWhere({ local: true, region: 'eu-west-1' }, {}))).toBe(
      '--region goes with --stack NAME',
    );
  });
});

describe('locateApi', () => {
  it('reads the send API and its token from the runtime file', async () => {
    writeFileSync(
      path.join(dir, 'runtime.json'),
      JSON.stringify({
        dynamodbEndpoint: 'http://127.0.0.1:9000',
        tables: { rules: 'local-Rules' },
        account: '20001',
        sendApiUrl: 'http://127.0.0.1:9001/',
        apiToken: 'local-token',
      }),
    );
    expect(await locateApi({ kind: 'local', dataDir: dir }, { env: {}, projectDir: '/nowhere' })).toEqual({
      apiUrl: 'http://127.0.0.1:9001',
      token: 'local-token',
      localAccount: '20001',
    });
  });

  it('says when the runtime file is missing or names no send API', async () => {
    const io = { env: {}, projectDir: dir };
    await expect(locateApi({ kind: 'local' }, io)).rejects.toThrow(
      /^--local: .*runtime\.json not found: start the local runtime/,
    );
    writeFileSync(
      path.join(dir, 'runtime.json'),
      JSON.stringify({ dynamodbEndpoint: 'http://127.0.0.1:9000', tables: { rules: 'local-Rules' } }),
    );
    await expect(locateApi({ kind: 'local', dataDir: dir }, io)).rejects.toThrow(
      new UsageError('--local: the runtime file names no send API: is npm start up to date?'),
    );
  });

  it('asks the stack lookup for a stack, with its region', async () => {
    const asked: unknown[] = [];
    const target = await locateApi(
      { kind: 'stack', stack: 'QqBot', region: 'ap-east-1' },
      {
        env: {},
        projectDir: dir,
        stackLookup: async (stack, region) => {
          asked.push([stack, region]);
          return { apiUrl: 'https://abc.execute-api.ap-east-1.amazonaws.com/', token: 'secret' };
        },
      },
    );
    expect(asked).toEqual([['QqBot', 'ap-east-1']]);
    expect(target).toEqual({ apiUrl: 'https://abc.execute-api.ap-east-1.amazonaws.com', token: 'secret' });
  });
});

describe('whereArgs', () => {
  it('gives back the where-flags, never the token', () => {
    expect(whereArgs({ kind: 'local' })).toEqual(['--local']);
    expect(whereArgs({ kind: 'local', dataDir: 'D' })).toEqual(['--local', '--data-dir', 'D']);
    expect(whereArgs({ kind: 'stack', stack: 'S' })).toEqual(['--stack', 'S']);
    expect(whereArgs({ kind: 'stack', stack: 'S', region: 'R' })).toEqual(['--stack', 'S', '--region', 'R']);
    expect(whereArgs({ kind: 'api', apiUrl: 'http://x', token: 'tok' })).toEqual(['--api', 'http://x']);
  });

  it('quotes what a shell would split or expand', () => {
    expect(shellWords(['npm', '--data-dir', '/tmp/a-b_c.d'])).toBe('npm --data-dir /tmp/a-b_c.d');
    expect(shellWords(['--data-dir', 'my data', "it's", '$HOME', ''])).toBe(
      `--data-dir 'my data' 'it'\\''s' '$HOME' ''`,
    );
  });
});
