import { describe, expect, it } from 'vitest';
import { ConfigError, readEnv } from '../../../lib/config.ts';

describe('ACCOUNTS', () => {
  it('is the accounts of one poller invocation, each once, in order', () => {
    expect(readEnv(['ACCOUNTS'], { ACCOUNTS: '20001,30002,20001' }).ACCOUNTS).toEqual(['20001', '30002']);
    expect(readEnv(['ACCOUNTS'], {}).ACCOUNTS).toBeUndefined();
  });

  it('names the variable when a number is not a QQ number', () => {
    for (const bad of ['20001,', '20001,0123', 'abc', '20001 30002']) {
      expect(() => readEnv(['ACCOUNTS'], { ACCOUNTS: bad }), bad).toThrow(ConfigError);
      expect(() => readEnv(['ACCOUNTS'], { ACCOUNTS: bad }), bad).toThrow(/ACCOUNTS/);
    }
  });
});
