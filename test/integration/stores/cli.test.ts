import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../../lib/cli/rules-cli.ts';
import { resolveRulesTable, resolveTables } from '../../../lib/cli/table-location.ts';
import { planReplies, RuleCache } from '../../../lib/rules/index.ts';
import type { RuleInput } from '../../../lib/rules/model.ts';
import { DynamoRuleStore } from '../../../lib/stores/rule-store.ts';
import { DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

const DEMO_RULES = path.resolve(import.meta.dirname, '../../../local/demo-rules.json');

let dynamo: TestTables;
let table: string;
let sessionsTable: string;
let store: DynamoRuleStore;
let dir: string;

beforeAll(async () => {
  dynamo = await startTestTables('cli');
  dir = mkdtempSync(path.join(tmpdir(), 'rules-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dynamo.close();
});
beforeEach(async () => {
  ({ rules: table, sessions: sessionsTable } = await dynamo.fresh());
  store = new DynamoRuleStore({ doc: dynamo.doc, tableName: table });
  // The account the tests' rules are for has logged in: no warning about it.
  await new DynamoSessionStore({ doc: dynamo.doc, tableName: sessionsTable }).ensure('20001', Date.now());
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], extra: Partial<CliIo> = {}): Promise<Run> {
  const run = { code: -1, out: '', err: '' };
  run.code = await main(argv, {
    out: (text) => {
      run.out += text;
    },
    err: (text) => {
      run.err += text;
    },
    cwd: dir,
    projectDir: dir,
    // Not the shell's SESSIONS_TABLE: a test that wants one says so.
    env: {},
    ...extra,
  });
  return run;
}

/** The verb's arguments, then the location of this test's Rules table (and of its Sessions table). */
const rules = (...argv: string[]) =>
  cli([...argv, '--endpoint', dynamo.endpoint, '--table', table, '--sessions-table', sessionsTable]);

/** The same, knowing only the Rules table. */
const rulesOnly = (...argv: string[]) => cli([...argv, '--endpoint', dynamo.endpoint, '--table', table]);

/** The `test` verb: which rule answers this message, and what it says. */
/** As the first demo account (the demo rules are for two accounts and "*"). */
const tryMessage = (text: string, chatType: string, chat: string, sender: string) =>
  rules(
    'test',
    '--text',
    text,
    '--chat-type',
    chatType,
    '--chat',
    chat,
    '--sender',
    sender,
    '--account',
    '20001',
  );

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const ping = {
  account: '20001',
  id: 'ping',
  chatTypes: ['friend'],
  match: 'exact',
  pattern: 'ping',
  replies: ['pong'],
} satisfies RuleInput;

describe('add', () => {
  it('adds a rule from flags, and list shows it', async () => {
    const added = await rules(
      'add',
      '--id',
      'hike',
      '--account',
      '20001',
      '--match',
      'keywords_any',
      '--keywords',
      'hike, weekend',
      '--reply',
      '{sender}, see you there',
      '--reply',
      'On my way',
      '--chat-types',
      'group,discussion',
      '--chats',
      'Hiking Club',
      '--priority',
      '10',
      '--cooldown-chat',
      '300',
      '--mention-only',
    );
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toContain('added rule "hike" for account 20001');
    expect(await store.get('20001', 'hike')).toMatchObject({
      keywords: ['hike', 'weekend'],
      replies: ['{sender}, see you there', 'On my way'],
      chatTypes: ['group', 'discussion'],
      chats: ['Hiking Club'],
      priority: 10,
      cooldownChatSeconds: 300,
      mentionOnly: true,
      enabled: true,
    });

    const listed = await rules('list');
    expect(listed.code).toBe(0);
    const [header, row] = listed.out.split('\n');
    expect(header).toMatch(
      /^id\s+account\s+enabled\s+priority\s+where\s+match\s+pattern\/keywords\s+replies$/,
    );
    expect(row).toMatch(
      /^hike\s+20001\s+yes\s+10\s+group,discussion in Hiking Club @bot\s+keywords_any\s+hike, weekend\s+\{sender\}, see you there \(\+1\)$/,
    );
  });

  it('adds a rule from a file, and refuses to add it again', async () => {
    const file = writeJson('ping.json', ping);
    expect(await rules('add', '--file', file)).toMatchObject({ code: 0 });
    expect(await store.get('20001', 'ping')).toMatchObject({ pattern: 'ping', replies: ['pong'] });

    const again = await rules('add', '--file', file);
    expect(again.code).toBe(2);
    expect(again.err).toContain('rule "ping" for account 20001 already exists');
  });

  it('refuses an invalid rule with exit code 2, naming rule and field, and writes nothing', async () => {
    const bad = await rules(
      'add',
      '--id',
      'weather',
      '--account',
      '20001',
      '--match',
      'regex',
      '--pattern',
      '^天气\\s*(\\S+',
      '--reply',
      '{$1}',
      '--chat-types',
      'friend',
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      'error: --pattern: `^天气\\s*(\\S+` is not a regular expression RE2 accepts: missing closing )\n',
    );
    expect(bad.out).toBe('');

    const noCapture = await rules('add', '--file', writeJson('bad.json', { ...ping, replies: ['{$1}'] }));
    expect(noCapture.code).toBe(2);
    expect(noCapture.err).toContain('rule "ping": replies.0: uses {$1} but only regex rules have captures');
    expect(await store.list()).toEqual([]);
    expect(await store.version()).toBe(0);
  });

  it('refuses bad flags with exit code 2: unknown flag, bad number, --file with flags', async () => {
    const unknown = await rules('add', '--idd', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown option '--idd'/);
    const number = await rules('add', '--id', 'x', '--priority', 'high');
    expect(number).toMatchObject({ code: 2 });
    expect(number.err).toContain('priority takes a whole number, not "high"');
    const mixed = await rules('add', '--file', 'x.json', '--id', 'x');
    expect(mixed.err).toContain('--file goes alone, not with --id');
    expect(await store.list()).toEqual([]);
  });
});

/** What `main` prints for a command-line mistake: the message, then where the usage is. */
const usageError = (message: string) => `error: ${message}\n(npm run rules -- --help for the usage)\n`;

/** zod's own wording, which must never reach a person typing flags. */
const ZOD_WORDS = /Invalid (input|option)|expected \w+, received|Too (big|small)|Unrecognized key/;

/** `add` with a valid rule's flags, minus `without`, plus `extra`. */
function addArgs(without: readonly string[], ...extra: string[]): string[] {
  const flags: [string, string][] = [
    ['--id', 'ping'],
    ['--account', '20001'],
    ['--match', 'exact'],
    ['--pattern', 'ping'],
    ['--reply', 'pong'],
    ['--chat-types', 'friend'],
  ];
  return ['add', ...flags.filter(([flag]) => !without.includes(flag)).flat(), ...extra];
}

describe('add: a mistake in the flags is said in the flags’ words', () => {
  const cases: [string, string[], string][] = [
    [
      'no --reply',
      addArgs(['--reply']),
      'missing --reply TEXT: the reply to send (give --reply more than once for several)',
    ],
    [
      'only --match, and not a match kind',
      ['add', '--match', 'ping'],
      [
        '5 problems, nothing written:',
        '  missing --account A: the bot\'s QQ number the rule is for, or "*" for every account',
        "  missing --id ID: the rule's name, unique within its account (letters, digits, . _ -)",
        '  missing --chat-types friend,group: where the rule answers: one or more of friend, group, discussion (comma-separated)',
        '  --match ping: must be one of exact, prefix, contains, keywords_any, keywords_all, regex',
        '  missing --reply TEXT: the reply to send (give --reply more than once for several)',
      ].join('\n'),
    ],
    ['no --pattern', addArgs(['--pattern']), 'missing --pattern P: the text to look for with --match exact'],
    [
      'no --pattern for a regex',
      addArgs(['--pattern', '--match'], '--match', 'regex'),
      'missing --pattern P: the regular expression to look for with --match regex',
    ],
    [
      'no --keywords for keywords_any',
      addArgs(['--pattern', '--match'], '--match', 'keywords_any'),
      'missing --keywords a,b: the words to look for with --match keywords_any (comma-separated)',
    ],
    [
      '--pattern with keywords_all',
      addArgs(['--match'], '--match', 'keywords_all', '--keywords', 'a,b'),
      '--pattern: not used by --match keywords_all (give the words with --keywords a,b)',
    ],
    [
      '--keywords with exact',
      addArgs([], '--keywords', 'a,b'),
      '--keywords: only used by match keywords_any and keywords_all (--match exact takes --pattern P)',
    ],
    [
      'values out of bounds or not allowed',
      [
        'add',
        '--id',
        'bad id',
        '--account',
        '2001',
        '--match',
        'exact',
        '--pattern',
        'ping',
        '--reply',
        '',
        '--chat-types',
        'friends,group',
        '--priority',
        '5000000',
        '--cooldown-sender',
        '999999999',
      ],
      [
        '6 problems, nothing written:',
        '  --account 2001: must be a QQ number or "*" for all accounts',
        '  --id "bad id": must be 1–64 of A-Z a-z 0-9 . _ - (not starting with . _ -)',
        '  --priority 5000000: must be at most 1000000',
        '  --chat-types friends: must be one of friend, group, discussion',
        '  --reply "": a reply must not be empty',
        '  --cooldown-sender 999999999: must be at most 604800 seconds',
      ].join('\n'),
    ],
    [
      'a negative cooldown',
      addArgs([], '--cooldown-chat=-1'),
      '--cooldown-chat -1: must be at least 0 seconds',
    ],
    [
      'empty lists',
      addArgs(
        ['--pattern', '--match', '--chat-types'],
        '--match',
        'keywords_any',
        '--keywords',
        ',',
        '--chat-types',
        '',
      ),
      [
        '2 problems, nothing written:',
        '  --chat-types: give at least one chat type',
        '  --keywords: give at least one keyword',
      ].join('\n'),
    ],
    [
      '--mention-only for friends',
      addArgs([], '--mention-only'),
      '--mention-only: only applies to group and discussion chats',
    ],
    [
      'a capture outside a regex rule',
      addArgs(['--reply'], '--reply', '{$1}'),
      '--reply "{$1}": uses {$1} but only regex rules have captures',
    ],
    [
      '--set out of bounds',
      addArgs([], '--set', 'priority=9999999'),
      '--set priority=9999999: must be at most 1000000',
    ],
    [
      '--set of a kind that does not exist',
      addArgs(['--match'], '--set', 'match=nope'),
      '--set match=nope: must be one of exact, prefix, contains, keywords_any, keywords_all, regex',
    ],
  ];

  it.each(cases)('%s', async (_, argv, message) => {
    const run = await rules(...argv);
    expect(run).toEqual({ code: 2, out: '', err: usageError(message) });
    expect(run.err).not.toMatch(ZOD_WORDS);
    expect(await store.list()).toEqual([]);
    expect(await store.version()).toBe(0);
  });
});

describe('edit: a mistake in --set or --unset is said in their words', () => {
  beforeEach(async () => {
    await store.put(ping);
  });

  it('names the --set or --unset that breaks the rule, and changes nothing', async () => {
    const before = await store.get('20001', 'ping');
    const cases: [string[], string][] = [
      [['--unset', 'replies'], '--unset replies: a rule needs replies (the reply to send)'],
      [
        ['--unset', 'chatTypes'],
        '--unset chatTypes: a rule needs chatTypes (where the rule answers: one or more of friend, group, discussion (comma-separated))',
      ],
      [
        ['--set', 'chatTypes=friend,friends', '--set', 'priority=-2000000'],
        [
          '2 problems, nothing written:',
          '  --set priority=-2000000: must be at least -1000000',
          '  --set chatTypes=friends: must be one of friend, group, discussion',
        ].join('\n'),
      ],
      [
        ['--set', 'match=regex', '--set', 'pattern=(abc'],
        '--set pattern: `(abc` is not a regular expression RE2 accepts: missing closing )',
      ],
      [
        ['--set', 'match=keywords_all', '--set', 'keywords=a'],
        "the stored rule's pattern: not used by match keywords_all (remove it with --unset pattern)",
      ],
    ];
    for (const [argv, message] of cases) {
      const run = await rules('edit', '20001', 'ping', ...argv);
      expect(run, argv.join(' ')).toEqual({ code: 2, out: '', err: usageError(message) });
      expect(run.err).not.toMatch(ZOD_WORDS);
    }
    expect(await store.get('20001', 'ping')).toEqual(before);
    expect(await store.version()).toBe(1);
  });
});

describe('a regex error shows the pattern as written (never the internal (?i))', () => {
  const weather = { ...ping, id: 'weather', match: 'regex', pattern: '(abc' } satisfies RuleInput;
  const reason = '`(abc` is not a regular expression RE2 accepts: missing closing )';

  it('add, from flags, case-insensitive or not, and from a file', async () => {
    const flags = addArgs(['--match', '--pattern'], '--match', 'regex', '--pattern', '(abc');
    expect(await rules(...flags)).toEqual({ code: 2, out: '', err: usageError(`--pattern: ${reason}`) });
    expect(await rules(...flags, '--case-sensitive')).toEqual({
      code: 2,
      out: '',
      err: usageError(`--pattern: ${reason}`),
    });
    const nested = addArgs(['--match', '--pattern'], '--match', 'regex', '--pattern', 'a**');
    expect((await rules(...nested)).err).toBe(
      usageError(
        '--pattern: `a**` is not a regular expression RE2 accepts: invalid nested repetition operator: `**`',
      ),
    );
    const file = await rules('add', '--file', writeJson('weather.json', weather));
    expect(file).toEqual({ code: 2, out: '', err: `error: rule "weather": pattern: ${reason}\n` });
    expect(await store.list()).toEqual([]);
    expect(await store.version()).toBe(0);
  });

  it('import', async () => {
    const run = await rules('import', writeJson('weather-rules.json', [ping, weather]));
    expect(run).toEqual({
      code: 2,
      out: '',
      err: `error: 1 invalid rule, nothing imported:\n  item 1: rule "weather": pattern: ${reason}\n`,
    });
    expect(await store.list()).toEqual([]);
  });

  it('list and test, for a rule broken by hand', async () => {
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: weather }));
    const listed = await rules('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`\ninvalid (skipped by the bot): rule "weather": pattern: ${reason}\n`);
    const tried = await rules('test', '--text', 'abc', '--sender', 'Ali');
    expect(tried.code).toBe(0);
    expect(tried.out).toContain(`\nskipped invalid rule: rule "weather": pattern: ${reason}\n`);
    expect(listed.out + tried.out).not.toContain('(?i)');
  });
});

describe('an account with no session and no rules gets a warning', () => {
  it('knowing only the Rules table: no rules yet; the command still works', async () => {
    const first = await rulesOnly(...addArgs(['--account'], '--account', '99999'));
    expect(first).toEqual({
      code: 0,
      out: 'added rule "ping" for account 99999\n',
      err: 'warning: account 99999 has no rules yet — is the number right?\n',
    });
    expect(await store.get('99999', 'ping')).toMatchObject({ account: '99999' });
    // It has a rule now.
    const second = await rulesOnly(...addArgs(['--account', '--id'], '--account', '99999', '--id', 'two'));
    expect(second).toMatchObject({ code: 0, err: '' });
    const other = await rulesOnly(...addArgs(['--account'], '--account', '88888'));
    expect(other.err).toBe(
      'warning: account 88888 has no rules yet — is the number right? (account 99999 with rules)\n',
    );
    // The "*" rules are nobody's account.
    const all = await rulesOnly(...addArgs(['--account', '--id'], '--account', '*', '--id', 'all'));
    expect(all).toMatchObject({ code: 0, err: '' });
  });

  it('with the Sessions table (--sessions-table or SESSIONS_TABLE): no session either', async () => {
    // A lease alone is not a session.
    const sessions = new DynamoSessionStore({ doc: dynamo.doc, tableName: sessionsTable });
    await sessions.acquireLease('30001', 'poller', Date.now() + 60_000, Date.now());
    // 20001 has a session (beforeEach) and no rules yet.
    expect(await rules(...addArgs([]))).toMatchObject({ code: 0, err: '' });

    const unknown = await rules(...addArgs(['--account'], '--account', '99999'));
    expect(unknown).toEqual({
      code: 0,
      out: 'added rule "ping" for account 99999\n',
      err: 'warning: account 99999 has no session and no rules yet — is the number right? (account 20001 with a session)\n',
    });
    const leaseOnly = await cli(
      [...addArgs(['--account'], '--account', '30001'), '--endpoint', dynamo.endpoint, '--table', table],
      { env: { SESSIONS_TABLE: sessionsTable } },
    );
    expect(leaseOnly).toEqual({
      code: 0,
      out: 'added rule "ping" for account 30001\n',
      err: 'warning: account 30001 has no session and no rules yet — is the number right? (account 20001 with a session)\n',
    });
    expect((await store.list()).length).toBe(3);
  });

  it('--local: names the local runtime’s account; every verb that takes an account warns', async () => {
    const project = mkdtempSync(path.join(dir, 'project-'));
    mkdirSync(path.join(project, '.local-data'));
    writeFileSync(
      path.join(project, '.local-data', 'runtime.json'),
      JSON.stringify({
        dynamodbEndpoint: dynamo.endpoint,
        tables: { rules: table, sessions: sessionsTable },
      }),
    );
    await store.put(ping);
    const local = (...argv: string[]) => cli([...argv, '--local'], { projectDir: project, cwd: project });
    const warning =
      "warning: account 99999 has no session and no rules yet — is the number right? (the local runtime's account is 20001)\n";
    const notFound = `${warning}error: no rule "ping" for account 99999\n`;

    expect(await local('list', '--account', '99999')).toEqual({ code: 0, out: 'no rules\n', err: warning });
    expect(await local('export', '--account', '99999')).toEqual({ code: 0, out: '[]\n', err: warning });
    const tried = await local('test', '--text', 'ping', '--sender', 'Ali', '--account', '99999');
    expect(tried).toMatchObject({ code: 0, err: warning });
    expect(await local('delete', '99999', 'ping')).toEqual({ code: 2, out: '', err: notFound });
    expect(await local('disable', '99999', 'ping')).toEqual({ code: 2, out: '', err: notFound });
    expect(await local('edit', '99999', 'ping', '--set', 'priority=1')).toEqual({
      code: 2,
      out: '',
      err: notFound,
    });
    expect(await local('list', '--account', '20001')).toMatchObject({ code: 0, err: '' });

    const file = writeJson('for-99999.json', [{ ...ping, account: '99999' }]);
    expect(await local('import', file)).toEqual({
      code: 0,
      out: `imported 1 rule from ${file}\n`,
      err: warning,
    });
    expect(await store.get('99999', 'ping')).toBeDefined();
    expect(await local('list', '--account', '99999')).toMatchObject({ code: 0, err: '' });
  });

  it('a bad account is an error, not a warning, and writes nothing', async () => {
    const run = await rules(...addArgs(['--account'], '--account', '99999x'));
    expect(run).toEqual({
      code: 2,
      out: '',
      err: usageError('--account 99999x: must be a QQ number or "*" for all accounts'),
    });
    expect(await store.list()).toEqual([]);
  });
});

describe('edit, enable, disable, delete', () => {
  beforeEach(async () => {
    await store.put(ping);
  });

  it('sets fields of different kinds and validates the merged rule', async () => {
    const edited = await rules(
      'edit',
      '20001',
      'ping',
      '--set',
      'priority=7',
      '--set',
      'replies=["pong","PONG"]',
      '--set',
      'chatTypes=friend,group',
      '--set',
      'caseSensitive=true',
    );
    expect(edited).toMatchObject({ code: 0, err: '' });
    expect(await store.get('20001', 'ping')).toMatchObject({
      priority: 7,
      replies: ['pong', 'PONG'],
      chatTypes: ['friend', 'group'],
      caseSensitive: true,
    });
  });

  it('switches a rule to keywords with --unset pattern; an invalid merge writes nothing', async () => {
    const invalid = await rules('edit', '20001', 'ping', '--set', 'match=keywords_any');
    expect(invalid.code).toBe(2);
    expect(invalid.err).toContain(
      'error: missing --set keywords=a,b: the words to look for with match keywords_any (comma-separated)\n',
    );
    expect(await store.get('20001', 'ping')).toMatchObject({ match: 'exact', pattern: 'ping' });

    const valid = await rules(
      'edit',
      '20001',
      'ping',
      '--set',
      'match=keywords_any',
      '--set',
      'keywords=ping,pong',
      '--unset',
      'pattern',
    );
    expect(valid.code).toBe(0);
    const item = (await store.get('20001', 'ping')) as Record<string, unknown>;
    expect(item).toMatchObject({ match: 'keywords_any', keywords: ['ping', 'pong'] });
    expect(item).not.toHaveProperty('pattern');
  });

  it('refuses to edit the key, an unknown field, or a missing rule', async () => {
    expect((await rules('edit', '20001', 'ping', '--set', 'id=pong')).err).toContain('id names the rule');
    expect((await rules('edit', '20001', 'ping', '--set', 'colour=red')).err).toContain(
      'unknown field "colour"',
    );
    const missing = await rules('edit', '20001', 'nope', '--set', 'priority=1');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('no rule "nope" for account 20001');
    expect((await rules('edit', '20001', 'ping')).code).toBe(2);
  });

  it('disables, enables and deletes; a missing rule is exit code 2', async () => {
    expect((await rules('disable', '20001', 'ping')).code).toBe(0);
    expect(await store.get('20001', 'ping')).toMatchObject({ enabled: false });
    expect((await rules('list')).out).toMatch(/ping\s+20001\s+no\s/);
    expect((await rules('enable', '20001', 'ping')).code).toBe(0);
    expect(await store.get('20001', 'ping')).toMatchObject({ enabled: true });
    expect((await rules('delete', '20001', 'ping')).out).toContain('deleted rule "ping"');
    expect(await store.get('20001', 'ping')).toBeUndefined();
    const again = await rules('delete', '20001', 'ping');
    expect(again.code).toBe(2);
    expect(again.err).toContain('no rule "ping" for account 20001');
    expect((await rules('disable', '20001')).err).toContain('expected <account> <id>');
  });
});

describe('import and export', () => {
  it('imports nothing when any rule is invalid, and names every problem', async () => {
    const file = writeJson('mixed.json', [
      ping,
      { ...ping, id: 'weather', match: 'regex', pattern: '^天气\\s*(\\S+)', replies: ['{$2}'] },
      { ...ping, id: 'typo', chatType: ['friend'] },
    ]);
    const run = await rules('import', file);
    expect(run.code).toBe(2);
    expect(run.err).toContain('2 invalid rules, nothing imported');
    expect(run.err).toContain('item 1: rule "weather": replies.0: uses {$2} but the regex has no such group');
    expect(run.err).toMatch(/item 2: rule "typo": chatType/);
    expect(await store.list()).toEqual([]);
  });

  it('refuses a file that is not a JSON array', async () => {
    expect((await rules('import', writeJson('obj.json', ping))).err).toContain(
      'expected a JSON array of rules',
    );
    expect((await rules('import', writeJson('broken.json', '[{'))).err).toContain('is not JSON');
    expect((await rules('import', 'missing.json')).err).toContain('cannot read missing.json: ENOENT');
  });

  it('export → import → export gives the same bytes, sorted by account then id', async () => {
    const demoRules = JSON.parse(readFileSync(DEMO_RULES, 'utf8')) as unknown[];
    expect((await rules('import', DEMO_RULES)).out).toContain(`imported ${demoRules.length} rules`);
    await dynamo.doc.send(
      new PutCommand({ TableName: table, Item: { ...ping, account: '30001', id: 'a', stop: false } }),
    );

    const first = await rules('export', '--out', 'first.json');
    expect(first).toMatchObject({ code: 0, err: '' });
    const firstJson = readFileSync(path.join(dir, 'first.json'), 'utf8');
    const exported = JSON.parse(firstJson) as { account: string; id: string }[];
    expect(exported.map((r) => `${r.account}/${r.id}`)).toEqual([
      '*/help',
      '20001/good-morning',
      '20001/hiking-weekend',
      '20001/mention-hello',
      '20001/ping',
      '20001/weather',
      '20002/book-of-the-month',
      '30001/a',
    ]);
    expect(firstJson).not.toContain('updatedAt');
    // Keys in the model's order whatever the order of the stored attributes.
    expect(Object.keys(exported.find((r) => r.account === '30001') ?? {})).toEqual([
      'account',
      'id',
      'enabled',
      'priority',
      'chatTypes',
      'mentionOnly',
      'match',
      'pattern',
      'caseSensitive',
      'replies',
      'cooldownChatSeconds',
      'cooldownSenderSeconds',
      'stop',
    ]);

    table = (await dynamo.fresh()).rules;
    expect((await rules('import', 'first.json')).code).toBe(0);
    const second = await rules('export');
    expect(second.out).toBe(firstJson);
  });

  it('exports one account with the * rules, to stdout', async () => {
    await rules('import', DEMO_RULES);
    await store.put({ ...ping, account: '30001' });
    const run = await rules('export', '--account', '30001');
    expect((JSON.parse(run.out) as { id: string }[]).map((r) => r.id)).toEqual(['help', 'ping']);
  });

  it('exports a hand-broken item as it is, with a warning', async () => {
    await dynamo.doc.send(
      new PutCommand({ TableName: table, Item: { ...ping, pattern: 7, updatedAt: 'x' } }),
    );
    const run = await rules('export');
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/warning: exported as stored, not a valid rule: rule "ping": pattern/);
    expect(JSON.parse(run.out)).toEqual([{ ...ping, pattern: 7 }]);
  });

  it('import --replace deletes the rules of the imported accounts that are not in the file', async () => {
    await rules('import', DEMO_RULES);
    await store.put({ ...ping, account: '30001' });
    const run = await rules('import', writeJson('only-ping.json', [ping]), '--replace');
    expect(run.code).toBe(0);
    expect(run.out).toContain('deleted rule "weather" for account 20001');
    const keys = (await store.list())
      .map((i) => `${(i as typeof ping).account}/${(i as typeof ping).id}`)
      .sort();
    // Not in the file: the second demo account's rule (its account was not imported) stays.
    expect(keys).toEqual(['*/help', '20001/ping', '20002/book-of-the-month', '30001/ping']);
  });
});

describe('test', () => {
  beforeEach(async () => {
    await rules('import', DEMO_RULES);
  });

  it('names the rule that answers and what it says, as the consumer would', async () => {
    const run = await rules(
      'test',
      '--text',
      'ping',
      '--chat-type',
      'friend',
      '--sender',
      'Ali',
      '--account',
      '20001',
    );
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain('rule "ping" (account 20001, priority 100) answers:\npong\n');

    const weather = await tryMessage('天气 北京', 'group', 'Hiking Club', 'Alice');
    expect(weather.out).toContain('rule "weather"');
    expect(weather.out).toContain('北京的天气：晴 /微笑');
  });

  it('agrees with the consumer path (rule cache → planReplies) on the same messages', async () => {
    const cases = [
      { text: 'ping', chatType: 'friend', chat: 'Ali', sender: 'Ali' },
      { text: '天气 上海', chatType: 'group', chat: 'Hiking Club', sender: 'Alice' },
      { text: 'weekend hike anyone?', chatType: 'group', chat: 'Hiking Club', sender: 'Bob' },
      { text: '@DemoBot help', chatType: 'group', chat: 'Tea & Code', sender: 'Dana' },
      { text: 'nothing to see', chatType: 'discussion', chat: 'Weekend plans', sender: 'Alice' },
    ] as const;
    const cache = new RuleCache(store);
    const guards = {
      cooldowns: { tryAcquire: async () => true, release: async () => undefined },
      conversation: { admit: async () => ({ admitted: true as const }) },
      breakerPace: { intervalMs: 0, burst: 1 },
      breakerHoldMs: 0,
      selfUins: new Set<number>(),
      senderListed: true,
      messageKey: 'cli-check',
    };
    let answered = 0;
    for (const c of cases) {
      const run = await rules(
        'test',
        '--text',
        c.text,
        '--chat-type',
        c.chatType,
        '--chat',
        c.chat,
        '--sender',
        c.sender,
        '--account',
        '20001',
      );
      expect(run.code).toBe(0);
      const message = {
        account: '20001',
        chatType: c.chatType,
        chatName: c.chat,
        senderName: c.sender,
        senderNick: c.sender,
        senderUin: 1,
        text: c.text,
        botNick: 'DemoBot',
        botNames: ['DemoBot'],
      };
      const plan = await planReplies(await cache.ruleSet('20001', Date.now()), message, guards, Date.now());
      const cliRules = [...run.out.matchAll(/^rule "([^"]+)"/gm)].map((m) => m[1]);
      expect(cliRules, c.text).toEqual(plan.replies.map((r) => r.rule.id));
      for (const reply of plan.replies.filter((r) => r.rule.replies.length === 1)) {
        expect(run.out, c.text).toContain(`answers:\n${reply.reply}\n`);
      }
      if (plan.replies.length > 0) answered++;
    }
    // The cases exercise real answers, not only silence.
    expect(answered).toBeGreaterThanOrEqual(3);
  });

  it('fills the template with the sender and honours chats and @-mentions', async () => {
    const hike = await tryMessage('who wants to hike?', 'group', 'Hiking Club', 'Trail Boss');
    expect(hike.out).toContain('rule "hiking-weekend"');
    expect(hike.out).toContain('Trail Boss, the trail is waiting');

    const elsewhere = await tryMessage('who wants to hike?', 'group', 'Tea & Code', 'Dana Lee');
    expect(elsewhere.out).toContain('no rule answers');

    const unaddressed = await tryMessage('hello', 'group', 'Tea & Code', 'Dana Lee');
    expect(unaddressed.out).toContain('no rule answers');
    const addressed = await tryMessage('@DemoBot hello', 'group', 'Tea & Code', 'Dana Lee');
    expect(addressed.out).toContain('rule "mention-hello"');
    expect(addressed.out).toContain('Dana Lee, you called?');
  });

  it('uses the * rules, and lists the invalid rules it skipped', async () => {
    await dynamo.doc.send(
      new PutCommand({ TableName: table, Item: { ...ping, id: 'broken', match: 'regex', pattern: '(' } }),
    );
    const run = await rules('test', '--text', 'help', '--sender', 'Ali', '--account', '20001');
    expect(run.code).toBe(0);
    expect(run.out).toContain('to account 20001');
    expect(run.out).toContain('skipped invalid rule: rule "broken": pattern');
    expect(run.out).toContain('rule "help" (account *, priority -10) answers:\nI am DemoBot. Try:');
  });

  it('asks for --account when the table has rules for several, and for --text', async () => {
    await store.put({ ...ping, account: '30001' });
    expect((await rules('test', '--text', 'ping', '--sender', 'Ali')).err).toContain(
      'say which with --account',
    );
    expect((await rules('test', '--sender', 'Ali')).err).toContain('--text is required');
    expect((await rules('test', '--text', 'x', '--chat-type', 'group', '--sender', 'A')).err).toContain(
      '--chat NAME is required for a group chat',
    );
  });
});

describe('where the table is', () => {
  it('--local reads .local-data/runtime.json, and says clearly when it is missing', async () => {
    const project = mkdtempSync(path.join(dir, 'project-'));
    const missing = await cli(['list', '--local'], { projectDir: project });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`${path.join(project, '.local-data', 'runtime.json')} not found`);

    await store.put(ping);
    mkdirSync(path.join(project, '.local-data'));
    writeFileSync(
      path.join(project, '.local-data', 'runtime.json'),
      JSON.stringify({ dynamodbEndpoint: dynamo.endpoint, tables: { rules: table } }),
    );
    const listed = await cli(['list', '--local'], { projectDir: project });
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/\nping\s+20001/);
  });

  it('--stack reads the RulesTableName output through CloudFormation DescribeStacks', async () => {
    const cloudFormation = await fakeCloudFormation(new Map([['QqBot', 'QqBot-RulesTable-ABC']]));
    try {
      const location = await resolveRulesTable(
        { stack: 'QqBot', region: 'eu-west-1' },
        dir,
        cloudFormation.factory,
      );
      expect(location).toEqual({ tableName: 'QqBot-RulesTable-ABC', region: 'eu-west-1' });
      expect(cloudFormation.requests).toEqual(['Action=DescribeStacks&Version=2010-05-15&StackName=QqBot']);

      const io = { cloudFormation: cloudFormation.factory };
      const none = await cli(['list', '--stack', 'Nope', '--region', 'eu-west-1'], io);
      expect(none).toMatchObject({ code: 2 });
      expect(none.err).toContain('--stack: no stack Nope in eu-west-1');
    } finally {
      await cloudFormation.close();
    }
  });

  it('--stack also reads the SessionsTableName output, for the account warning', async () => {
    const cloudFormation = await fakeCloudFormation(
      new Map([['QqBot', table]]),
      new Map([['QqBot', sessionsTable]]),
    );
    try {
      const location = await resolveTables(
        { stack: 'QqBot', region: 'eu-west-1' },
        dir,
        cloudFormation.factory,
      );
      expect(location).toEqual({ rules: { tableName: table, region: 'eu-west-1' }, sessionsTable });
    } finally {
      await cloudFormation.close();
    }
  });

  it('--stack says which outputs a stack has when RulesTableName is not one', async () => {
    const cloudFormation = await fakeCloudFormation(new Map([['Old', undefined]]));
    try {
      const run = await cli(['list', '--stack', 'Old', '--region', 'eu-west-1'], {
        cloudFormation: cloudFormation.factory,
      });
      expect(run.code).toBe(2);
      expect(run.err).toContain('stack Old has no output RulesTableName (outputs: SendApiUrl)');
    } finally {
      await cloudFormation.close();
    }
  });

  it('needs exactly one way, and says why', async () => {
    expect((await cli(['list'])).err).toContain('say where the Rules table is');
    expect((await cli(['list', '--local', '--table', 't'])).err).toContain('only one of');
    expect((await cli(['list', '--table', 't', '--endpoint', 'not a url'])).err).toContain('is not a URL');
  });

  it('reports an unreachable table with exit code 1 and the table named', async () => {
    const run = await cli(['list', '--table', 'NoSuchTable', '--endpoint', dynamo.endpoint]);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`table NoSuchTable at ${dynamo.endpoint}: no such table`);
  });
});

describe('usage', () => {
  it('prints the usage with --help (exit 0) and without a verb (exit 2)', async () => {
    expect(await cli(['--help'])).toMatchObject({ code: 0 });
    expect((await cli(['--help'])).out).toContain('Usage: npm run rules -- <verb>');
    expect((await cli(['list', '--help'])).out).toContain('Usage:');
    expect(await cli([])).toMatchObject({ code: 2 });
    expect((await cli(['frobnicate'])).err).toContain('unknown verb "frobnicate"');
  });
});

/** A CloudFormation endpoint on loopback answering DescribeStacks (awsQuery protocol, XML). */
async function fakeCloudFormation(
  stacks: ReadonlyMap<string, string | undefined>,
  sessionTables: ReadonlyMap<string, string> = new Map(),
) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      requests.push(body);
      const name = new URLSearchParams(body).get('StackName') ?? '';
      const table = stacks.get(name);
      const sessions = sessionTables.get(name);
      res.setHeader('content-type', 'text/xml');
      if (!stacks.has(name)) {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`,
        );
        return;
      }
      res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/1</StackId><CreationTime>2025-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>SendApiUrl</OutputKey><OutputValue>https://example.invalid/</OutputValue></member>${table === undefined ? '' : `<member><OutputKey>RulesTableName</OutputKey><OutputValue>${table}</OutputValue></member>`}${sessions === undefined ? '' : `<member><OutputKey>SessionsTableName</OutputKey><OutputValue>${sessions}</OutputValue></member>`}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requests,
    factory: (region: string | undefined) =>
      new CloudFormationClient({
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        ...(region ? { region } : {}),
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
