/**
 * Run-time settings: timings and the protocol "era" (docs/protocol.md: where the real behaviour
 * changed over the years, the simulator makes the era a setting). Changeable while running.
 *
 * An era is chosen as a named preset (`{ "era": "2017-10" }`): each preset is a moment the real
 * service had, so its answers go together (no errCode send body with the 2017-10 empty poll, §7).
 * The detailed object form (`{ "era": { "emptyPoll": "504" } }`) still works, for tests that need
 * one variant on its own; it is not a moment the service had, and `eraPreset` then reads null.
 * The evidence for each preset is next to it below and in local/simulator/README.md.
 */
import {
  booleanAt,
  intAt,
  type JsonObject,
  objectAt,
  oneOf,
  onlyKeys,
  optional,
  SimulatorInputError,
} from './input.ts';

export const EMPTY_POLL_ERAS = ['504', '502', '102', 'errmsg', '100012', 'retmsg'] as const;
export type EmptyPollEra = (typeof EMPTY_POLL_ERAS)[number];
export const SEND_OK_ERAS = ['errCode', 'retcode'] as const;
export type SendOkEra = (typeof SEND_OK_ERAS)[number];
/** Who the echo of the bot's own group/discussion send comes from. */
export const ECHO_SEND_UINS = ['virtual', 'member'] as const;
export type EchoSendUin = (typeof ECHO_SEND_UINS)[number];

export interface Era {
  /** How an empty poll2 hold ends (docs/protocol.md §4). */
  readonly emptyPoll: EmptyPollEra;
  /** `{"errCode":0,"msg":"send ok"}` (2015-12…2017-09) or `{"retcode":0,"result":"ok"}` (2017-09 on). */
  readonly sendOk: SendOkEra;
  /** ptqrlogin sets `ptwebqq` to the empty string (what late clients sent, §2, §4). */
  readonly ptwebqqEmpty: boolean;
  /** send_discu_msg2 answers `{"errmsg":"error!!!","retcode":100100}` (delivered) instead of the sendOk body. */
  readonly discuSend100100: boolean;
  /** The bot's own group/discussion sends come back through poll2 (since 2017-05, §4, §7). */
  readonly echo: boolean;
}

export const ERA_PRESET_NAMES = ['2015', '2017-05', '2017-10', '2018'] as const;
export type EraPresetName = (typeof ERA_PRESET_NAMES)[number];

/**
 * The moments the real service had. Only what docs/protocol.md dates (or rules out) decides a
 * field; where it leaves a date open the choice is said, with the public thread that backs it.
 */
export const ERA_PRESETS: Readonly<Record<EraPresetName, Era>> = {
  /**
   * 2015-12 … 2017-04. Sends answered `{"errCode":0,"msg":"send ok"}` (§5, §7: 2015-12…2017-09).
   * No echo of own messages yet (§7: since 2017-05). Empty poll: an nginx 504 after the hold (§4
   * lists "HTTP 504 or 502"; the 102 body is old WebQQ, before d1.web2; pandolia/qqbot#70,
   * 2017-03: "no unread message: poll blocks 1 minute, then 504").
   */
  '2015': { emptyPoll: '504', sendOk: 'errCode', ptwebqqEmpty: false, discuSend100100: false, echo: false },
  /**
   * 2017-05 … 2017-09. As 2015, plus own group/discussion messages echoed through poll (§4, §7).
   * errCode sends still (§7: until 2017-09), so not yet the 2017-10 empty poll (§7: no moment had both).
   */
  '2017-05': { emptyPoll: '504', sendOk: 'errCode', ptwebqqEmpty: false, discuSend100100: false, echo: true },
  /**
   * 2017-10 … 2017-12, the default. Sends answered with a `retcode:0` body (§5, §7: from 2017-09),
   * the empty hold ends `{"errmsg":"error","retcode":0}` (§4; §7 "the default (2017-10+ empty
   * poll) pairs with retcode:0"), echo on.
   */
  '2017-10': {
    emptyPoll: 'errmsg',
    sendOk: 'retcode',
    ptwebqqEmpty: false,
    discuSend100100: false,
    echo: true,
  },
  /**
   * 2018-01 … 2019-01. Empty poll `{"retcode":100012,...}` (§4: "2018, benign"), retcode:0 sends,
   * echo on. ptwebqq empty: late clients sent `""` as ptwebqq (§2, §4) and were served, which a
   * server holding a non-empty ptwebqq would have refused; with it empty, clients that read the
   * cookie and clients that send `""` both work. 100100 on discussion sends is not dated by §4 (the
   * threads that show it are of 2017-01…03: pandolia/qqbot#29, b3log/xiaov#27): off here.
   */
  '2018': { emptyPoll: '100012', sendOk: 'retcode', ptwebqqEmpty: true, discuSend100100: false, echo: true },
};

export const DEFAULT_ERA_PRESET: EraPresetName = '2017-10';

export interface Settings {
  /** The preset the era equals, or null when details were set that no preset has. */
  readonly eraPreset: EraPresetName | null;
  readonly era: Era;
  /**
   * send_uin of the echo: `virtual` (the default, as the real server: a number in no member list,
   * random but fixed for the session, §4, §7) or `member` (the bot's own listed member uin: the
   * simulator's old form, for tests).
   */
  readonly echoSendUin: EchoSendUin;
  readonly pollHoldMs: number;
  readonly qrTtlMs: number;
  readonly sessionTtlMs: number;
  /** When set, each new QR is scanned after half this delay and allowed after all of it. */
  readonly autoScanAfterMs: number | null;
}

export interface SettingsInput {
  /** A preset name (the supported way), or single era details over the current era (for tests). */
  era?: EraPresetName | Partial<Era>;
  /** Turns the echo of own group/discussion sends on or off, whatever the era says. */
  echo?: boolean;
  echoSendUin?: EchoSendUin;
  pollHoldMs?: number;
  qrTtlMs?: number;
  sessionTtlMs?: number;
  autoScanAfterMs?: number | null;
}

export const DEFAULT_SETTINGS: Settings = {
  eraPreset: DEFAULT_ERA_PRESET,
  era: ERA_PRESETS[DEFAULT_ERA_PRESET],
  echoSendUin: 'virtual',
  pollHoldMs: 60_000,
  qrTtlMs: 120_000,
  sessionTtlMs: 48 * 3600_000,
  autoScanAfterMs: null,
};

const DAY_MS = 24 * 3600_000;
const ERA_KEYS = ['emptyPoll', 'sendOk', 'ptwebqqEmpty', 'discuSend100100', 'echo'] as const;

/** Validates a (partial) settings object and returns the settings it leads to. */
export function applySettings(current: Settings, raw: unknown, field = ''): Settings {
  const input = objectAt(raw, field || 'settings');
  onlyKeys(input, field, [
    'era',
    'echo',
    'echoSendUin',
    'pollHoldMs',
    'qrTtlMs',
    'sessionTtlMs',
    'autoScanAfterMs',
  ]);
  const ms = (r: unknown, f: string) => intAt(r, f, 0, 30 * DAY_MS);
  let era = optional(input, 'era', field, (r, f) => applyEra(current.era, r, f)) ?? current.era;
  const echo = optional(input, 'echo', field, booleanAt);
  if (echo !== undefined) era = { ...era, echo };
  const autoScan = optional(input, 'autoScanAfterMs', field, (r, f) => (r === null ? null : ms(r, f)));
  return {
    eraPreset: presetOf(era),
    era,
    echoSendUin:
      optional(input, 'echoSendUin', field, (r, f) => oneOf(r, f, ECHO_SEND_UINS)) ?? current.echoSendUin,
    pollHoldMs: optional(input, 'pollHoldMs', field, ms) ?? current.pollHoldMs,
    qrTtlMs: optional(input, 'qrTtlMs', field, ms) ?? current.qrTtlMs,
    sessionTtlMs: optional(input, 'sessionTtlMs', field, ms) ?? current.sessionTtlMs,
    autoScanAfterMs: autoScan === undefined ? current.autoScanAfterMs : autoScan,
  };
}

/** A preset by name, or details over the current era. */
function applyEra(current: Era, raw: unknown, field: string): Era {
  if (typeof raw === 'string') return ERA_PRESETS[oneOf(raw, field, ERA_PRESET_NAMES)];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SimulatorInputError(
      field,
      `must be a preset name (${ERA_PRESET_NAMES.map((n) => `"${n}"`).join(', ')}) or an object of era details`,
    );
  }
  const input: JsonObject = objectAt(raw, field);
  onlyKeys(input, field, ERA_KEYS);
  return {
    emptyPoll:
      optional(input, 'emptyPoll', field, (r, f) => oneOf(r, f, EMPTY_POLL_ERAS)) ?? current.emptyPoll,
    sendOk: optional(input, 'sendOk', field, (r, f) => oneOf(r, f, SEND_OK_ERAS)) ?? current.sendOk,
    ptwebqqEmpty: optional(input, 'ptwebqqEmpty', field, booleanAt) ?? current.ptwebqqEmpty,
    discuSend100100: optional(input, 'discuSend100100', field, booleanAt) ?? current.discuSend100100,
    echo: optional(input, 'echo', field, booleanAt) ?? current.echo,
  };
}

/** The name of the preset equal to `era`, if any. */
export function presetOf(era: Era): EraPresetName | null {
  return (
    ERA_PRESET_NAMES.find((name) => ERA_KEYS.every((key) => ERA_PRESETS[name][key] === era[key])) ?? null
  );
}
