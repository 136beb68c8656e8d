/**
 * The warning for an account nobody seems to use: rules for a mistyped QQ number are accepted (no
 * bot ever answers with them) and nothing would say so. Only a warning: rules may well be added
 * before the account's first login. An account is known when it has a session record (the Sessions
 * table, when the CLI can tell which it is) or at least one rule of its own.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ALL_ACCOUNTS } from '../rules/model.ts';
import type { RuleStore } from '../stores/rule-store.ts';
import { DynamoSessionStore } from '../stores/session-store.ts';
import { failureText } from './failure-text.ts';

export interface AccountCheckOptions {
  readonly rules: RuleStore;
  readonly doc: DynamoDBDocumentClient;
  /** The Sessions table; without it only the rules are looked at. */
  readonly sessionsTable?: string | undefined;
  /** The tables are the local runtime's (`--local`): its account is named as such. */
  readonly local?: boolean;
  /** The local runtime's account, when its runtime file names it: known, whatever the tables hold. */
  readonly localAccount?: string | undefined;
}

/** How many accounts a hint names before it stops. */
const HINT_ACCOUNTS = 5;

/**
 * A warning line (no newline) for each of `accounts` (`*` aside) that has neither a session nor a
 * rule. Reads only.
 */
export async function unknownAccountWarnings(
  accounts: Iterable<string>,
  options: AccountCheckOptions,
): Promise<string[]> {
  const { rules, doc, sessionsTable } = options;
  const sessions =
    sessionsTable === undefined ? undefined : new DynamoSessionStore({ doc, tableName: sessionsTable });
  const warnings: string[] = [];
  let sessionsReadable = sessions !== undefined;
  const unknown: string[] = [];
  for (const account of new Set(accounts)) {
    if (account === ALL_ACCOUNTS || account === options.localAccount) continue;
    if ((await rules.list(account)).some((item) => accountOf(item) === account)) continue;
    if (sessions && sessionsReadable) {
      try {
        if ((await sessions.get(account)) !== undefined) continue;
      } catch (err) {
        sessionsReadable = false;
        warnings.push(
          `warning: cannot read the sessions table ${sessionsTable} (${failureText(err)}): accounts checked against the rules only`,
        );
      }
    }
    unknown.push(account);
  }
  if (unknown.length === 0) return warnings;
  // Only a hint: a table that may not be scanned (IAM) leaves it out, and the command goes on.
  const hint = await knownAccountsHint(options, sessionsReadable).catch(() => '');
  for (const account of unknown) {
    const has = sessionsReadable ? 'no session and no rules' : 'no rules';
    warnings.push(`warning: account ${account} has ${has} yet — is the number right?${hint}`);
  }
  return warnings;
}

/** The accounts that do exist, to compare the number with: those with a session, else with rules. */
async function knownAccountsHint(options: AccountCheckOptions, sessionsReadable: boolean): Promise<string> {
  if (options.localAccount !== undefined) return ` (the local runtime's account is ${options.localAccount})`;
  if (sessionsReadable && options.sessionsTable !== undefined) {
    const withSession = await sessionAccounts(options.doc, options.sessionsTable);
    if (withSession.length === 1 && options.local)
      return ` (the local runtime's account is ${withSession[0]})`;
    if (withSession.length > 0) return ` (${accountList(withSession)} with a session)`;
  }
  const withRules = new Set<string>();
  for (const item of await options.rules.list()) {
    const account = accountOf(item);
    if (account !== undefined && account !== ALL_ACCOUNTS) withRules.add(account);
  }
  return withRules.size > 0 ? ` (${accountList([...withRules])} with rules)` : '';
}

/** The accounts with a session record: only the key and the version are read, never the session. */
async function sessionAccounts(doc: DynamoDBDocumentClient, tableName: string): Promise<string[]> {
  const accounts: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#account, #version',
        ExpressionAttributeNames: { '#account': 'account', '#version': 'version' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      // An item a lease or a msg_id made before any session state has no version: not a session.
      if (typeof item.account === 'string' && typeof item.version === 'number') accounts.push(item.account);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return accounts;
}

function accountList(accounts: string[]): string {
  const sorted = [...accounts].sort();
  const named = sorted.slice(0, HINT_ACCOUNTS).join(', ');
  const more = sorted.length > HINT_ACCOUNTS ? `, and ${sorted.length - HINT_ACCOUNTS} more` : '';
  return `${sorted.length === 1 ? 'account' : 'accounts'} ${named}${more}`;
}

function accountOf(item: unknown): string | undefined {
  const account = (item as { account?: unknown } | null)?.account;
  return typeof account === 'string' ? account : undefined;
}
