/**
 * `npm run sim -- [--port N] [--world file] [--hold-ms N] [--auto-scan-ms N]`: the simulator on
 * its own, logging one line per login step, poll and send, until Ctrl-C.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONTROL_PREFIX, loadWorldFile, SimulatorInputError, startSimulator } from './index.ts';

const DEFAULT_PORT = 8788;
const DEFAULT_WORLD = fileURLToPath(new URL('../demo-world.json', import.meta.url));

function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new SimulatorInputError(`--${name}`, `must be a whole number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      world: { type: 'string' },
      'hold-ms': { type: 'string' },
      'auto-scan-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('npm run sim -- [--port N] [--world file.json] [--hold-ms N] [--auto-scan-ms N]');
    return;
  }
  const worldPath = values.world ?? DEFAULT_WORLD;
  const holdMs = numberFlag(values['hold-ms'], 'hold-ms');
  const autoScanMs = numberFlag(values['auto-scan-ms'], 'auto-scan-ms');
  const sim = await startSimulator({
    world: await loadWorldFile(worldPath),
    port: numberFlag(values.port, 'port') ?? DEFAULT_PORT,
    ...(holdMs !== undefined && { pollHoldMs: holdMs }),
    ...(autoScanMs !== undefined && { autoScanAfterMs: autoScanMs }),
    log: (line) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`),
  });
  console.log(`SmartQQ simulator on ${sim.url} (world: ${worldPath})`);
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
