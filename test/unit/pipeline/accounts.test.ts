import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccountAction,
  AccountChangeError,
  activeAccounts,
  changeRegistry,
  MAX_ACCOUNTS,
  type Registry,
  servedAccounts,
  setAccountOneBot,
} from '../../../lib/pipeline/accounts.ts';

const T = 1_700_000_000_000;

describe('servedAccounts', () => {
  it('serves the configured accounts first, in order, then the added ones by number', () => {
    const registry: Registry = {
      '900001': { status: 'active', since: T },
      '30001': { status: 'paused', since: T },
      '20002': { status: 'paused', since: T + 1 },
    };
    expect(servedAccounts(['20002', '20001'], registry)).toEqual([
      { account: '20002', status: 'paused', configured: true, since: T + 1 },
      { account: '20001', status: 'active', configured: true },
      { account: '30001', status: 'paused', configured: false, since: T },
      { account: '900001', status: 'active', configured: false, since: T },
    ]);
    expect(activeAccounts(['20002', '20001'], registry)).toEqual(['20001', '900001']);
  });

  it('keeps a configured account removed (a redeploy does not bring it back)', () => {
    const registry = changeRegistry(['20001', '20002'], {}, 'remove', '20001', T);
    expect(registry).toEqual({ '20001': { status: 'removed', since: T } });
    expect(activeAccounts(['20001', '20002'], registry)).toEqual(['20002']);
    const back = changeRegistry(['20001', '20002'], registry, 'add', '20001', T + 5);
    expect(activeAccounts(['20001', '20002'], back)).toEqual(['20001', '20002']);
  });
});

describe('changeRegistry', () => {
  it('adds, pauses, resumes; the same change twice changes nothing (the same object back)', () => {
    const added = changeRegistry(['20001'], {}, 'add', '30001', T);
    expect(added).toEqual({ '30001': { status: 'active', since: T } });
    expect(changeRegistry(['20001'], added, 'add', '30001', T + 1)).toBe(added);
    expect(changeRegistry(['20001'], added, 'add', '20001', T + 1)).toBe(added);
    const paused = changeRegistry(['20001'], added, 'pause', '20001', T + 2);
    expect(paused['20001']).toEqual({ status: 'paused', since: T + 2 });
    expect(changeRegistry(['20001'], paused, 'pause', '20001', T + 3)).toBe(paused);
    const resumed = changeRegistry(['20001'], paused, 'resume', '20001', T + 4);
    expect(activeAccounts(['20001'], resumed)).toEqual(['20001', '30001']);
    expect(changeRegistry(['20001'], resumed, 'resume', '20001', T + 5)).toBe(resumed);
  });

  it('sets an account its own OneBot bot, kept through pause and resume, cleared back to the deployment’s', () => {
    const own = { postUrl: 'http://bot/', mode: 'both' as const };
    const set = setAccountOneBot(['20001'], {}, '20001', own, T);
    expect(servedAccounts(['20001'], set)).toEqual([
      { account: '20001', status: 'active', configured: true, since: T, onebot: own },
    ]);
    const paused = changeRegistry(['20001'], set, 'pause', '20001', T + 1);
    expect(paused['20001']).toEqual({ status: 'paused', since: T + 1, onebot: own });
    expect(setAccountOneBot(['20001'], paused, '20001', undefined, T + 2)['20001']).toEqual({
      status: 'paused',
      since: T + 1,
    });
    expect(() => setAccountOneBot(['20001'], {}, '30001', own, T)).toThrow(AccountChangeError);
  });

  it('forgets an added account when removed, so removals never fill the item', () => {
    const added = changeRegistry([], {}, 'add', '30001', T);
    expect(changeRegistry([], added, 'remove', '30001', T + 1)).toEqual({});
  });

  it('refuses what it cannot do, naming the problem, and changes nothing', () => {
    const registry: Registry = { '30001': { status: 'active', since: T } };
    const problem = (action: AccountAction, account: string, reg = registry) => {
      try {
        changeRegistry(['20001'], reg, action, account, T);
      } catch (err) {
        return err instanceof AccountChangeError ? err.problem : 'other';
      }
      return 'none';
    };
    expect(problem('add', '0123')).toBe('not_a_qq_number');
    expect(problem('pause', '1234567890123')).toBe('not_a_qq_number');
    expect(problem('pause', '40001')).toBe('unknown_account');
    expect(problem('remove', '40001')).toBe('unknown_account');
    expect(problem('resume', '40001')).toBe('unknown_account');
    const full = Object.fromEntries(
      Array.from({ length: MAX_ACCOUNTS - 1 }, (_, i) => [
        String(100_000 + i),
        { status: 'active' as const, since: T },
      ]),
    );
    expect(problem('add', '40001', full)).toBe('too_many_accounts');
    expect(registry).toEqual({ '30001': { status: 'active', since: T } });
  });

  it('any sequence of changes: served accounts are unique, and the paused are exactly those last paused', () => {
    const qq = fc.constantFrom('20001', '20002', '30001', '30002', '30003');
    const action = fc.constantFrom<AccountAction>('add', 'pause', 'resume', 'remove');
    fc.assert(
      fc.property(fc.array(fc.tuple(action, qq), { maxLength: 30 }), (steps) => {
        const configured = ['20001', '20002'];
        let registry: Registry = {};
        const expected = new Map<string, 'active' | 'paused'>(configured.map((a) => [a, 'active']));
        for (const [act, account] of steps) {
          const known = expected.get(account);
          try {
            registry = changeRegistry(configured, registry, act, account, T);
          } catch (err) {
            expect(err).toBeInstanceOf(AccountChangeError);
            expect(known === undefined && act !== 'add').toBe(true);
            continue;
          }
          if (act === 'add') expected.set(account, known ?? 'active');
          else if (act === 'remove') expected.delete(account);
          else expected.set(account, act === 'pause' ? 'paused' : 'active');
        }
        const served = servedAccounts(configured, registry);
        expect(new Set(served.map((s) => s.account)).size).toBe(served.length);
        expect(new Map(served.map((s) => [s.account, s.status]))).toEqual(expected);
      }),
    );
  });
});
