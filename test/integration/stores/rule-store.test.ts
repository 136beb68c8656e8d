import { type AttributeValue, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../lib/rules/message.ts';
import type { RuleInput, RuleProblem } from '../../../lib/rules/model.ts';
import { RuleCache } from '../../../lib/rules/rule-cache.ts';
import { UnrepresentableNumber } from '../../../lib/rules/stored-number.ts';
import { exportRules } from '../../../lib/stores/rule-export.ts';
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

describe('numbers a person wrote in the console that JavaScript cannot hold', () => {
  /** A rule item as typed in the console, with its priority written as the DynamoDB number `n`. */
  const handWritten = (id: string, n: string): Record<string, AttributeValue> => ({
    account: { S: '20001' },
    id: { S: id },
    chatTypes: { L: [{ S: 'friend' }] },
    match: { S: 'exact' },
    pattern: { S: id },
    replies: { L: [{ S: `${id}!` }] },
    priority: { N: n },
  });
  const putRaw = (item: Record<string, AttributeValue>) =>
    dynamo.client.send(new PutItemCommand({ TableName: table, Item: item }));
  const deleteRaw = (id: string) =>
    dynamo.client.send(
      new DeleteItemCommand({ TableName: table, Key: { account: { S: '20001' }, id: { S: id } } }),
    );
  const say = (text: string): IncomingMessage => ({
    account: '20001',
    chatType: 'friend',
    chatName: 'Ali',
    senderName: 'Ali',
    senderNick: 'Alice',
    senderUin: 111,
    text,
    botNick: 'DemoBot',
    botNames: ['DemoBot'],
  });
  const BAD = {
    huge: '123456789012345678901234567890',
    e40: '1e40',
    fraction: '9007199254740993.5',
    digits: '1.00000000000000000000000000001',
  };

  it('skips only those items, naming rule, field and number; once fixed or removed, all is normal', async () => {
    await store.put(rule());
    for (const [id, n] of Object.entries(BAD)) await putRaw(handWritten(id, n));
    // Beyond DynamoDB's own range: refused at the write, never stored.
    await expect(putRaw(handWritten('overflow', '1e400'))).rejects.toMatchObject({
      name: 'ValidationException',
    });

    const problems: RuleProblem[][] = [];
    const cache = new RuleCache(store, {
      checkEveryMs: 1_000,
      reloadEveryMs: 60_000,
      onProblems: (found) => problems.push([...found]),
      onReloadError: (error) => {
        throw error;
      },
    });
    const answers = async (text: string, nowMs: number) =>
      (await cache.ruleSet('20001', nowMs)).match(say(text)).map((m) => m.reply);
    expect(await answers('ping', 0)).toEqual(['pong']);
    expect(await answers('huge', 0)).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.map((p) => [p.ruleId, p.field]).sort()).toEqual([
      ['digits', 'priority'],
      ['e40', 'priority'],
      ['fraction', 'priority'],
      ['huge', 'priority'],
    ]);
    const message = (id: string) => problems[0]?.find((p) => p.ruleId === id)?.message;
    expect(message('huge')).toMatch(/^123456789012345678901234567890 is too large/);
    expect(message('fraction')).toMatch(/^9007199254740993\.5 is too large/);
    expect(message('e40')).toMatch(/^10+ is too large/); // DynamoDB gives 1e40 back in full
    expect(message('digits')).toMatch(/^1\.00000000000000000000000000001 has more digits .*read as 1\)/);

    // Read, shown and exported as written, never as a rounded number.
    expect(await store.get('20001', 'huge')).toMatchObject({ priority: new UnrepresentableNumber(BAD.huge) });
    expect(exportRules(await store.list()).json).toContain(`"priority": "${BAD.huge}"`);

    // Fixed in the console (no version bump): answered from the next reload on.
    await putRaw(handWritten('huge', '5'));
    for (const id of ['e40', 'fraction', 'digits']) await deleteRaw(id);
    expect(await answers('huge', 30_000)).toEqual([]);
    expect(await answers('huge', 60_000)).toEqual(['huge!']);
    expect(await answers('ping', 60_000)).toEqual(['pong']);
    expect(problems).toHaveLength(1);
  });

  it('reads such a number in a list, a map or a number set as well, and the version marker never fails', async () => {
    await putRaw({
      ...handWritten('nested', '1'),
      replies: { L: [{ S: 'ok' }, { N: BAD.huge }] },
      extra: { M: { deep: { N: BAD.fraction } } },
      numbers: { NS: ['1', BAD.huge] },
    });
    const [item] = await store.list('20001');
    expect(item).toMatchObject({
      replies: ['ok', new UnrepresentableNumber(BAD.huge)],
      extra: { deep: new UnrepresentableNumber(BAD.fraction) },
      numbers: new Set([1, new UnrepresentableNumber(BAD.huge)]),
    });
    // A backup of it loses nothing: the digits as written, the set as a list.
    expect(JSON.parse(exportRules([item]).json)).toEqual([
      expect.objectContaining({
        replies: ['ok', BAD.huge],
        extra: { deep: BAD.fraction },
        numbers: [1, BAD.huge],
      }),
    ]);
    await putRaw({ account: { S: '#meta' }, id: { S: 'version' }, version: { N: BAD.fraction } });
    expect(await store.version()).toBe(0);
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
