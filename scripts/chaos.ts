/**
 * `npm run chaos [-- --messages N --rate N --seed N --no-kills --max-kills N --no-faults --certain-faults
 * --echo --time-limit-s N --quiet-s N]`:
 * issue 10's proof that nothing received is lost and nothing answered twice, under simulator faults
 * and SIGKILLs of the bot (scripts/chaos/run.ts). Prints one table; exits 1 if anything was lost or
 * answered twice.
 */
import { parseArgs } from 'node:util';
import { CERTAIN_FAULTS, CHAOS_DEFAULTS, formatReport, runChaos } from './chaos/run.ts';

const USAGE =
  'usage: npm run chaos -- [--messages N] [--rate N] [--seed N] [--no-kills] [--max-kills N] ' +
  '[--no-faults] [--certain-faults] [--echo] [--time-limit-s N] [--quiet-s N]';

const { values } = parseFlags();

function parseFlags() {
  try {
    const parsed = parseFlagsOrThrow();
    if (parsed.values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`npm run chaos: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

function parseFlagsOrThrow() {
  return parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      messages: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'time-limit-s': { type: 'string' },
      'quiet-s': { type: 'string' },
      'no-kills': { type: 'boolean' },
      'no-faults': { type: 'boolean' },
      echo: { type: 'boolean' },
      'certain-faults': { type: 'boolean' },
      'max-kills': { type: 'string' },
    },
  });
}
const num = (raw: string | undefined, fallback: number) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`npm run chaos: not a positive number: ${raw}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const seed = num(values.seed, CHAOS_DEFAULTS.seed);
const report = await runChaos({
  messages: num(values.messages, CHAOS_DEFAULTS.messages),
  rate: num(values.rate, CHAOS_DEFAULTS.rate),
  seed,
  timeLimitMs: num(values['time-limit-s'], CHAOS_DEFAULTS.timeLimitMs / 1000) * 1000,
  quietMs: num(values['quiet-s'], CHAOS_DEFAULTS.quietMs / 1000) * 1000,
  ...(values['no-kills'] ? { killEveryMs: undefined } : {}),
  ...(values['no-faults'] ? { faultEveryMs: undefined } : {}),
  echo: values.echo ?? false,
  ...(values['certain-faults'] ? { faults: CERTAIN_FAULTS } : {}),
  ...(values['max-kills'] !== undefined ? { maxKills: Number(values['max-kills']) } : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`chaos run (seed ${seed})\n${formatReport(report)}\n`);
process.exit(report.lost === 0 && report.answeredTwice === 0 && !report.timedOut ? 0 : 1);
