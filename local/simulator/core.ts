/**
 * The simulator's state, shared by the SmartQQ routes and the control API: the world, settings,
 * QR, logins and sessions, the poll hub, faults, what was sent, counters.
 */
import { Counters } from './counters.ts';
import { FaultBook } from './faults.ts';
import { SimulatorControlError } from './input.ts';
import { type AccountLogin, LoginRegistry, type Session } from './logins.ts';
import { PollHub } from './poll-hub.ts';
import { QrBoard, type QrCode } from './qr-board.ts';
import { SentLog } from './sent-log.ts';
import type { Settings } from './settings.ts';
import { Timers } from './timers.ts';
import type { Account, World } from './world.ts';

/** How long a bot may take from an allowed QR to its session (check_sig, login2). */
const LINKING_MS = 30_000;
export class SimulatorCore {
  /** When each account was last allowed on a QR (the automatic scan skips one still linking). */
  private readonly allowedAt = new Map<number, number>();
  readonly timers = new Timers();
  readonly counters = new Counters();
  readonly sent = new SentLog();
  readonly qr = new QrBoard();
  readonly faults: FaultBook;
  readonly hub: PollHub;
  readonly logins: LoginRegistry;
  private eventSeq = 0;

  constructor(
    readonly world: World,
    public settings: Settings,
    readonly log: (line: string) => void,
    endpoints: readonly string[],
  ) {
    this.faults = new FaultBook(endpoints);
    this.hub = new PollHub({
      counters: this.counters,
      timers: this.timers,
      holdMs: () => this.settings.pollHoldMs,
      isExpired: (session) => this.isExpired(session.login),
      log,
    });
    this.logins = new LoginRegistry((session, reason) => this.hub.end(session, reason));
  }

  now(): number {
    return Date.now();
  }

  nextEventKey(): string {
    this.eventSeq += 1;
    return `ev-${this.eventSeq}`;
  }

  isExpired(login: AccountLogin): boolean {
    return login.isExpired(this.now(), this.settings.sessionTtlMs);
  }

  /** False when the login has outlived its TTL; its session then ends ("expired"). */
  loginAlive(login: AccountLogin): boolean {
    if (!this.isExpired(login)) return true;
    const { session } = login.state;
    if (session?.login === login) this.hub.end(session, 'expired');
    return false;
  }

  /** The account's session that can receive events now, if any. */
  liveSession(qq: number): Session | undefined {
    const session = this.logins.stateOf(qq)?.session;
    if (!session || session.ended || !this.loginAlive(session.login)) return undefined;
    return session;
  }

  account(qq: number | undefined): Account {
    if (qq === undefined) return this.world.accounts[0] as Account;
    const account = this.world.account(qq);
    if (!account) throw new SimulatorControlError(404, 'unknown_account', `no account ${qq} in the world`);
    return account;
  }

  /**
   * A new QR, of the browser that asked (several may wait at once); with autoScanAfterMs it scans
   * and allows itself, for the first account of the world that is not logged in (a bot logging in
   * two accounts gets both).
   */
  showQr(previousQrsig?: string): QrCode {
    // The same browser's last QR, allowed but never linked: its bot turned that account down (scanned
    // by another owner), so that account is free again and not for this browser.
    const previous = this.qr.find(previousQrsig);
    const notFor = new Set(previous?.notFor);
    if (previous?.status === 'confirmed' && previous.login && !previous.login.checkSigDone) {
      notFor.add(previous.login.account.qq);
      this.allowedAt.delete(previous.login.account.qq);
    }
    const qr = this.qr.create(this.now(), notFor);
    this.log('login: QR shown');
    const auto = this.settings.autoScanAfterMs;
    if (auto !== null) {
      const still = (status: string) => {
        this.qr.expireIfOld(qr, this.now(), this.settings.qrTtlMs);
        return qr.status === status;
      };
      this.timers.after(auto / 2, () => {
        if (still('waiting')) this.actOnQr('scan', undefined, qr);
      });
      this.timers.after(auto, () => {
        if (still('waiting') || still('scanned')) this.actOnQr('allow', this.accountToAllow(qr)?.qq, qr);
      });
    }
    return qr;
  }

  /**
   * For the automatic scan: the first account with no live session that was not allowed on another
   * QR moments ago (its bot is linking), nor one this browser turned down; the first account when every one is taken.
   */
  private accountToAllow(qr: QrCode): Account | undefined {
    const now = this.now();
    const candidates = this.world.accounts.filter((account) => !qr.notFor.has(account.qq));
    return candidates.find((account) => {
      const allowed = this.allowedAt.get(account.qq);
      return !this.liveSession(account.qq) && (allowed === undefined || now - allowed > LINKING_MS);
    });
  }

  actOnQr(action: 'scan' | 'allow' | 'expire', accountQq?: number, which?: QrCode): QrCode {
    const account = this.account(accountQq);
    const qr = this.qr.act(action, this.now(), this.settings.qrTtlMs, which);
    if (action === 'allow') {
      this.allowedAt.set(account.qq, this.now());
      qr.login = this.logins.create(account, this.now(), this.settings.era.ptwebqqEmpty);
      qr.status = 'confirmed';
      this.log(`login: QR allowed for ${account.qq} (${account.nick})`);
    } else {
      this.log(`login: QR ${action === 'scan' ? 'scanned' : 'expired'}`);
    }
    return qr;
  }

  close(): void {
    this.timers.cancelAll();
  }
}
