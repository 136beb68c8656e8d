/**
 * The SmartQQ simulator: the real servers' behaviour (docs/protocol.md §7), quirks included, on one
 * loopback port, with a control API for tests and demos (`/_sim/...`, or the same calls as methods).
 */
import { SimulatorControl } from './control.ts';
import { SimulatorCore } from './core.ts';
import { createDispatcher, ENDPOINTS } from './http/dispatch.ts';
import { CONTROL_PREFIX } from './http/routes-control.ts';
import { startHttpServer } from './http/server.ts';
import type { SentRecord } from './sent-log.ts';
import {
  applySettings,
  DEFAULT_SETTINGS,
  type EchoSendUin,
  type Era,
  type EraPresetName,
} from './settings.ts';
import { parseWorld, World } from './world.ts';

export interface SimulatorOptions {
  /** The world: a parsed World, or its JSON object (validated; a bad field throws SimulatorInputError). */
  world: World | unknown;
  /** 0 (the default) picks a free port. */
  port?: number;
  pollHoldMs?: number;
  qrTtlMs?: number;
  sessionTtlMs?: number;
  /** A preset name (`"2015"`, `"2017-05"`, `"2017-10"`: the default, `"2018"`), or era details for tests. */
  era?: EraPresetName | Partial<Era>;
  /** Echo own group/discussion sends, whatever the era says. */
  echo?: boolean;
  echoSendUin?: EchoSendUin;
  autoScanAfterMs?: number;
  /** One human line per login step, poll and send. */
  log?: (line: string) => void;
  /** Told of each message delivered by a send call, with the time (ms): benchmarks time replies by it. */
  onSent?: (record: SentRecord, atMs: number) => void;
}

export interface Simulator extends SimulatorControl {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Answers every held poll as an ended hold (nothing yet), as before a server restart. */
  releaseHeldPolls(): void;
  /** Closes the server and every connection, stops every timer; held polls are released first. */
  close(): Promise<void>;
}

export { CONTROL_PREFIX };

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const world = options.world instanceof World ? options.world : parseWorld(options.world);
  const settings = applySettings(DEFAULT_SETTINGS, {
    ...(options.era !== undefined && { era: options.era }),
    ...(options.echo !== undefined && { echo: options.echo }),
    ...(options.echoSendUin !== undefined && { echoSendUin: options.echoSendUin }),
    ...(options.pollHoldMs !== undefined && { pollHoldMs: options.pollHoldMs }),
    ...(options.qrTtlMs !== undefined && { qrTtlMs: options.qrTtlMs }),
    ...(options.sessionTtlMs !== undefined && { sessionTtlMs: options.sessionTtlMs }),
    ...(options.autoScanAfterMs !== undefined && { autoScanAfterMs: options.autoScanAfterMs }),
  });
  const log = options.log ?? (() => {});
  const core = new SimulatorCore(world, settings, log, ENDPOINTS);
  if (options.onSent) core.sent.onRecord = options.onSent;
  const control = new SimulatorControl(core);
  const http = await startHttpServer(createDispatcher(core, control), options.port ?? 0, log);
  return Object.assign(control, {
    url: `http://127.0.0.1:${http.port}`,
    port: http.port,
    releaseHeldPolls: () => core.hub.releaseAll('the simulator is stopping'),
    close: async () => {
      core.hub.releaseAll('the simulator is stopping');
      core.close();
      await http.close();
    },
  });
}

export type { ContactsSnapshot, QrAction, SimulatorState } from './control.ts';
export type { CountersSnapshot } from './counters.ts';
export type { FaultSpec, FaultView } from './faults.ts';
export type { EventInput, InjectResult, MessageInput } from './injection.ts';
export { SimulatorControlError, SimulatorInputError } from './input.ts';
export type { SentRecord } from './sent-log.ts';
export type { EchoSendUin, Era, EraPresetName, Settings, SettingsInput } from './settings.ts';
export { DEFAULT_ERA_PRESET, ERA_PRESET_NAMES, ERA_PRESETS } from './settings.ts';
export { loadWorldFile, parseWorld, World } from './world.ts';
