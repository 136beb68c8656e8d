/**
 * Which accounts a deployment serves, and in what state: pure rules over the account registry
 * (one small item, `lib/stores/account-registry.ts`) and the accounts the deployment was configured
 * with (`ACCOUNTS`, the stack's `accounts` context).
 *
 * The configured accounts are served unless the registry says otherwise, so a redeploy that names
 * a new account serves it at once; the registry adds accounts (`npm run accounts -- add`, `POST
 * /v1/accounts`), pauses and resumes them, and removes them — the removal of a configured account
 * is kept, so it stays removed through redeploys until it is added again.
 *
 * Paused: not polled (a running poller lets it go within a poll cycle); what was already received
 * is still answered, and the send API refuses to send for it. Removed: as paused, and no longer
 * listed; its session, rules and member lists stay where they are (adding it again picks them up).
 */
import type { OneBotMode, PostMessageFormat } from '../onebot/post.ts';
import { QQ_NUMBER_PATTERN } from '../send-api/errors.ts';

export type AccountStatus = 'active' | 'paused' | 'removed';

export interface RegistryEntry {
  readonly status: AccountStatus;
  /** When the status was set (ms since the epoch). */
  readonly since: number;
  /** This account's OneBot bot, over the deployment's (ONEBOT_*): `lib/onebot/quick-reply.ts`. */
  readonly onebot?: AccountOneBot;
}

/**
 * An account's own OneBot bot: where its events are posted, and which answers (`rules_first`,
 * `onebot_only`, `both`) in which message format. `postUrl: null` turns the deployment's bot off for
 * this account.
 */
export interface AccountOneBot {
  readonly postUrl: string | null;
  readonly mode?: OneBotMode;
  readonly format?: PostMessageFormat;
}

/** The registry's entries by QQ number: only accounts someone added, paused, resumed or removed. */
export type Registry = Readonly<Record<string, RegistryEntry>>;

/** One served account, as listed. */
export interface ServedAccount {
  readonly account: string;
  readonly status: 'active' | 'paused';
  /** Named by the deployment's configuration (ACCOUNTS), rather than added to the registry. */
  readonly configured: boolean;
  /** When the registry last changed it; absent for a configured account it never changed. */
  readonly since?: number;
  /** Its own OneBot bot, when it has one (else the deployment's, if any). */
  readonly onebot?: AccountOneBot;
}

export type AccountAction = 'add' | 'pause' | 'resume' | 'remove';

/**
 * The most accounts one deployment serves: the registry is one item (about 60 bytes an account, well
 * under DynamoDB's 400 KB), and a hundred shards of a hundred accounts is already a large fleet.
 */
export const MAX_ACCOUNTS = 2_000;

/** A change the registry cannot make: `problem` says which (the send API maps it to a status). */
export class AccountChangeError extends Error {
  override readonly name = 'AccountChangeError';
  constructor(
    readonly problem: 'not_a_qq_number' | 'unknown_account' | 'too_many_accounts',
    message: string,
  ) {
    super(message);
  }
}

/** The served accounts: the configured ones first, in their order, then the added ones by number. */
export function servedAccounts(configured: readonly string[], registry: Registry): ServedAccount[] {
  const configuredSet = new Set(configured);
  const added = Object.keys(registry)
    .filter((account) => !configuredSet.has(account))
    .sort(byNumber);
  const served: ServedAccount[] = [];
  for (const account of [...new Set(configured), ...added]) {
    const entry = registry[account];
    if (entry?.status === 'removed') continue;
    served.push({
      account,
      status: entry?.status ?? 'active',
      configured: configuredSet.has(account),
      ...(entry ? { since: entry.since } : {}),
      ...(entry?.onebot ? { onebot: entry.onebot } : {}),
    });
  }
  return served;
}

/** The accounts to poll and to send for: served and not paused. */
export function activeAccounts(configured: readonly string[], registry: Registry): string[] {
  return servedAccounts(configured, registry)
    .filter((served) => served.status === 'active')
    .map((served) => served.account);
}

/**
 * The registry after `action` on `account`. Adding an account served already, pausing a paused one
 * or resuming an active one changes nothing (the same registry is returned); pausing, resuming or
 * removing an account that is not served is an error, as is a number that is not a QQ number.
 */
export function changeRegistry(
  configured: readonly string[],
  registry: Registry,
  action: AccountAction,
  account: string,
  nowMs: number,
): Registry {
  if (!QQ_NUMBER_PATTERN.test(account)) {
    throw new AccountChangeError(
      'not_a_qq_number',
      'account: expected a QQ number (5 to 12 digits, not starting with 0)',
    );
  }
  const current = servedAccounts(configured, registry).find((served) => served.account === account);
  // A status change keeps the account's OneBot bot.
  const set = (status: AccountStatus): Registry => ({
    ...registry,
    [account]: {
      status,
      since: nowMs,
      ...(registry[account]?.onebot ? { onebot: registry[account].onebot } : {}),
    },
  });
  if (action === 'add') {
    if (current) return registry;
    if (servedAccounts(configured, registry).length >= MAX_ACCOUNTS) {
      throw new AccountChangeError(
        'too_many_accounts',
        `a deployment serves at most ${MAX_ACCOUNTS} accounts: remove one first`,
      );
    }
    return set('active');
  }
  if (!current) throw new AccountChangeError('unknown_account', `account ${account} is not served here`);
  if (action === 'remove') {
    if (current.configured) return set('removed');
    // Added here only: forgotten, so removed accounts never fill the item.
    const { [account]: _removed, ...rest } = registry;
    return rest;
  }
  const wanted = action === 'pause' ? 'paused' : 'active';
  return current.status === wanted ? registry : set(wanted);
}

function byNumber(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The registry with `account`'s own OneBot bot set (`undefined`: back to the deployment's). The
 * account must be served; its status stays as it is.
 */
export function setAccountOneBot(
  configured: readonly string[],
  registry: Registry,
  account: string,
  onebot: AccountOneBot | undefined,
  nowMs: number,
): Registry {
  const current = servedAccounts(configured, registry).find((served) => served.account === account);
  if (!current) throw new AccountChangeError('unknown_account', `account ${account} is not served here`);
  const { onebot: _old, ...entry } = registry[account] ?? { status: current.status, since: nowMs };
  return { ...registry, [account]: onebot ? { ...entry, onebot } : entry };
}
