/**
 * The control API, as methods: what tests call directly on a Simulator and what the `/_sim/`
 * HTTP routes call with the JSON they were given. Inputs are validated here, once for both.
 */
import type { SimulatorCore } from './core.ts';
import type { CountersSnapshot } from './counters.ts';
import type { FaultSpec, FaultView } from './faults.ts';
import {
  type EventInput,
  type InjectResult,
  injectEvent,
  injectMessage,
  type MessageInput,
} from './injection.ts';
import { objectAt, oneOf, onlyKeys, optional, qqAt, SimulatorControlError } from './input.ts';
import type { QrStatus } from './qr-board.ts';
import type { SentRecord } from './sent-log.ts';
import { applySettings, type Settings, type SettingsInput } from './settings.ts';

export interface AccountView {
  qq: number;
  nick: string;
  /** A QR login exists and has not expired. */
  loggedIn: boolean;
  /** It has a live session (login2 done, not kicked, replaced or expired). */
  online: boolean;
  /** get_online_buddies2 was called for the live session (else poll2 answers 103). */
  registered: boolean;
  polling: boolean;
  queued: number;
  loginAgeMs: number | null;
  sessionAgeMs: number | null;
  /** How the last session ended, when it did. */
  sessionEnded: string | null;
}

export interface SimulatorState {
  accounts: AccountView[];
  qr: { status: QrStatus; ageMs: number; account: number | null } | null;
  settings: Settings;
}

/** The current ids of an account's contacts, by name: what a test needs to check what a client used. */
export interface ContactsSnapshot {
  account: number;
  /** The account's uin in its groups' and discussions' member lists. */
  selfMemberUin: number;
  /** The send_uin of the echo of its own group/discussion sends: in no member list (docs/protocol.md §4, §7). */
  echoUin: number;
  friends: Array<{ qq: number; nick: string; markname: string | null; uin: number }>;
  groups: Array<{ name: string; gid: number; code: number }>;
  discussions: Array<{ name: string; did: number }>;
}

export type QrAction = 'scan' | 'allow' | 'expire';

export class SimulatorControl {
  constructor(protected readonly core: SimulatorCore) {}

  state(): SimulatorState {
    const { core } = this;
    const now = core.now();
    const qr = core.qr.current(now, core.settings.qrTtlMs);
    return {
      accounts: core.world.accounts.map((account): AccountView => {
        const state = core.logins.stateOf(account.qq);
        const login = state?.logins.at(-1);
        const loggedIn = state?.logins.some((l) => core.loginAlive(l)) ?? false;
        const session = state?.session;
        const live = session !== undefined && core.liveSession(account.qq) === session;
        return {
          qq: account.qq,
          nick: account.nick,
          loggedIn,
          online: live,
          registered: live && session.registered,
          polling: live && core.hub.isPolling(session),
          queued: live ? session.queue.length : 0,
          loginAgeMs: login ? now - login.createdAt : null,
          sessionAgeMs: session ? now - session.startedAt : null,
          sessionEnded: session?.ended ?? null,
        };
      }),
      qr: qr ? { status: qr.status, ageMs: now - qr.createdAt, account: qr.login?.account.qq ?? null } : null,
      settings: core.settings,
    };
  }

  /** `account` as a number, or a numeric string (from a query string). */
  contacts(account?: number | string): ContactsSnapshot {
    const { core } = this;
    const acc = core.account(account === undefined ? undefined : qqAt(account, 'account'));
    const state = core.logins.stateOf(acc.qq);
    if (!state)
      throw new SimulatorControlError(409, 'account_offline', `account ${acc.qq} has not logged in`);
    const ids = state.ids;
    return {
      account: acc.qq,
      selfMemberUin: ids.selfMemberUin,
      echoUin: ids.echoUin,
      friends: acc.friends.map((f) => ({
        qq: f.qq,
        nick: core.world.person(f.qq)?.nick ?? '',
        markname: f.markname ?? null,
        uin: ids.uin(f.qq),
      })),
      groups: acc.groups.map((g) => ({ name: g.name, ...ids.group(g) })),
      discussions: acc.discussions.map((d) => ({ name: d.name, did: ids.did(d) })),
    };
  }

  /** Acts on the current QR as the phone would; `allow` logs in `account` (default: the first). */
  qr(action: QrAction, account?: number): SimulatorState['qr'] {
    this.qrFromInput({ action, account });
    return this.state().qr;
  }

  qrFromInput(raw: unknown): SimulatorState['qr'] {
    const input = objectAt(raw, 'body');
    onlyKeys(input, '', ['action', 'account']);
    const action = oneOf(input.action, 'action', ['scan', 'allow', 'expire'] as const);
    this.core.actOnQr(action, optional(input, 'account', '', qqAt));
    return this.state().qr;
  }

  injectMessage(input: MessageInput): InjectResult {
    return injectMessage(this.core, input);
  }

  injectEvent(input: EventInput): InjectResult {
    return injectEvent(this.core, input);
  }

  /** Queues a kick_message; once it is delivered the session is over (poll2 → 121), relink still works. */
  kick(account?: number): InjectResult {
    return injectEvent(this.core, { poll_type: 'kick_message', ...(account !== undefined && { account }) });
  }

  /** Ends the account's logins now, as their TTL would: poll2 → 100001, getvfwebqq → 100000 (QR needed). */
  expireSession(account?: number): { expired: true } {
    const { core } = this;
    const acc = core.account(account === undefined ? undefined : qqAt(account, 'account'));
    const logins = core.logins.stateOf(acc.qq)?.logins ?? [];
    if (logins.length === 0) {
      throw new SimulatorControlError(409, 'account_offline', `account ${acc.qq} has not logged in`);
    }
    for (const login of logins) {
      login.expiredByControl = true;
      core.loginAlive(login);
    }
    core.log(`control: login of ${acc.qq} expired`);
    return { expired: true };
  }

  sent(): SentRecord[] {
    return this.core.sent.list();
  }

  clearSent(): void {
    this.core.sent.clear();
  }

  /** One fault, or `{ faults: [...] }`. */
  addFaults(input: FaultSpec | { faults: FaultSpec[] }): FaultView[] {
    return this.core.faults.add(input);
  }

  faults(): FaultView[] {
    return this.core.faults.list();
  }

  clearFaults(): void {
    this.core.faults.clear();
  }

  settings(): Settings {
    return this.core.settings;
  }

  /** `{ era: "2017-10" }` (a preset: the supported way), `{ echo: false }`, timings; see settings.ts. */
  updateSettings(input: SettingsInput): Settings {
    this.core.settings = applySettings(this.core.settings, input);
    return this.core.settings;
  }

  counters(): CountersSnapshot {
    const queued = this.core.world.accounts.reduce(
      (n, a) => n + (this.core.liveSession(a.qq)?.queue.length ?? 0),
      0,
    );
    return { ...this.core.counters.values, eventsQueued: queued };
  }

  resetCounters(): void {
    this.core.counters.reset();
  }

  /** The account a control body names (for kick / expire-session bodies). */
  static accountOf(raw: unknown): number | undefined {
    const input = objectAt(raw, 'body');
    onlyKeys(input, '', ['account']);
    return optional(input, 'account', '', qqAt);
  }
}
