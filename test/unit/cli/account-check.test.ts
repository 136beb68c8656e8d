import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { unknownAccountWarnings } from '../../../lib/cli/account-check.ts';
import type { RuleStore } from '../../../lib/stores/rule-store.ts';

/** A rule store holding `items`; only `list` is used. */
function rulesOf(items: { account: string; id: string }[]): RuleStore {
  return {
    list: async (account?: string) =>
      items.filter((i) => account === undefined || i.account === account || i.account === '*'),
  } as RuleStore;
}

/** Never called: no Sessions table is given. */
const doc = {} as DynamoDBDocumentClient;

describe('unknownAccountWarnings', () => {
  it('warns about an account with no rules, naming those that have some; "*" is nobody', async () => {
    const rules = rulesOf([
      { account: '20001', id: 'a' },
      { account: '*', id: 'help' },
    ]);
    expect(await unknownAccountWarnings(['99999', '20001', '*', '99999'], { rules, doc })).toEqual([
      'warning: account 99999 has no rules yet — is the number right? (account 20001 with rules)',
    ]);
  });

  it("takes the local runtime's account, when its runtime file names it, as known", async () => {
    const options = { rules: rulesOf([]), doc, local: true, localAccount: '20001' };
    expect(await unknownAccountWarnings(['20001'], options)).toEqual([]);
    expect(await unknownAccountWarnings(['99999'], options)).toEqual([
      "warning: account 99999 has no rules yet — is the number right? (the local runtime's account is 20001)",
    ]);
  });
});
