import { describe, expect, it } from 'vitest';
import { accountOneBots } from '../../../lib/onebot/quick-reply.ts';
import { type Registry, setAccountOneBot } from '../../../lib/pipeline/accounts.ts';
import { MemoryOneBotIds } from '../../support/memory-ports.ts';

describe('each account’s OneBot bot', () => {
  const posted: string[] = [];
  let registry: Registry = {};
  let reads = 0;
  let clock = 0;
  const onebots = (postUrl?: string) =>
    accountOneBots({
      defaults: { ...(postUrl ? { postUrl } : {}), mode: 'rules_first', format: 'string' },
      registry: {
        read: async () => {
          reads++;
          return registry;
        },
      },
      ids: new MemoryOneBotIds(),
      posterFor: (url) => ({
        post: async () => {
          posted.push(url);
          return undefined;
        },
      }),
      now: () => clock,
    });

  it('uses the account’s own bot over the deployment’s; postUrl null turns the deployment’s off for it', async () => {
    registry = setAccountOneBot(
      ['20001', '20002', '20003'],
      {},
      '20002',
      { postUrl: 'http://own/', mode: 'both' },
      1,
    );
    registry = setAccountOneBot(['20001', '20002', '20003'], registry, '20003', { postUrl: null }, 1);
    const forAccount = onebots('http://deployment/');
    expect(await forAccount('20001')).toMatchObject({ mode: 'rules_first', format: 'string' });
    expect(await forAccount('20002')).toMatchObject({ mode: 'both', format: 'string' });
    expect(await forAccount('20003')).toBeUndefined();
    await (await forAccount('20001'))?.poster.post({});
    await (await forAccount('20002'))?.poster.post({});
    expect(posted).toEqual(['http://deployment/', 'http://own/']);
    // One poster per URL, whatever the number of messages.
    expect((await forAccount('20001'))?.poster).toBe((await forAccount('20001'))?.poster);
  });

  it('no deployment bot: only accounts with their own are asked', async () => {
    registry = setAccountOneBot(['20001', '20002'], {}, '20002', { postUrl: 'http://own/' }, 1);
    const forAccount = onebots();
    expect(await forAccount('20001')).toBeUndefined();
    expect(await forAccount('20002')).toMatchObject({ mode: 'rules_first' });
  });

  it('reads the registry at most every 10 s; a failed read keeps the last one', async () => {
    registry = {};
    reads = 0;
    clock = 0;
    const forAccount = onebots('http://deployment/');
    await forAccount('20001');
    await forAccount('20002');
    expect(reads).toBe(1);
    registry = setAccountOneBot(['20001'], {}, '20001', { postUrl: null }, 1);
    clock = 9_999;
    expect(await forAccount('20001')).toBeDefined();
    clock = 10_000;
    expect(await forAccount('20001')).toBeUndefined();
    expect(reads).toBe(2);
  });
});
