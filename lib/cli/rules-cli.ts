/**
 * `npm run rules -- <verb> ...`: list, add, edit, enable/disable, delete, import, export and try
 * the auto-reply rules in their DynamoDB table. Argument parsing and printing only: the rules are
 * checked by the rule model, stored by the RuleStore and matched by the consumer's own matcher.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  ALL_ACCOUNTS,
  CHAT_TYPES,
  type ChatType,
  checkRule,
  type IncomingMessage,
  RuleCache,
  type RuleProblem,
} from '../rules/index.ts';
import { createDynamoClients } from '../state/dynamo.ts';
import { exportRules } from '../stores/rule-export.ts';
import {
  DynamoRuleStore,
  formatRuleProblem,
  RuleExistsError,
  RuleImportError,
  RuleNotFoundError,
  type RuleStore,
  RuleValidationError,
  validRule,
} from '../stores/rule-store.ts';
import { unknownAccountWarnings } from './account-check.ts';
import { failureText } from './failure-text.ts';
import { type FlagWords, flagProblems } from './flag-problems.ts';
import { fieldValue, parseAssignment, type RuleField, ruleField } from './rule-fields.ts';
import { formatRuleTable } from './rule-table.ts';
import { type CloudFormationFactory, type Env, resolveTables, type TableLocation } from './table-location.ts';
import { UsageError } from './usage-error.ts';

// The SDK warns on stderr about Node versions it will stop supporting; not this tool's concern.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const USAGE = `Usage: npm run rules -- <verb> [arguments] <where>

Where the Rules table is (one of):
  --table NAME [--endpoint URL] [--region R]   a table by name (--endpoint for an emulator)
      [--sessions-table NAME]                  and the Sessions table (default: $SESSIONS_TABLE)
  --local [--data-dir DIR]                     the one \`npm start\` runs (reads .local-data/runtime.json,
                                               or DIR/runtime.json for \`npm start -- --data-dir DIR\`)
  --stack NAME [--region R]                    a deployed stack's (its RulesTableName output)
The Sessions table, when known, is only read: to warn about an account with no session and no rules.

Verbs:
  list [--account A]                 the rules (of account A and the "*" rules), as a table
  add --file rule.json               add one rule (a JSON object); refuses to replace an existing one
  add --id ID --account A --match KIND (--pattern P | --keywords a,b) --reply TEXT [--reply TEXT]
      --chat-types friend,group [--chats "Hiking Club,Tea & Code"] [--exclude-chats ...]
      [--priority N] [--cooldown-chat S] [--cooldown-sender S] [--description TEXT]
      [--mention-only] [--case-sensitive] [--no-stop] [--disabled] [--set field=value ...]
  edit <account> <id> [--set field=value ...] [--unset field ...]
                                     change fields; the merged rule is checked before it is written
  enable <account> <id>
  disable <account> <id>
  delete <account> <id>
  import <file.json> [--replace]     a JSON array of rules; all are checked first and nothing is
                                     written if one is invalid. --replace also deletes the rules
                                     of the imported accounts that are not in the file
  export [--account A] [--out file]  the rules as a JSON array, sorted by account then id
  test --text TEXT [--chat-type friend|group|discussion] [--chat NAME] [--sender NAME]
      [--sender-nick NICK] [--account A] [--bot-nick NICK] [--bot-name NAME ...]
                                     which rule would answer, and what it would say

Fields (--set field=value): account id enabled priority description chatTypes chats excludeChats
  mentionOnly match pattern keywords caseSensitive replies cooldownChatSeconds
  cooldownSenderSeconds stop. Lists take a,b,c or a JSON array; booleans true or false.
Match kinds: exact prefix contains keywords_any keywords_all regex. Account: a QQ number or "*".

Exit codes: 0 done, 1 failed (table unreachable, AWS error), 2 bad input (nothing written).
`;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Where relative file paths (import, export --out, add --file) resolve from. */
  readonly cwd: string;
  /** The repository: \`--local\` reads \`.local-data/runtime.json\` here. */
  readonly projectDir: string;
  readonly cloudFormation?: CloudFormationFactory;
  /** Where \`SESSIONS_TABLE\` is read from (default: the process's environment). */
  readonly env?: Env;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  // `npm run` starts scripts in the package folder; INIT_CWD is where the person typed the command.
  cwd: process.env.INIT_CWD ?? process.cwd(),
  projectDir: path.resolve(import.meta.dirname, '../..'),
};

/** Runs one command; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [verb, ...args] = argv;
  try {
    if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
      (verb === undefined ? io.err : io.out)(USAGE);
      return verb === undefined ? 2 : 0;
    }
    const run = VERBS[verb];
    if (!run) throw new UsageError(`unknown verb "${verb}" (verbs: ${Object.keys(VERBS).join(', ')})`);
    return await run(args, io);
  } catch (err) {
    if (isBadInput(err)) {
      io.err(`error: ${err.message}\n`);
      if (err instanceof UsageError) io.err('(npm run rules -- --help for the usage)\n');
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

type Verb = (args: string[], io: CliIo) => Promise<number>;

const LOCATION_OPTIONS = {
  endpoint: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  'data-dir': { type: 'string' },
  stack: { type: 'string' },
  'sessions-table': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const VERBS: Record<string, Verb> = {
  async list(args, io) {
    const { values } = parse(args, { account: { type: 'string' } }, []);
    if (values.help) return help(io);
    return withStore(values, io, async (store, warnIfUnknown) => {
      if (values.account !== undefined) await warnIfUnknown([values.account]);
      io.out(formatRuleTable(await store.list(values.account)));
      return 0;
    });
  },

  async add(args, io) {
    const { values } = parse(args, ADD_OPTIONS, []);
    if (values.help) return help(io);
    const rule = validRule(ruleFromAddFlags(values, io.cwd));
    return withStore(values, io, async (store, warnIfUnknown) => {
      await warnIfUnknown([rule.account]);
      await store.put(rule, { onlyIfNew: true });
      io.out(`added rule "${rule.id}" for account ${rule.account}\n`);
      return 0;
    });
  },

  async edit(args, io) {
    const { values, account, id } = parse(
      args,
      { set: { type: 'string', multiple: true }, unset: { type: 'string', multiple: true } },
      ['account', 'id'],
    );
    if (values.help) return help(io);
    const sets = (values.set ?? []).map(parseAssignment);
    const unsets = (values.unset ?? []).map((name) => ruleField(name, `--unset ${name}`));
    if (sets.length + unsets.length === 0)
      throw new UsageError('edit: nothing to change (--set field=value, --unset field)');
    for (const field of [...sets.map((s) => s.field), ...unsets]) {
      if (field === 'account' || field === 'id') {
        throw new UsageError(`edit: ${field} names the rule and cannot be edited (export, change, import)`);
      }
    }
    return withStore(values, io, async (store, warnIfUnknown) => {
      await warnIfUnknown([account]);
      const item = await store.get(account, id);
      if (!item) throw new RuleNotFoundError({ account, id });
      const merged: Record<string, unknown> = { ...(item as Record<string, unknown>) };
      delete merged.updatedAt;
      for (const { field, value } of sets) merged[field] = value;
      for (const field of unsets) delete merged[field];
      const sources = new Map<RuleField, string>();
      for (const { field } of sets) sources.set(field, `--set ${field}`);
      for (const field of unsets) sources.set(field, `--unset ${field}`);
      throwFlagProblems(flagProblems(merged, editWords(sources)));
      await store.put(validRule(merged));
      io.out(
        `updated rule "${id}" for account ${account}: ${[...sets.map((s) => s.field), ...unsets].join(', ')}\n`,
      );
      return 0;
    });
  },

  enable: (args, io) => setEnabled(args, io, true),
  disable: (args, io) => setEnabled(args, io, false),

  async delete(args, io) {
    const { values, account, id } = parse(args, {}, ['account', 'id']);
    if (values.help) return help(io);
    return withStore(values, io, async (store, warnIfUnknown) => {
      await warnIfUnknown([account]);
      await store.delete(account, id);
      io.out(`deleted rule "${id}" for account ${account}\n`);
      return 0;
    });
  },

  async import(args, io) {
    const { values, file } = parse(args, { replace: { type: 'boolean' } }, ['file']);
    if (values.help) return help(io);
    const items = readJson(io.cwd, file);
    if (!Array.isArray(items)) throw new UsageError(`${file}: expected a JSON array of rules`);
    return withStore(values, io, async (store, warnIfUnknown) => {
      // Only for a file that will be imported: an invalid one gets its problems, not warnings.
      if (items.every((item) => checkRule(item).ok)) {
        await warnIfUnknown(items.map((item) => (item as { account: string }).account));
      }
      const result = await store.importRules(items, { replace: values.replace ?? false });
      io.out(`imported ${result.written} rule${result.written === 1 ? '' : 's'} from ${file}\n`);
      for (const key of result.deleted) io.out(`deleted rule "${key.id}" for account ${key.account}\n`);
      return 0;
    });
  },

  async export(args, io) {
    const { values } = parse(args, { account: { type: 'string' }, out: { type: 'string' } }, []);
    if (values.help) return help(io);
    return withStore(values, io, async (store, warnIfUnknown) => {
      if (values.account !== undefined) await warnIfUnknown([values.account]);
      const items = await store.list(values.account);
      const { json, problems } = exportRules(items);
      for (const problem of problems)
        io.err(`warning: exported as stored, not a valid rule: ${formatRuleProblem(problem)}\n`);
      if (values.out === undefined) io.out(json);
      else {
        writeFileSync(path.resolve(io.cwd, values.out), json);
        io.out(`exported ${items.length} rule${items.length === 1 ? '' : 's'} to ${values.out}\n`);
      }
      return 0;
    });
  },

  async test(args, io) {
    const { values } = parse(args, TEST_OPTIONS, []);
    if (values.help) return help(io);
    const base = testMessage(values);
    return withStore(values, io, async (store, warnIfUnknown) => {
      if (values.account !== undefined) await warnIfUnknown([values.account]);
      const account = values.account ?? (await onlyAccount(store));
      // Exactly what the consumer does: the account's and the "*" rules, through the rule cache.
      const problems: RuleProblem[] = [];
      const cache = new RuleCache(store, { onProblems: (found) => problems.push(...found) });
      const ruleSet = await cache.ruleSet(account, Date.now());
      const message: IncomingMessage = { ...base, account };
      io.out(
        `message: ${message.chatType} "${message.chatName}", from ${message.senderName}, to account ${account}: ${message.text}\n`,
      );
      io.out(`${ruleSet.size} enabled rule${ruleSet.size === 1 ? '' : 's'} loaded\n`);
      for (const problem of problems) io.out(`skipped invalid rule: ${formatRuleProblem(problem)}\n`);
      const matches = ruleSet.match(message);
      if (matches.length === 0) io.out('no rule answers\n');
      for (const { rule, reply } of matches) {
        const choice = rule.replies.length > 1 ? ` (one of ${rule.replies.length} replies, at random)` : '';
        io.out(
          `rule "${rule.id}" (account ${rule.account}, priority ${rule.priority}) answers${choice}:\n${reply}\n`,
        );
      }
      return 0;
    });
  },
};

const ADD_OPTIONS = {
  file: { type: 'string' },
  id: { type: 'string' },
  account: { type: 'string' },
  match: { type: 'string' },
  pattern: { type: 'string' },
  keywords: { type: 'string' },
  reply: { type: 'string', multiple: true },
  'chat-types': { type: 'string' },
  chats: { type: 'string' },
  'exclude-chats': { type: 'string' },
  priority: { type: 'string' },
  'cooldown-chat': { type: 'string' },
  'cooldown-sender': { type: 'string' },
  description: { type: 'string' },
  'mention-only': { type: 'boolean' },
  'case-sensitive': { type: 'boolean' },
  'no-stop': { type: 'boolean' },
  disabled: { type: 'boolean' },
  set: { type: 'string', multiple: true },
} as const;

/** `add`'s value flags and the fields they set. */
const ADD_FLAG_FIELDS = {
  id: 'id',
  account: 'account',
  match: 'match',
  pattern: 'pattern',
  keywords: 'keywords',
  'chat-types': 'chatTypes',
  chats: 'chats',
  'exclude-chats': 'excludeChats',
  priority: 'priority',
  'cooldown-chat': 'cooldownChatSeconds',
  'cooldown-sender': 'cooldownSenderSeconds',
  description: 'description',
} as const satisfies Partial<Record<keyof typeof ADD_OPTIONS, RuleField>>;

function ruleFromAddFlags(values: ParsedValues<typeof ADD_OPTIONS>, cwd: string): unknown {
  const flagged = Object.keys(values).filter(
    (name) => name !== 'file' && !Object.hasOwn(LOCATION_OPTIONS, name),
  );
  if (values.file !== undefined) {
    if (flagged.length > 0)
      throw new UsageError(`add: --file goes alone, not with --${flagged.join(', --')}`);
    return readJson(cwd, values.file);
  }
  const rule: Record<string, unknown> = {};
  const sources = new Map<RuleField, string>();
  const set = (field: RuleField, value: unknown, source: string) => {
    rule[field] = value;
    sources.set(field, source);
  };
  for (const [flag, field] of Object.entries(ADD_FLAG_FIELDS)) {
    const text = values[flag as keyof typeof ADD_FLAG_FIELDS];
    if (text !== undefined) set(field, fieldValue(field, text, `--${flag}`), `--${flag}`);
  }
  if (values.reply) set('replies', values.reply, '--reply');
  for (const [flag, [field, value]] of Object.entries(ADD_SWITCHES)) {
    if (values[flag as keyof typeof ADD_SWITCHES]) set(field, value, `--${flag}`);
  }
  for (const { field, value } of (values.set ?? []).map(parseAssignment)) set(field, value, `--set ${field}`);
  throwFlagProblems(flagProblems(rule, addWords(sources)));
  return rule;
}

/** `add`'s switches, and the field value each sets. */
const ADD_SWITCHES = {
  'mention-only': ['mentionOnly', true],
  'case-sensitive': ['caseSensitive', true],
  'no-stop': ['stop', false],
  disabled: ['enabled', false],
} as const satisfies Partial<Record<keyof typeof ADD_OPTIONS, readonly [RuleField, boolean]>>;

/** How `add` gives a field it lacks: the flag and its argument. */
const ADD_GIVE: Partial<Record<RuleField, string>> = {
  id: '--id ID',
  account: '--account A',
  match: '--match KIND',
  pattern: '--pattern P',
  keywords: '--keywords a,b',
  replies: '--reply TEXT',
  chatTypes: '--chat-types friend,group',
};

/** A rule from `add`'s flags, in their words: `missing --reply TEXT`, `--priority 5000000: ...`. */
function addWords(sources: ReadonlyMap<RuleField, string>): FlagWords {
  return {
    source: (field) => sources.get(field),
    give: (field) => ADD_GIVE[field] ?? `--set ${field}=VALUE`,
    matchKind: (kind) => (sources.get('match') === '--match' ? `--match ${kind}` : `match ${kind}`),
    missingHint: (field) => (field === 'replies' ? 'give --reply more than once for several' : undefined),
  };
}

/** A rule changed by `edit`'s `--set` and `--unset`: the rest is the stored rule. */
function editWords(sources: ReadonlyMap<RuleField, string>): FlagWords {
  const examples: Partial<Record<RuleField, string>> = {
    keywords: 'a,b',
    replies: 'TEXT',
    chatTypes: 'friend,group',
    pattern: 'P',
  };
  return {
    source: (field) => sources.get(field),
    give: (field) => `--set ${field}=${examples[field] ?? 'VALUE'}`,
    matchKind: (kind) => `match ${kind}`,
  };
}

/** A flag mistake: every problem at once, in the flags' words; nothing is written. */
function throwFlagProblems(problems: readonly string[]): void {
  if (problems.length === 1) throw new UsageError(problems[0]);
  if (problems.length > 1) {
    throw new UsageError(`${problems.length} problems, nothing written:\n  ${problems.join('\n  ')}`);
  }
}

const TEST_OPTIONS = {
  text: { type: 'string' },
  'chat-type': { type: 'string' },
  chat: { type: 'string' },
  sender: { type: 'string' },
  'sender-nick': { type: 'string' },
  account: { type: 'string' },
  'bot-nick': { type: 'string' },
  'bot-name': { type: 'string', multiple: true },
} as const;

function testMessage(values: {
  text?: string;
  'chat-type'?: string;
  chat?: string;
  sender?: string;
  'sender-nick'?: string;
  'bot-nick'?: string;
  'bot-name'?: string[];
}): Omit<IncomingMessage, 'account'> {
  if (values.text === undefined) throw new UsageError('test: --text is required (the message to try)');
  const chatType = values['chat-type'] ?? 'friend';
  if (!(CHAT_TYPES as readonly string[]).includes(chatType)) {
    throw new UsageError(`test: --chat-type is one of ${CHAT_TYPES.join(', ')}, not "${chatType}"`);
  }
  const sender = values.sender ?? (chatType === 'friend' ? values.chat : undefined);
  if (sender === undefined) throw new UsageError('test: --sender NAME is required (who says it)');
  const chatName = values.chat ?? (chatType === 'friend' ? sender : undefined);
  if (chatName === undefined) throw new UsageError(`test: --chat NAME is required for a ${chatType} chat`);
  const botNick = values['bot-nick'] ?? 'DemoBot';
  return {
    chatType: chatType as ChatType,
    chatName,
    senderName: sender,
    senderNick: values['sender-nick'] ?? sender,
    senderUin: 0,
    text: values.text,
    botNick,
    botNames: [botNick, ...(values['bot-name'] ?? [])],
  };
}

/** `test` without `--account`: the one account the table has rules for. */
async function onlyAccount(store: RuleStore): Promise<string> {
  const accounts = new Set<string>();
  for (const item of await store.list()) {
    const account = (item as { account?: unknown }).account;
    if (typeof account === 'string' && account !== ALL_ACCOUNTS) accounts.add(account);
  }
  if (accounts.size > 1) {
    throw new UsageError(
      `test: the table has rules for accounts ${[...accounts].sort().join(', ')}: say which with --account`,
    );
  }
  return [...accounts][0] ?? ALL_ACCOUNTS;
}

async function setEnabled(args: string[], io: CliIo, enabled: boolean): Promise<number> {
  const { values, account, id } = parse(args, {}, ['account', 'id']);
  if (values.help) return help(io);
  return withStore(values, io, async (store, warnIfUnknown) => {
    await warnIfUnknown([account]);
    await store.setEnabled(account, id, enabled);
    io.out(`${enabled ? 'enabled' : 'disabled'} rule "${id}" for account ${account}\n`);
    return 0;
  });
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The verb's flags and the location flags; `positionals` are required, by name. */
function parse<O extends Options, const P extends readonly string[]>(
  args: string[],
  options: O,
  positionals: P,
) {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...LOCATION_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as ParsedValues<typeof LOCATION_OPTIONS & O>;
  const named = {} as Record<P[number], string>;
  if (!values.help) {
    if (parsed.positionals.length !== positionals.length) {
      const wanted = positionals.length === 0 ? 'no arguments' : positionals.map((p) => `<${p}>`).join(' ');
      throw new UsageError(
        `expected ${wanted}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`,
      );
    }
    positionals.forEach((name, i) => {
      named[name as P[number]] = parsed.positionals[i] ?? '';
    });
  }
  return { values, ...named };
}

type ParsedValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { multiple: true }
    ? string[]
    : O[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

/** Prints a warning for each account that has neither a session nor a rule (see account-check.ts). */
type WarnIfUnknown = (accounts: readonly string[]) => Promise<void>;

async function withStore(
  flags: ParsedValues<typeof LOCATION_OPTIONS>,
  io: CliIo,
  use: (store: RuleStore, warnIfUnknown: WarnIfUnknown) => Promise<number>,
): Promise<number> {
  const {
    rules: location,
    sessionsTable,
    localAccount,
  } = await resolveTables(flags, io.projectDir, io.cloudFormation, io.env ?? process.env);
  const { client, doc } = createDynamoClients(location);
  const store = new DynamoRuleStore({ doc, tableName: location.tableName });
  const warnIfUnknown: WarnIfUnknown = async (accounts) => {
    const options = { rules: store, doc, sessionsTable, local: flags.local === true, localAccount };
    for (const line of await unknownAccountWarnings(accounts, options)) io.err(`${line}\n`);
  };
  try {
    return await use(store, warnIfUnknown);
  } catch (err) {
    throw isBadInput(err) ? err : new Error(`${describeLocation(location)}: ${failureText(err)}`);
  } finally {
    client.destroy();
  }
}

function describeLocation(location: TableLocation): string {
  return `table ${location.tableName}${location.endpoint ? ` at ${location.endpoint}` : location.region ? ` in ${location.region}` : ''}`;
}

function isBadInput(err: unknown): err is Error {
  return (
    err instanceof UsageError ||
    err instanceof RuleValidationError ||
    err instanceof RuleImportError ||
    err instanceof RuleNotFoundError ||
    err instanceof RuleExistsError
  );
}

function readJson(cwd: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
}

function help(io: CliIo): number {
  io.out(USAGE);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
