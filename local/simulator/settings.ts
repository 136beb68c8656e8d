/**
 * Run-time settings: timings and the protocol "era" (PROTOCOL.md: where the real behaviour changed
 * over the years, the simulator makes the era a setting). Changeable while running.
 */
import { booleanAt, intAt, type JsonObject, objectAt, oneOf, onlyKeys, optional } from './input.ts';

export const EMPTY_POLL_ERAS = ['504', '502', '102', 'errmsg', '100012', 'retmsg'] as const;
export type EmptyPollEra = (typeof EMPTY_POLL_ERAS)[number];
export const SEND_OK_ERAS = ['errCode', 'retcode'] as const;
export type SendOkEra = (typeof SEND_OK_ERAS)[number];

export interface Era {
  /** How an empty poll2 hold ends (PROTOCOL.md §4). */
  readonly emptyPoll: EmptyPollEra;
  /** `{"errCode":0,"msg":"send ok"}` (2015–2017) or `{"retcode":0,"result":"ok"}` (later). */
  readonly sendOk: SendOkEra;
  /** Late era: ptqrlogin sets `ptwebqq` to the empty string. */
  readonly ptwebqqEmpty: boolean;
  /** send_discu_msg2 answers `{"retcode":100100}` (delivered) instead of the sendOk body. */
  readonly discuSend100100: boolean;
}

export interface Settings {
  readonly era: Era;
  readonly pollHoldMs: number;
  readonly qrTtlMs: number;
  readonly sessionTtlMs: number;
  /** When set, each new QR is scanned after half this delay and allowed after all of it. */
  readonly autoScanAfterMs: number | null;
}

export interface SettingsInput {
  era?: Partial<Era>;
  pollHoldMs?: number;
  qrTtlMs?: number;
  sessionTtlMs?: number;
  autoScanAfterMs?: number | null;
}

export const DEFAULT_SETTINGS: Settings = {
  era: { emptyPoll: 'errmsg', sendOk: 'errCode', ptwebqqEmpty: false, discuSend100100: false },
  pollHoldMs: 60_000,
  qrTtlMs: 120_000,
  sessionTtlMs: 48 * 3600_000,
  autoScanAfterMs: null,
};

const DAY_MS = 24 * 3600_000;

/** Validates a (partial) settings object and returns the settings it leads to. */
export function applySettings(current: Settings, raw: unknown, field = ''): Settings {
  const input = objectAt(raw, field || 'settings');
  onlyKeys(input, field, ['era', 'pollHoldMs', 'qrTtlMs', 'sessionTtlMs', 'autoScanAfterMs']);
  const ms = (r: unknown, f: string) => intAt(r, f, 0, 30 * DAY_MS);
  const era = optional(input, 'era', field, (r, f) => applyEra(current.era, r, f)) ?? current.era;
  const autoScan = optional(input, 'autoScanAfterMs', field, (r, f) => (r === null ? null : ms(r, f)));
  return {
    era,
    pollHoldMs: optional(input, 'pollHoldMs', field, ms) ?? current.pollHoldMs,
    qrTtlMs: optional(input, 'qrTtlMs', field, ms) ?? current.qrTtlMs,
    sessionTtlMs: optional(input, 'sessionTtlMs', field, ms) ?? current.sessionTtlMs,
    autoScanAfterMs: autoScan === undefined ? current.autoScanAfterMs : autoScan,
  };
}

function applyEra(current: Era, raw: unknown, field: string): Era {
  const input: JsonObject = objectAt(raw, field);
  onlyKeys(input, field, ['emptyPoll', 'sendOk', 'ptwebqqEmpty', 'discuSend100100']);
  return {
    emptyPoll:
      optional(input, 'emptyPoll', field, (r, f) => oneOf(r, f, EMPTY_POLL_ERAS)) ?? current.emptyPoll,
    sendOk: optional(input, 'sendOk', field, (r, f) => oneOf(r, f, SEND_OK_ERAS)) ?? current.sendOk,
    ptwebqqEmpty: optional(input, 'ptwebqqEmpty', field, booleanAt) ?? current.ptwebqqEmpty,
    discuSend100100: optional(input, 'discuSend100100', field, booleanAt) ?? current.discuSend100100,
  };
}
