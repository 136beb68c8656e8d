import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../lib/rules/model.ts';
import {
  DynamoRuleStore,
  RULES_VERSION_KEY,
  RuleExistsError,
  RuleImportError,
  RuleNotFoundError,
  RuleValidationError,
} from '../../../lib/stores/rule-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

const NOW = new Date('2025-01-02T03:04:05.000Z');

function rule(overrides: Partial<RuleInput> = {}): RuleInput {
  return {
    account: '20001',
    id: 'ping',
    chatTypes: ['friend'],
    match: 'exact',
    pattern: 'ping',
    replies: ['pong'],
    ...overrides,
  };
}

let dynamo: TestTables;
let table: string;
let store: DynamoRuleStore;
let clock: Date;

/** Counts the commands each store call sends, by name (to see pagination happen). */
const sent: string[] = [];

beforeAll(async () => {
  dynamo = await startTestTables('rules');
  dynamo.client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
});
afterAll(() => dynamo.close());

beforeEach(async () => {
  table = (await dynamo.fresh()).rules;
  clock = NOW;
  store = new DynamoRuleStore({ doc: dynamo.doc, tableName: table, now: () => clock });
  sent.length = 0;
});

async function rawItems(): Promise<Record<string, unknown>[]> {
  return (await dynamo.doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
}

describe('put and get', () => {
  it('writes the rule with its defaults and updatedAt as plain attributes', async () => {
    const written = await store.put(rule({ description: 'the classic' }));

    const item = await store.get('20001', 'ping');
    expect(item).toEqual({
      account: '20001',
      id: 'ping',
      enabled: true,
      priority: 0,
      description: 'the classic',
      chatTypes: ['friend'],
      mentionOnly: false,
      match: 'exact',
      pattern: 'ping',
      caseSensitive: false,
      replies: ['pong'],
      cooldownChatSeconds: 0,
      cooldownSenderSeconds: 0,
      stop: true,
      updatedAt: '2025-01-02T03:04:05.000Z',
    });
    expect(written).toEqual(item);
  });

  it('overwrites an existing rule, and refuses to when asked to add only', async () => {
    await store.put(rule());
    await store.put(rule({ replies: ['pong!'] }));
    await expect(store.put(rule({ replies: ['other'] }), { onlyIfNew: true })).rejects.toBeInstanceOf(
      RuleExistsError,
    );
    expect(await store.get('20001', 'ping')).toMatchObject({ replies: ['pong!'] });
  });

  it('gives undefined for a missing rule', async () => {
    expect(await store.get('20001', 'nope')).toBeUndefined();
  });

  it('refuses an invalid rule, naming rule and field, and writes nothing (no version bump either)', async () => {
    const broken = rule({ id: 'bad-regex', match: 'regex', pattern: '(unclosed' });
    const error = await store.put(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleValidationError);
    expect((error as RuleValidationError).problem).toMatchObject({ ruleId: 'bad-regex', field: 'pattern' });
    expect((error as Error).message).toMatch(/bad-regex.*pattern/);
    await expect(store.put(rule({ id: 'x', replies: ['{nosuch}'] }))).rejects.toMatchObject({
      problem: { ruleId: 'x', field: 'replies.0' },
    });
    expect(await rawItems()).toEqual([]);
    expect(await store.version()).toBe(0);
  });
});

describe('list', () => {
  it("gives an account's rules plus the * rules, not other accounts' and not the version marker", async () => {
    await store.put(rule({ id: 'a' }));
    await store.put(rule({ id: 'b' }));
    await store.put(rule({ id: 'everyone', account: '*' }));
    await store.put(rule({ id: 'elsewhere', account: '30001' }));

    const ids = (items: unknown[]) => items.map((i) => (i as { id: string }).id).sort();
    expect(ids(await store.list('20001'))).toEqual(['a', 'b', 'everyone']);
    expect(ids(await store.list('30001'))).toEqual(['elsewhere', 'everyone']);
    expect(ids(await store.list('*'))).toEqual(['everyone']);
    expect(ids(await store.list('40001'))).toEqual(['everyone']);
    expect(ids(await store.list())).toEqual(['a', 'b', 'elsewhere', 'everyone']);
    expect((await rawItems()).some((i) => i.account === RULES_VERSION_KEY.account)).toBe(true);
  });

  it('hands back a hand-broken item as it is, for the reader to skip', async () => {
    await store.put(rule({ id: 'good' }));
    const broken = { account: '20001', id: 'broken', match: 'regex', pattern: '(', replies: 'not a list' };
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: broken }));
    const items = await store.list('20001');
    expect(items).toContainEqual(broken);
    expect(items).toHaveLength(2);
  });

  it('follows LastEvaluatedKey through pages (small Limit), for Query and Scan', async () => {
    const paged = new DynamoRuleStore({ doc: dynamo.doc, tableName: table, pageSize: 2 });
    const imported = Array.from({ length: 7 }, (_, i) => rule({ id: `r${i}` }));
    await paged.importRules([
      ...imported,
      rule({ id: 'star', account: '*' }),
      rule({ id: 'other', account: '30001' }),
    ]);

    sent.length = 0;
    expect(await paged.list('20001')).toHaveLength(8);
    expect(sent.filter((c) => c === 'QueryCommand').length).toBeGreaterThanOrEqual(5);
    sent.length = 0;
    expect(await paged.list()).toHaveLength(9);
    expect(sent.filter((c) => c === 'ScanCommand').length).toBeGreaterThanOrEqual(5);
  });

  it('follows LastEvaluatedKey past the 1 MB page limit', async () => {
    // 20 replies of 1 500 characters: 30 KB an item (ASCII: dynalite counts characters, DynamoDB
    // bytes), so 40 items are 1.2 MB: two pages at least.
    const replies = Array.from(
      { length: 20 },
      (_, i) => `${String.fromCharCode(65 + i)}${'x'.repeat(1_499)}`,
    );
    await store.importRules(Array.from({ length: 40 }, (_, i) => rule({ id: `big${i}`, replies })));

    sent.length = 0;
    const items = await store.list('20001');
    expect(items).toHaveLength(40);
    expect(sent.filter((c) => c === 'QueryCommand').length).toBeGreaterThanOrEqual(3); // 2+ pages of 20001, 1 of *
  });
});

describe('delete and enable/disable', () => {
  it('deletes a rule and bumps the version; a missing rule is an error that changes nothing', async () => {
    await store.put(rule());
    const before = await store.version();
    await store.delete('20001', 'ping');
    expect(await store.get('20001', 'ping')).toBeUndefined();
    expect(await store.version()).toBe(before + 1);

    await expect(store.delete('20001', 'ping')).rejects.toBeInstanceOf(RuleNotFoundError);
    expect(await store.version()).toBe(before + 1);
  });

  it('disables and enables with a conditional update that stamps updatedAt', async () => {
    await store.put(rule());
    clock = new Date('2025-02-01T00:00:00.000Z');
    await store.setEnabled('20001', 'ping', false);
    expect(await store.get('20001', 'ping')).toMatchObject({
      enabled: false,
      updatedAt: '2025-02-01T00:00:00.000Z',
    });
    await store.setEnabled('20001', 'ping', true);
    expect(await store.get('20001', 'ping')).toMatchObject({ enabled: true, replies: ['pong'] });
  });

  it('does not create an item when enabling a missing rule', async () => {
    await expect(store.setEnabled('20001', 'ghost', true)).rejects.toMatchObject({
      name: 'RuleNotFoundError',
      key: { account: '20001', id: 'ghost' },
    });
    expect(await rawItems()).toEqual([]);
  });
});

describe('version', () => {
  it('starts at 0 and every write through the store adds one; reads do not', async () => {
    expect(await store.version()).toBe(0);
    await store.put(rule());
    expect(await store.version()).toBe(1);
    await store.setEnabled('20001', 'ping', false);
    await store.put(rule({ id: 'two' }));
    await store.list('20001');
    await store.get('20001', 'two');
    expect(await store.version()).toBe(3);
    const marker = await dynamo.doc.send(new GetCommand({ TableName: table, Key: RULES_VERSION_KEY }));
    expect(marker.Item).toMatchObject({ account: '#meta', id: 'version', version: 3 });
  });

  it('is read with one GetItem', async () => {
    await store.version();
    expect(sent).toEqual(['GetItemCommand']);
  });

  it('moves under concurrent writers by the exact number of writes (atomic ADD)', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(rule({ id: `c${i}` }))));
    expect(await store.version()).toBe(10);
  });
});

describe('importRules', () => {
  it('checks every item first: one invalid item means nothing written, and every problem is named', async () => {
    const items = [
      rule({ id: 'ok' }),
      rule({ id: 'no-replies', replies: [] }),
      { ...rule({ id: 'typo' }), colour: 'red' },
      rule({ id: 'ok' }),
      'not a rule',
    ];
    const error = await store.importRules(items).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleImportError);
    expect((error as RuleImportError).problems).toEqual([
      expect.objectContaining({ index: 1, ruleId: 'no-replies', field: 'replies' }),
      expect.objectContaining({ index: 2, ruleId: 'typo', field: 'colour' }),
      expect.objectContaining({ index: 3, ruleId: 'ok', field: 'id' }),
      expect.objectContaining({ index: 4, ruleId: '(no id)' }),
    ]);
    expect(await rawItems()).toEqual([]);
    expect(await store.version()).toBe(0);
  });

  it('writes them all (more than one batch) and bumps the version once', async () => {
    const result = await store.importRules(Array.from({ length: 30 }, (_, i) => rule({ id: `r${i}` })));
    expect(result).toEqual({ written: 30, deleted: [] });
    expect(await store.list('20001')).toHaveLength(30);
    expect(await store.version()).toBe(1);
  });

  it('with replace, deletes the rules of the imported accounts that the file lacks, and only those', async () => {
    await store.importRules([
      rule({ id: 'keep' }),
      rule({ id: 'drop' }),
      rule({ id: 'star', account: '*' }),
      rule({ id: 'other', account: '30001' }),
    ]);
    const result = await store.importRules([rule({ id: 'keep', replies: ['new'] }), rule({ id: 'added' })], {
      replace: true,
    });
    expect(result.deleted).toEqual([{ account: '20001', id: 'drop' }]);
    const keys = (await store.list()).map((i) => `${(i as RuleInput).account}/${(i as RuleInput).id}`).sort();
    expect(keys).toEqual(['*/star', '20001/added', '20001/keep', '30001/other']);
    expect(await store.get('20001', 'keep')).toMatchObject({ replies: ['new'] });
  });
});
