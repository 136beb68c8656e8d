/**
 * The SmartQQ simulator: the real servers' behaviour (PROTOCOL.md §7), quirks included, on one
 * loopback port, with a control API for tests and demos (`/_sim/...`, or the same calls as methods).
 */
import { SimulatorControl } from './control.ts';
import { SimulatorCore } from './core.ts';
import { createDispatcher, ENDPOINTS } from './http/dispatch.ts';
import { CONTROL_PREFIX } from './http/routes-control.ts';
import { startHttpServer } from './http/server.ts';
import { applySettings, DEFAULT_SETTINGS, type Era } from './settings.ts';
import { parseWorld, World } from './world.ts';

export interface SimulatorOptions {
  /** The world: a parsed World, or its JSON object (validated; a bad field throws SimulatorInputError). */
  world: World | unknown;
  /** 0 (the default) picks a free port. */
  port?: number;
  pollHoldMs?: number;
  qrTtlMs?: number;
  sessionTtlMs?: number;
  era?: Partial<Era>;
  autoScanAfterMs?: number;
  /** One human line per login step, poll and send. */
  log?: (line: string) => void;
}

export interface Simulator extends SimulatorControl {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Closes the server and every connection, stops every timer. */
  close(): Promise<void>;
}

export { CONTROL_PREFIX };

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const world = options.world instanceof World ? options.world : parseWorld(options.world);
  const settings = applySettings(DEFAULT_SETTINGS, {
    ...(options.era !== undefined && { era: options.era }),
    ...(options.pollHoldMs !== undefined && { pollHoldMs: options.pollHoldMs }),
    ...(options.qrTtlMs !== undefined && { qrTtlMs: options.qrTtlMs }),
    ...(options.sessionTtlMs !== undefined && { sessionTtlMs: options.sessionTtlMs }),
    ...(options.autoScanAfterMs !== undefined && { autoScanAfterMs: options.autoScanAfterMs }),
  });
  const log = options.log ?? (() => {});
  const core = new SimulatorCore(world, settings, log, ENDPOINTS);
  const control = new SimulatorControl(core);
  const http = await startHttpServer(createDispatcher(core, control), options.port ?? 0, log);
  return Object.assign(control, {
    url: `http://127.0.0.1:${http.port}`,
    port: http.port,
    close: async () => {
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
export type { Era, Settings, SettingsInput } from './settings.ts';
export { loadWorldFile, parseWorld, World } from './world.ts';
