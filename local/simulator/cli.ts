/**
 * `npm run sim -- [--port N] [--world file] [--era preset] [--hold-ms N] [--auto-scan-ms N]`: the
 * simulator on its own, logging one line per login step, poll and send, until Ctrl-C. `--era`
 * names one of the era presets (default 2017-10; see local/simulator/README.md).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CONTROL_PREFIX,
  DEFAULT_ERA_PRESET,
  ERA_PRESET_NAMES,
  type EraPresetName,
  loadWorldFile,
  SimulatorInputError,
  startSimulator,
} from './index.ts';

const DEFAULT_PORT = 8788;
const DEFAULT_WORLD = fileURLToPath(new URL('../demo-world.json', import.meta.url));

function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new SimulatorInputError(`--${name}`, `must be a whole number, got "${value}"`);
  return n;
}

function eraFlag(value: string | undefined): EraPresetName | undefined {
  if (value === undefined) return undefined;
  const name = ERA_PRESET_NAMES.find((n) => n === value);
  if (name === undefined)
    throw new SimulatorInputError('--era', `must be one of ${ERA_PRESET_NAMES.join(', ')}, got "${value}"`);
  return name;
}

const USAGE =
  'npm run sim -- [--port N] [--world file.json] [--era ' +
  `${ERA_PRESET_NAMES.join('|')}] [--hold-ms N] [--auto-scan-ms N]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      world: { type: 'string' },
      era: { type: 'string' },
      'hold-ms': { type: 'string' },
      'auto-scan-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const worldPath = values.world ?? DEFAULT_WORLD;
  const holdMs = numberFlag(values['hold-ms'], 'hold-ms');
  const autoScanMs = numberFlag(values['auto-scan-ms'], 'auto-scan-ms');
  const era = eraFlag(values.era) ?? DEFAULT_ERA_PRESET;
  const sim = await startSimulator({
    world: await loadWorldFile(worldPath),
    port: numberFlag(values.port, 'port') ?? DEFAULT_PORT,
    era,
    ...(holdMs !== undefined && { pollHoldMs: holdMs }),
    ...(autoScanMs !== undefined && { autoScanAfterMs: autoScanMs }),
    log: (line) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`),
  });
  console.log(`SmartQQ simulator on ${sim.url} (world: ${worldPath}, era: ${era})`);
  console.log(`control API: ${sim.url}${CONTROL_PREFIX} (e.g. curl ${sim.url}${CONTROL_PREFIX}state)`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    await sim.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
