/**
 * Logins and sessions. A login is what a QR scan creates for an account (its cookies, ptwebqq,
 * vfwebqq; it lives sessionTtlMs; several may be valid at once). A session is what each login2
 * opens (psessionid, fresh contact ids, the event queue): one live session per account, a new one
 * ends the previous ("replaced", answered 121: logged in elsewhere).
 */
import { ContactIds } from './contact-ids.ts';
import type { QueuedEvent } from './events.ts';
import { buildPsessionid, randomHex, randomId, randomToken } from './tokens.ts';
import type { Account } from './world.ts';

export type SessionEnd = 'replaced' | 'kicked' | 'expired';

/** A conversation, as named in the world (ids change per session, names do not). */
export type ConversationRef =
  | { readonly kind: 'friend'; readonly qq: number }
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'discussion'; readonly name: string };

export function conversationKey(ref: ConversationRef): string {
  return ref.kind === 'friend' ? `friend:${ref.qq}` : `${ref.kind}:${ref.name}`;
}

/**
 * What an account has whatever login it came through: its web session (one at a time: a login2
 * from any login ends the previous one, "logged in elsewhere"), the ids of that session, the
 * conversations with activity.
 */
export class AccountState {
  ids: ContactIds;
  session: Session | undefined;
  readonly logins: AccountLogin[] = [];
  /** Conversations with activity, most recent last (for get_recent_list2). */
  readonly recent: ConversationRef[] = [];

  constructor(readonly account: Account) {
    this.ids = new ContactIds(account);
  }

  touch(ref: ConversationRef): void {
    const key = conversationKey(ref);
    const at = this.recent.findIndex((r) => conversationKey(r) === key);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.push(ref);
  }
}

/** One QR login: the cookies it set and its ptwebqq/vfwebqq; it lives sessionTtlMs. */
export class AccountLogin {
  ptwebqq: string;
  readonly vfwebqq = randomHex(40);
  readonly skey = `@${randomToken(9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
  readonly pSkey = `${randomToken(44)}_`;
  readonly pt4Token = `${randomToken(43)}_`;
  readonly superkey = randomToken(48);
  readonly supertoken = String(randomId(new Set()));
  readonly ptsigx = randomHex(64);
  /** check_sig was answered: the p_skey cookie is now the client's. */
  checkSigDone = false;
  expiredByControl = false;

  constructor(
    readonly state: AccountState,
    readonly createdAt: number,
    ptwebqqEmpty: boolean,
  ) {
    this.ptwebqq = ptwebqqEmpty ? '' : randomHex(32);
  }

  get account(): Account {
    return this.state.account;
  }

  /** The ids of the account's current session. */
  get ids(): ContactIds {
    return this.state.ids;
  }

  isExpired(now: number, ttlMs: number): boolean {
    return this.expiredByControl || now - this.createdAt >= ttlMs;
  }
}

export class Session {
  readonly queue: QueuedEvent[] = [];
  registered = false;
  ended: SessionEnd | undefined;
  lastDelivered: QueuedEvent | undefined;
  /** msg_id counters per conversation, all from one base, so two conversations share msg_ids (docs/protocol.md §4). */
  private readonly msgIds = new Map<string, number>();
  private readonly msgIdBase = 10_000 + Math.floor(Math.random() * 40_000);

  constructor(
    readonly psessionid: string,
    readonly login: AccountLogin,
    readonly ids: ContactIds,
    readonly startedAt: number,
    /** The vfwebqq login2 answers (and embeds in the psessionid); clients ignore it, so does the server. */
    readonly login2Vfwebqq: string,
  ) {}

  nextMsgId(conversation: string): number {
    const next = (this.msgIds.get(conversation) ?? this.msgIdBase) + 1;
    this.msgIds.set(conversation, next);
    return next;
  }
}

export class LoginRegistry {
  private readonly states = new Map<number, AccountState>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly endSession: (session: Session, reason: SessionEnd) => void) {}

  state(account: Account): AccountState {
    let state = this.states.get(account.qq);
    if (!state) {
      state = new AccountState(account);
      this.states.set(account.qq, state);
    }
    return state;
  }

  /** A new login for the account (a QR was allowed). Earlier logins stay valid until their TTL. */
  create(account: Account, now: number, ptwebqqEmpty: boolean): AccountLogin {
    const state = this.state(account);
    const login = new AccountLogin(state, now, ptwebqqEmpty);
    state.logins.push(login);
    return login;
  }

  stateOf(qq: number): AccountState | undefined {
    return this.states.get(qq);
  }

  /** The login whose cookies these are. */
  find(qq: number, skey: string | undefined): AccountLogin | undefined {
    return this.states.get(qq)?.logins.find((l) => l.skey === skey);
  }

  byPtsigx(ptsigx: string): AccountLogin | undefined {
    for (const state of this.states.values()) {
      const login = state.logins.find((l) => l.ptsigx === ptsigx);
      if (login) return login;
    }
    return undefined;
  }

  /** login2: a new psessionid and new ids; the account's previous session is over ("replaced"). */
  openSession(login: AccountLogin, now: number): Session {
    const { state } = login;
    if (state.session) this.endSession(state.session, 'replaced');
    state.ids = new ContactIds(state.account, state.ids);
    const login2Vfwebqq = randomHex(40);
    const psessionid = buildPsessionid(state.account.qq, login.skey, login2Vfwebqq);
    const session = new Session(psessionid, login, state.ids, now, login2Vfwebqq);
    state.session = session;
    this.sessions.set(psessionid, session);
    return session;
  }

  session(psessionid: string): Session | undefined {
    return this.sessions.get(psessionid);
  }
}
