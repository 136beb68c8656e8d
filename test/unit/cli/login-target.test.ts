/** `npm run login`'s target, now found by api-target.ts: the account rules login adds to it. */
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../lib/cli/login-cli.ts';

function io(env: Record<string, string> = {}) {
  const asked: unknown[] = [];
  return {
    asked,
    io: {
      out: () => {},
      err: () => {},
      env,
      projectDir: '/nowhere',
      stackLookup: async (stack: string, region: string | undefined) => {
        asked.push([stack, region]);
        return { apiUrl: 'https://api.example/', token: 'secret' };
      },
    },
  };
}

describe('login resolveTarget', () => {
  it('needs --account with --stack and --api, and asks nothing of AWS without it', async () => {
    const run = io({ QQBOT_API_TOKEN: 't' });
    await expect(resolveTarget(['--stack', 'S'], run.io)).rejects.toThrow('--stack needs --account N');
    await expect(resolveTarget(['--api', 'http://x'], run.io)).rejects.toThrow('--api needs --account N');
    expect(run.asked).toEqual([]);
  });

  it('finds a stack through the lookup', async () => {
    const run = io();
    expect(await resolveTarget(['--stack', 'S', '--region', 'R', '--account', '20001'], run.io)).toEqual({
      apiUrl: 'https://api.example',
      token: 'secret',
      account: '20001',
    });
    expect(run.asked).toEqual([['S', 'R']]);
  });

  it('takes --api with the token from the environment', async () => {
    expect(
      await resolveTarget(['--api', 'http://x/', '--account', '20001'], io({ QQBOT_API_TOKEN: 't' }).io),
    ).toEqual({ apiUrl: 'http://x', token: 't', account: '20001' });
  });

  it('refuses a number that is not a QQ number', async () => {
    await expect(resolveTarget(['--stack', 'S', '--account', '0123'], io().io)).rejects.toThrow(
      /--account 0123 is not a QQ number/,
    );
  });
});
